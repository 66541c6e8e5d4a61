#!/usr/bin/env python3
"""Checks an unpacked Talos system extension against what Talos accepts.

Usage: talos_check.py EXT_ROOT      (EXT_ROOT holds manifest.yaml and rootfs/)

Written from the extension service loader's rules (pkg/machinery/extensions/services Spec and its
validation, pkg/machinery/extensions manifest): allowed keys at every level, the service name
regex, one dependency kind per `depends` item with valid values, restart values, absolute
entrypoint present and executable inside the service rootfs, OCI mount shape, and that nothing is
shipped outside the extension's own paths. Prints every problem; exits 1 if there is any.
"""
import os
import re
import stat
import sys

import yaml

NAME_RE = re.compile(r"^[-_a-z0-9]+$")
MANIFEST_KEYS = {"version", "metadata"}
METADATA_KEYS = {"name", "version", "author", "description", "compatibility", "extraInfo"}
SPEC_KEYS = {"name", "container", "depends", "restart", "logToConsole"}
CONTAINER_KEYS = {"entrypoint", "environment", "environmentFile", "args", "mounts", "security"}
SECURITY_KEYS = {"writeableSysfs", "maskedPaths", "readonlyPaths", "writeableRootfs",
                 "rootfsPropagation"}
MOUNT_KEYS = {"source", "destination", "type", "options", "uidMappings", "gidMappings"}
MOUNT_OPTIONS = {"bind", "rbind", "ro", "rw", "shared", "rshared", "slave", "rslave", "private",
                 "rprivate", "nosuid", "nodev", "noexec", "relatime", "noatime"}
DEPEND_KINDS = {"service", "path", "network", "time", "configuration"}
NETWORK_VALUES = {"addresses", "connectivity", "hostname", "etcfiles"}
RESTART_VALUES = {"always", "never", "untilSuccess"}
CONSTRAINT_RE = re.compile(r"^\s*(>=|<=|>|<|=|~>)?\s*v?\d+\.\d+(\.\d+)?\s*$")


class Checker:
    def __init__(self):
        self.problems = []

    def err(self, where, msg):
        self.problems.append(f"{where}: {msg}")

    def keys(self, where, obj, allowed, required=()):
        if not isinstance(obj, dict):
            self.err(where, f"must be a mapping, got {type(obj).__name__}")
            return False
        for k in obj:
            if k not in allowed:
                self.err(where, f"unknown key '{k}' (allowed: {', '.join(sorted(allowed))})")
        for k in required:
            if k not in obj:
                self.err(where, f"missing required key '{k}'")
        return True

    def string_list(self, where, value):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.err(where, "must be a list of strings")
            return False
        return True

    def manifest(self, m):
        if not self.keys("manifest", m, MANIFEST_KEYS, MANIFEST_KEYS):
            return None
        if m.get("version") != "v1alpha1":
            self.err("manifest.version", f"must be v1alpha1, got {m.get('version')!r}")
        md = m.get("metadata")
        if not self.keys("manifest.metadata", md, METADATA_KEYS,
                         ("name", "version", "author", "description", "compatibility")):
            return None
        name = md.get("name")
        if not isinstance(name, str) or not NAME_RE.match(name):
            self.err("manifest.metadata.name", f"{name!r} does not match {NAME_RE.pattern}")
        for k in ("version", "author", "description"):
            if not isinstance(md.get(k), str) or not md.get(k, "").strip():
                self.err(f"manifest.metadata.{k}", "must be a non-empty string")
        comp = md.get("compatibility")
        if self.keys("manifest.metadata.compatibility", comp, {"talos"}, ("talos",)):
            talos = comp.get("talos")
            if self.keys("manifest.metadata.compatibility.talos", talos, {"version"},
                         ("version",)):
                v = talos.get("version")
                parts = v.split(",") if isinstance(v, str) else [None]
                if not all(isinstance(p, str) and CONSTRAINT_RE.match(p) for p in parts):
                    self.err("manifest.metadata.compatibility.talos.version",
                             f"{v!r} is not a version constraint like '>= v1.10.0'")
        return name

    def spec(self, s, rootfs):
        if not self.keys("spec", s, SPEC_KEYS, ("name", "container", "restart")):
            return None
        name = s.get("name")
        if not isinstance(name, str) or not NAME_RE.match(name):
            self.err("spec.name", f"{name!r} does not match {NAME_RE.pattern}")
        if s.get("restart") not in RESTART_VALUES:
            self.err("spec.restart", f"{s.get('restart')!r} is not one of {sorted(RESTART_VALUES)}")
        if "logToConsole" in s and not isinstance(s["logToConsole"], bool):
            self.err("spec.logToConsole", "must be a boolean")
        for i, d in enumerate(s.get("depends") or []):
            where = f"spec.depends[{i}]"
            if not isinstance(d, dict) or len(d) != 1:
                self.err(where, "must have exactly one dependency kind")
                continue
            kind, value = next(iter(d.items()))
            if kind not in DEPEND_KINDS:
                self.err(where, f"unknown dependency kind '{kind}'")
            elif kind == "service" and (not isinstance(value, str) or not value):
                self.err(where, "service must be a service id")
            elif kind == "path" and (not isinstance(value, str) or not value.startswith("/")):
                self.err(where, "path must be absolute")
            elif kind == "network":
                if not self.string_list(where, value) or not value:
                    self.err(where, "network must be a non-empty list")
                else:
                    for v in value:
                        if v not in NETWORK_VALUES:
                            self.err(where, f"unknown network condition '{v}'")
            elif kind in ("time", "configuration") and value is not True:
                self.err(where, f"{kind} must be true")
        c = s.get("container")
        if not self.keys("spec.container", c, CONTAINER_KEYS, ("entrypoint",)):
            return name
        ep = c.get("entrypoint")
        if not isinstance(ep, str) or not ep.startswith("/"):
            self.err("spec.container.entrypoint", "must be an absolute path in the service rootfs")
        elif rootfs is not None:
            path = os.path.join(rootfs, ep.lstrip("/"))
            if not os.path.isfile(path) or not os.stat(path).st_mode & stat.S_IXUSR:
                self.err("spec.container.entrypoint", f"{ep} is not an executable in the rootfs")
        for k in ("args", "environment"):
            if k in c:
                self.string_list(f"spec.container.{k}", c[k])
        for i, e in enumerate(c.get("environment") or []):
            if isinstance(e, str) and "=" not in e:
                self.err(f"spec.container.environment[{i}]", "must be KEY=value")
        sec = c.get("security")
        if sec is not None and self.keys("spec.container.security", sec, SECURITY_KEYS):
            for k in ("writeableSysfs", "writeableRootfs"):
                if k in sec and not isinstance(sec[k], bool):
                    self.err(f"spec.container.security.{k}", "must be a boolean")
            for k in ("maskedPaths", "readonlyPaths"):
                if k in sec:
                    self.string_list(f"spec.container.security.{k}", sec[k])
        for i, m in enumerate(c.get("mounts") or []):
            where = f"spec.container.mounts[{i}]"
            if not self.keys(where, m, MOUNT_KEYS, ("source", "destination", "type", "options")):
                continue
            for k in ("source", "destination"):
                if not isinstance(m[k], str) or not m[k].startswith("/"):
                    self.err(f"{where}.{k}", "must be an absolute path")
            if m["type"] != "bind":
                self.err(f"{where}.type", f"{m['type']!r}: extension services bind host paths")
            if self.string_list(f"{where}.options", m["options"]):
                opts = set(m["options"])
                for o in opts - MOUNT_OPTIONS:
                    self.err(f"{where}.options", f"unknown mount option '{o}'")
                if not opts & {"bind", "rbind"}:
                    self.err(f"{where}.options", "needs bind or rbind")
                if {"ro", "rw"} <= opts:
                    self.err(f"{where}.options", "both ro and rw")
            writeable = bool((sec or {}).get("writeableRootfs"))
            if rootfs is not None and isinstance(m["destination"], str) and not writeable:
                if not os.path.isdir(os.path.join(rootfs, m["destination"].lstrip("/"))):
                    self.err(f"{where}.destination",
                             f"{m['destination']} does not exist in the read-only rootfs")
        return name

    def tree(self, ext_root, name):
        """Nothing outside manifest.yaml, the spec file and the service's rootfs."""
        spec_rel = f"rootfs/usr/local/etc/containers/{name}.yaml"
        rootfs_rel = f"rootfs/usr/local/lib/containers/{name}"
        parents = {"rootfs", "rootfs/usr", "rootfs/usr/local", "rootfs/usr/local/etc",
                   "rootfs/usr/local/etc/containers", "rootfs/usr/local/lib",
                   "rootfs/usr/local/lib/containers", rootfs_rel}
        for dirpath, dirnames, filenames in os.walk(ext_root):
            for entry in dirnames + filenames:
                rel = os.path.relpath(os.path.join(dirpath, entry), ext_root)
                if rel in ("manifest.yaml", spec_rel) or rel in parents:
                    continue
                if rel.startswith(rootfs_rel + "/"):
                    continue
                self.err("image", f"/{rel} is outside the extension's allowed paths")


def check(ext_root):
    c = Checker()
    try:
        with open(os.path.join(ext_root, "manifest.yaml")) as f:
            manifest = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        return [f"manifest.yaml: {e}"]
    name = c.manifest(manifest)
    if not name:
        return c.problems
    spec_path = os.path.join(ext_root, "rootfs/usr/local/etc/containers", f"{name}.yaml")
    try:
        with open(spec_path) as f:
            spec = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        return c.problems + [f"service spec: {e}"]
    rootfs = os.path.join(ext_root, "rootfs/usr/local/lib/containers", name)
    if not os.path.isdir(rootfs):
        c.err("image", f"no service rootfs at /rootfs/usr/local/lib/containers/{name}")
        rootfs = None
    spec_name = c.spec(spec, rootfs)
    if spec_name is not None and spec_name != name:
        c.err("spec.name", f"{spec_name!r} differs from the manifest's name {name!r}")
    c.tree(ext_root, name)
    return c.problems


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    problems = check(sys.argv[1])
    for p in problems:
        print(f"talos_check: {p}", file=sys.stderr)
    if not problems:
        print("talos_check: extension OK")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
