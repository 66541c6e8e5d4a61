#!/usr/bin/env python3
"""Checks that every packaging artefact agrees on the shared names (deploy/names.env).

Usage: check_consistency.py SOURCE_DIR [--binaries CONTROLLER_BIN NODE_BIN]

Single source: deploy/names.env (which must itself match docs/names.md and the CMake project
version). Checked against it: the rendered overlays (CSIDriver, controller Deployment and its
sidecars, ConfigMap, Secret mount, node DaemonSet), the examples (StorageClasses,
VolumeSnapshotClass), the Talos extension (manifest template, service spec) and the systemd files
(unit, node.yaml, environment file). Also: every flag our binaries are given anywhere is
documented in docs/names.md or docs/configuration.md, and every StorageClass parameter is one of
docs/storageclass-parameters.md. With --binaries, also that each binary's --help lists every
flag the artefacts give it. Prints every disagreement; exits 1 if there is any.
"""
import os
import re
import subprocess
import sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kustomize_lite  # noqa: E402


class Checks:
    def __init__(self, src):
        self.src = src
        self.problems = []
        self.n = read_env(os.path.join(src, "deploy/names.env"))
        self.flags_used = {}  # flag -> where

    def err(self, msg):
        self.problems.append(msg)

    def expect(self, cond, msg):
        if not cond:
            self.err(msg)

    def read(self, rel):
        with open(os.path.join(self.src, rel)) as f:
            return f.read()

    def use_flags(self, where, args):
        for a in args:
            m = re.match(r"^(--[a-z0-9-]+)", str(a))
            if m:
                self.flags_used.setdefault(m.group(1), []).append(where)

    # --- the source of truth against the docs and the build -----------------------------------
    def names_doc(self):
        doc = self.read("docs/names.md")
        for key in ("DRIVER_NAME", "CONTROLLER_BIN", "NODE_BIN", "CONTROLLER_ENDPOINT",
                    "NODE_SOCKET", "REGISTRATION_SOCKET", "STATE_DIR", "NODE_CONFIG",
                    "NODE_ENV_FILE", "CONTROLLER_CONFIGMAP", "CONTROLLER_CONFIG",
                    "API_KEY_SECRET", "API_KEY_SECRET_KEY", "API_KEY_FILE", "TALOS_EXTENSION",
                    "TALOS_SERVICE_ID", "KUBELET_DIR"):
            self.expect(f"`{self.n[key]}" in doc or f" {self.n[key]}`" in doc,
                        f"docs/names.md does not name {key}={self.n[key]}")
        self.expect(f"`{self.n['CONTROLLER_IMAGE']}:<version>`" in doc and
                    f"`{self.n['NODE_IMAGE']}:<version>`" in doc,
                    "docs/names.md image names differ from names.env")
        cmake = self.read("CMakeLists.txt")
        m = re.search(r"project\([^)]*VERSION\s+([0-9.]+)", cmake)
        self.expect(m and m.group(1) == self.n["VERSION"],
                    f"CMake project version {m and m.group(1)} != names.env {self.n['VERSION']}")

    # --- Kubernetes ------------------------------------------------------------------------
    def image_ok(self, image, name):
        want = f"{name}:{self.n['VERSION']}"
        return image == want or image.endswith("/" + want)

    def overlays(self):
        n = self.n
        rendered = {}
        for mode in ("daemonset", "host-agent"):
            objs = kustomize_lite.render(os.path.join(self.src, "deploy/overlays", mode))
            rendered[mode] = objs
            get = lambda kind, name=None: [o for o in objs if o["kind"] == kind and  # noqa: E731
                                           (name is None or o["metadata"]["name"] == name)]
            drivers = get("CSIDriver")
            self.expect(len(drivers) == 1 and drivers[0]["metadata"]["name"] == n["DRIVER_NAME"],
                        f"{mode}: CSIDriver is not {n['DRIVER_NAME']}")
            if drivers:
                spec = drivers[0]["spec"]
                self.expect(spec.get("attachRequired") is True and
                            spec.get("podInfoOnMount") is True and
                            spec.get("fsGroupPolicy") == "File",
                            f"{mode}: CSIDriver needs attachRequired, podInfoOnMount, File")
            self.controller(mode, get)
            ds = get("DaemonSet")
            if mode == "daemonset":
                self.expect(len(ds) == 1, "daemonset: exactly one DaemonSet expected")
                if ds:
                    self.daemonset(ds[0])
            else:
                self.expect(not ds, f"{mode}: must not contain a DaemonSet")
                for o in objs:
                    for c in pod_containers(o):
                        self.expect(not c.get("image", "").split("/")[-1].startswith(
                            n["NODE_IMAGE"] + ":"), f"{mode}: runs the node image")
        return rendered

    def controller(self, mode, get):
        n = self.n
        # Each sidecar reads the Secret a StorageClass/VolumeSnapshotClass names in its
        # csi.storage.k8s.io/*-secret-* parameters (per-volume CHAP): it needs `get` on Secrets.
        for side in ("provisioner", "attacher", "snapshotter", "resizer"):
            roles = get("ClusterRole", f"truenas-csi-external-{side}")
            self.expect(roles and any(
                "secrets" in r.get("resources", []) and "get" in r.get("verbs", [])
                for r in roles[0].get("rules", [])), f"{mode}: external-{side} cannot get Secrets")
        deps = get("Deployment", "truenas-csi-controller")
        if not deps:
            self.err(f"{mode}: no controller Deployment")
            return
        d = deps[0]
        self.expect(d["spec"].get("replicas") == 2, f"{mode}: controller replicas must be 2")
        pod = d["spec"]["template"]["spec"]
        cs = {c["name"]: c for c in pod["containers"]}
        ctrl = cs.get(n["CONTROLLER_BIN"])
        if not ctrl:
            self.err(f"{mode}: no {n['CONTROLLER_BIN']} container")
            return
        self.expect(self.image_ok(ctrl["image"], n["CONTROLLER_IMAGE"]),
                    f"{mode}: controller image {ctrl['image']} is not "
                    f"{n['CONTROLLER_IMAGE']}:{n['VERSION']}")
        args = ctrl.get("args", [])
        self.use_flags(f"{mode} controller", args)
        self.http_endpoint(f"{mode}: controller", ctrl, "--metrics-address")
        self.expect(f"--endpoint={n['CONTROLLER_ENDPOINT']}" in args,
                    f"{mode}: controller endpoint is not {n['CONTROLLER_ENDPOINT']}")
        self.expect(f"--config={n['CONTROLLER_CONFIG']}" in args,
                    f"{mode}: controller --config is not {n['CONTROLLER_CONFIG']}")
        sock = n["CONTROLLER_ENDPOINT"][len("unix://"):]
        vols = {v["name"]: v for v in pod.get("volumes", [])}
        mounts = {m["mountPath"]: m["name"] for m in ctrl.get("volumeMounts", [])}
        cfg_dir, cfg_file = os.path.split(n["CONTROLLER_CONFIG"])
        cm = vols.get(mounts.get(cfg_dir, ""), {}).get("configMap", {})
        self.expect(cm.get("name") == n["CONTROLLER_CONFIGMAP"] and
                    any(i.get("path") == cfg_file for i in cm.get("items", [])),
                    f"{mode}: {n['CONTROLLER_CONFIG']} does not come from ConfigMap "
                    f"{n['CONTROLLER_CONFIGMAP']}")
        key_dir, key_file = os.path.split(n["API_KEY_FILE"])
        sec = vols.get(mounts.get(key_dir, ""), {}).get("secret", {})
        self.expect(sec.get("secretName") == n["API_KEY_SECRET"] and
                    {"key": n["API_KEY_SECRET_KEY"], "path": key_file} in sec.get("items", []),
                    f"{mode}: {n['API_KEY_FILE']} does not come from Secret "
                    f"{n['API_KEY_SECRET']}/{n['API_KEY_SECRET_KEY']}")
        self.expect(all(m.get("readOnly") for m in ctrl.get("volumeMounts", [])
                        if m["mountPath"] in (cfg_dir, key_dir)),
                    f"{mode}: config and secret mounts must be read-only")
        for cmo in get("ConfigMap", n["CONTROLLER_CONFIGMAP"]):
            conf = yaml.safe_load(cmo["data"][cfg_file])
            self.expect(conf.get("driver-name") == n["DRIVER_NAME"],
                        f"{mode}: controller.yaml driver-name differs")
            self.expect(conf.get("api-key-file") == n["API_KEY_FILE"],
                        f"{mode}: controller.yaml api-key-file differs")
            self.expect("api-key" not in conf, f"{mode}: controller.yaml holds a secret")
            self.use_flags(f"{mode} controller.yaml", [f"--{k}" for k in conf])
        for name, want in (("csi-provisioner", ["--feature-gates=Topology=true",
                                                 "--extra-create-metadata", "--leader-election"]),
                           ("csi-attacher", ["--leader-election"]),
                           ("csi-snapshotter", ["--leader-election"]),
                           ("csi-resizer", ["--leader-election"]),
                           ("liveness-probe", [])):
            c = cs.get(name)
            if not c:
                self.err(f"{mode}: controller pod lacks the {name} sidecar")
                continue
            for w in want + [f"--csi-address={sock}"]:
                self.expect(w in c.get("args", []), f"{mode}: {name} lacks {w}")
            if name != "liveness-probe":
                self.http_endpoint(f"{mode}: {name}", c, "--http-endpoint", probe=True)
            self.expect(any(os.path.dirname(sock) == m["mountPath"]
                            for m in c.get("volumeMounts", [])),
                        f"{mode}: {name} does not mount the socket directory")

    def http_endpoint(self, where, c, flag, probe=False):
        """`flag`=[host]:PORT is given, PORT is a declared containerPort of the container, and
        (probe) its livenessProbe asks that port over HTTP."""
        given = [a.split("=", 1)[1] for a in c.get("args", []) if a.startswith(flag + "=")]
        if not given:
            self.err(f"{where} lacks {flag}")
            return
        port = int(given[0].rsplit(":", 1)[1])
        named = {p.get("name"): p["containerPort"] for p in c.get("ports") or []}
        self.expect(port in named.values(), f"{where}: {flag} port {port} is not a containerPort")
        if probe:
            get = (c.get("livenessProbe") or {}).get("httpGet") or {}
            self.expect(named.get(get.get("port"), get.get("port")) == port,
                        f"{where}: no livenessProbe over HTTP on its {flag} port {port}")

    def daemonset(self, ds):
        n = self.n
        pod = ds["spec"]["template"]["spec"]
        self.expect(pod.get("hostNetwork") is True, "DaemonSet must use hostNetwork")
        self.expect(not pod.get("hostPID"), "DaemonSet must not use hostPID")
        cs = {c["name"]: c for c in pod["containers"]}
        agent = cs.get(n["NODE_BIN"])
        if not agent:
            self.err(f"DaemonSet lacks the {n['NODE_BIN']} container")
            return
        self.expect(self.image_ok(agent["image"], n["NODE_IMAGE"]),
                    f"DaemonSet agent image {agent['image']} is not {n['NODE_IMAGE']}:{n['VERSION']}")
        self.expect((agent.get("securityContext") or {}).get("privileged") is True,
                    "agent container must be privileged")
        args = agent.get("args", [])
        self.use_flags("DaemonSet agent", args)
        self.http_endpoint("DaemonSet agent", agent, "--metrics-address")
        ports = [p["containerPort"] for c in pod["containers"] for p in c.get("ports") or []]
        self.expect(len(ports) == len(set(ports)),
                    f"DaemonSet (host network) declares a port twice: {sorted(ports)}")
        for want in (f"--endpoint=unix://{n['NODE_SOCKET']}", "--register-with-kubelet=false",
                     f"--state-dir={n['STATE_DIR']}", f"--kubelet-dir={n['KUBELET_DIR']}"):
            self.expect(want in args, f"DaemonSet agent lacks {want}")
        vols = {v["name"]: v.get("hostPath", {}).get("path") for v in pod.get("volumes", [])}
        mounts = {m["mountPath"]: m for m in agent.get("volumeMounts", [])}
        for path in (n["KUBELET_DIR"], "/dev", "/sys", "/run/udev", n["STATE_DIR"]):
            m = mounts.get(path)
            self.expect(m is not None and vols.get(m["name"]) == path,
                        f"DaemonSet agent does not mount host {path} at {path}")
        kub = mounts.get(n["KUBELET_DIR"]) or {}
        self.expect(kub.get("mountPropagation") == "Bidirectional",
                    "kubelet dir must be mounted with Bidirectional propagation")
        reg = cs.get("node-driver-registrar")
        if not reg:
            self.err("DaemonSet lacks node-driver-registrar")
            return
        self.expect(f"--kubelet-registration-path={n['NODE_SOCKET']}" in reg.get("args", []),
                    "registrar --kubelet-registration-path differs from the node socket")
        rmounts = {m["mountPath"]: vols.get(m["name"]) for m in reg.get("volumeMounts", [])}
        csi_addr = next((a.split("=", 1)[1] for a in reg.get("args", [])
                         if a.startswith("--csi-address=")), "")
        self.expect(rmounts.get(os.path.dirname(csi_addr)) == os.path.dirname(n["NODE_SOCKET"]),
                    "registrar's --csi-address does not reach the node socket's host directory")
        self.expect(rmounts.get("/registration") == os.path.dirname(n["REGISTRATION_SOCKET"]),
                    "registrar's /registration is not kubelet's plugins_registry")

    def examples(self):
        objs = kustomize_lite.render(os.path.join(self.src, "deploy/examples"))
        doc = self.read("docs/storageclass-parameters.md")
        documented = set(re.findall(r"^\| `([^`]+)`", doc, re.M))
        documented |= {p for row in re.findall(r"^\| (`[^|]+`) \|", doc, re.M)
                       for p in re.findall(r"`([^`]+)`", row)}
        classes = [o for o in objs if o["kind"] == "StorageClass"]
        self.expect(len(classes) >= 4, "expected iSCSI ext4/xfs/block and NFS StorageClasses")
        for sc in classes:
            name = sc["metadata"]["name"]
            self.expect(sc.get("provisioner") == self.n["DRIVER_NAME"],
                        f"StorageClass {name}: provisioner is not {self.n['DRIVER_NAME']}")
            for p in sc.get("parameters") or {}:
                self.expect(p in documented,
                            f"StorageClass {name}: parameter {p} is not in "
                            "docs/storageclass-parameters.md")
        for vsc in (o for o in objs if o["kind"] == "VolumeSnapshotClass"):
            self.expect(vsc.get("driver") == self.n["DRIVER_NAME"], "VolumeSnapshotClass driver")
        self.expect(any(o["kind"] == "PersistentVolumeClaim" and
                        o["spec"].get("volumeMode") == "Block" for o in objs),
                    "no PVC example with volumeMode Block")
        secrets = [o for o in objs if o["kind"] == "Secret"]
        self.expect(any(s["metadata"]["name"] == self.n["API_KEY_SECRET"] and
                        self.n["API_KEY_SECRET_KEY"] in (s.get("stringData") or {})
                        for s in secrets), "no API key Secret example")
        return objs

    # --- Talos and systemd -------------------------------------------------------------------
    def talos(self):
        n = self.n
        manifest = yaml.safe_load(self.read("talos/manifest.yaml.in").replace("@VERSION@", "0.0.0"))
        self.expect(manifest["metadata"]["name"] == n["TALOS_EXTENSION"], "Talos manifest name")
        spec = yaml.safe_load(self.read(
            f"talos/rootfs/usr/local/etc/containers/{n['TALOS_EXTENSION']}.yaml"))
        self.expect(spec["name"] == n["TALOS_EXTENSION"], "Talos service name")
        self.expect("ext-" + spec["name"] == n["TALOS_SERVICE_ID"], "Talos service id")
        c = spec["container"]
        self.expect(c["entrypoint"] == f"/usr/local/bin/{n['NODE_BIN']}", "Talos entrypoint")
        args = c.get("args", [])
        self.use_flags("Talos service", args)
        for want in (f"--endpoint=unix://{n['NODE_SOCKET']}", f"--state-dir={n['STATE_DIR']}",
                     f"--kubelet-dir={n['KUBELET_DIR']}", "--register-with-kubelet=true",
                     f"--config={n['NODE_CONFIG']}"):
            self.expect(want in args, f"Talos service args lack {want}")
        mounts = {m["destination"]: m for m in c.get("mounts", [])}
        for path in (n["KUBELET_DIR"], "/dev", "/sys", "/run/udev", n["STATE_DIR"]):
            m = mounts.get(path)
            self.expect(m is not None and m["source"] == path,
                        f"Talos service does not bind host {path}")
        self.expect("rshared" in (mounts.get(n["KUBELET_DIR"]) or {}).get("options", []),
                    "Talos kubelet dir mount must be rshared")
        sock_dir = os.path.dirname(n["NODE_SOCKET"])
        self.expect((mounts.get(sock_dir) or {}).get("source") == sock_dir,
                    f"Talos service does not create the socket directory {sock_dir}")
        self.expect(n["STATE_DIR"].startswith("/var/"), "state dir must lie under /var on Talos")
        deps = [next(iter(d)) + ":" + str(next(iter(d.values()))) for d in spec.get("depends", [])]
        for want in ("service:ext-iscsid", "service:udevd"):
            self.expect(want in deps, f"Talos service does not depend on {want}")
        self.expect(any(d.startswith("network:") for d in deps), "Talos: no network dependency")
        self.expect(spec.get("restart") == "always", "Talos restart must be always")
        self.expect((c.get("security") or {}).get("writeableSysfs") is True,
                    "Talos service needs writeableSysfs")

    def systemd(self):
        n = self.n
        unit = self.read("systemd/truenas-csi-node.service")
        exec_line = re.search(r"^ExecStart=(.*)$", unit, re.M).group(1).split()
        self.expect(exec_line[0] == f"/usr/bin/{n['NODE_BIN']}", "unit ExecStart binary")
        self.use_flags("systemd unit", exec_line[1:])
        self.expect(f"--config={n['NODE_CONFIG']}" in exec_line, "unit --config path")
        pre = re.search(r"^ExecStartPre=(.*)$", unit, re.M)
        self.expect(pre and pre.group(1).split()[-1] == os.path.dirname(n["NODE_SOCKET"]),
                    "unit ExecStartPre does not create the socket directory")
        self.expect(re.search(rf"^EnvironmentFile=-{re.escape(n['NODE_ENV_FILE'])}$", unit, re.M),
                    "unit EnvironmentFile")
        self.expect(n["STATE_DIR"] == "/var/lib/" +
                    re.search(r"^StateDirectory=(\S+)", unit, re.M).group(1),
                    "unit StateDirectory is not the state dir")
        conf = yaml.safe_load(self.read("systemd/node.yaml"))
        self.use_flags("systemd node.yaml", [f"--{k}" for k in conf])
        for key, want in (("endpoint", f"unix://{n['NODE_SOCKET']}"),
                          ("driver-name", n["DRIVER_NAME"]), ("state-dir", n["STATE_DIR"]),
                          ("kubelet-dir", n["KUBELET_DIR"]), ("register-with-kubelet", True)):
            self.expect(conf.get(key) == want, f"node.yaml {key} is {conf.get(key)!r}, not {want!r}")
        env = self.read("systemd/truenas-csi-node.default")
        self.expect(re.search(r"^TRUENAS_CSI_NODE_ARGS=", env, re.M), "env file variable")
        self.expect("$TRUENAS_CSI_NODE_ARGS" in unit, "unit does not pass TRUENAS_CSI_NODE_ARGS")

    def flags_accepted(self, ctrl_bin, node_bin):
        helps = {}
        for kind, binary in (("controller", ctrl_bin), ("node", node_bin)):
            out = subprocess.run([binary, "--help"], capture_output=True, text=True)
            helps[kind] = set(re.findall(r"^\s+(--[a-z0-9-]+)", out.stdout + out.stderr, re.M))
        for flag, wheres in sorted(self.flags_used.items()):
            for where in wheres:
                kind = "controller" if "controller" in where else "node"
                self.expect(flag in helps[kind], f"{flag} (used in {where}) is not accepted by "
                                                 f"the {kind} binary (not in its --help)")

    def flags_documented(self):
        docs = self.read("docs/names.md") + self.read("docs/configuration.md")
        for flag, wheres in sorted(self.flags_used.items()):
            self.expect(f"`{flag}" in docs, f"{flag} (used in {wheres[0]}) is not documented in "
                                            "docs/names.md or docs/configuration.md")


def read_env(path):
    out = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                k, _, v = line.partition("=")
                out[k] = v
    return out


def pod_containers(o):
    for spec in kustomize_lite.pod_specs(o):
        yield from (spec.get("initContainers") or []) + (spec.get("containers") or [])


def check(src, binaries=None):
    c = Checks(src)
    steps = [c.names_doc, c.overlays, c.examples, c.talos, c.systemd, c.flags_documented]
    if binaries:
        steps.append(lambda: c.flags_accepted(*binaries))
    for step in steps:
        try:
            step()
        except (KeyError, AttributeError, TypeError, IndexError, OSError,
                kustomize_lite.RenderError) as e:
            c.err(f"{step.__name__}: {type(e).__name__}: {e}")
    return c.problems


def main():
    args = sys.argv[1:]
    binaries = None
    if len(args) == 4 and args[1] == "--binaries":
        binaries = args[2:]
    elif len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    problems = check(args[0], binaries)
    for p in problems:
        print(f"check_consistency: {p}", file=sys.stderr)
    if not problems:
        print("check_consistency: names, paths, images and flags agree")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
