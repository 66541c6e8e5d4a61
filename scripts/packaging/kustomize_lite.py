#!/usr/bin/env python3
"""Renders a kustomization offline: the subset of kustomize that deploy/ uses.

Usage: kustomize_lite.py DIR [-o OUT.yaml]

Debian 12 packages no kustomize (nor kubectl), so CI renders the overlays with this. Supported
kustomization keys: apiVersion, kind, resources (files and directories with their own
kustomization), namespace, images (name -> newName/newTag/digest), patches (strategic merge,
from `path` or inline `patch`, optional `target` kind/name/namespace), labels (pairs,
includeSelectors, includeTemplates). Anything else is an error, so the subset never silently
diverges from real kustomize. Transformations apply in kustomize's order: patches, namespace,
labels, images. Output: a YAML stream ordered like kustomize's legacy order.
"""
import argparse
import copy
import os
import sys

import yaml

SUPPORTED = {"apiVersion", "kind", "resources", "namespace", "images", "patches", "labels"}
CLUSTER_SCOPED = {"Namespace", "CSIDriver", "StorageClass", "ClusterRole", "ClusterRoleBinding",
                  "PersistentVolume", "VolumeSnapshotClass", "CustomResourceDefinition",
                  "PriorityClass", "CSINode", "VolumeAttributesClass"}
# Strategic-merge keys of the list fields deploy/ patches (k8s.io/api patchMergeKey tags).
MERGE_KEYS = {"containers": "name", "initContainers": "name", "ephemeralContainers": "name",
              "volumes": "name", "env": "name", "imagePullSecrets": "name",
              "volumeMounts": "mountPath", "volumeDevices": "devicePath",
              "ports": "containerPort", "items": "key"}
LEGACY_ORDER = ["Namespace", "ResourceQuota", "StorageClass", "CustomResourceDefinition",
                "ServiceAccount", "PodSecurityPolicy", "Role", "ClusterRole", "RoleBinding",
                "ClusterRoleBinding", "ConfigMap", "Secret", "Endpoints", "Service",
                "LimitRange", "PriorityClass", "PersistentVolume", "PersistentVolumeClaim",
                "Deployment", "StatefulSet", "CronJob", "PodDisruptionBudget"]
LEGACY_LAST = ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"]


class RenderError(Exception):
    pass


def load_docs(path):
    with open(path) as f:
        try:
            docs = [d for d in yaml.safe_load_all(f) if d is not None]
        except yaml.YAMLError as e:
            raise RenderError(f"{path}: {e}") from e
    for d in docs:
        if not isinstance(d, dict) or "kind" not in d or "metadata" not in d:
            raise RenderError(f"{path}: every document needs kind and metadata")
    return docs


def find_kustomization(d):
    for name in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
        if os.path.isfile(os.path.join(d, name)):
            return os.path.join(d, name)
    raise RenderError(f"{d}: no kustomization.yaml")


def strategic_merge(base, patch, field=None):
    """Applies a strategic-merge patch value to base (returns the new value; None = delete)."""
    if isinstance(patch, dict):
        directive = patch.get("$patch")
        if directive == "delete":
            return None
        if directive == "replace":
            return {k: v for k, v in patch.items() if k != "$patch"}
        if directive is not None:
            raise RenderError(f"unsupported $patch: {directive}")
        if not isinstance(base, dict):
            return copy.deepcopy(patch)
        out = dict(base)
        for k, v in patch.items():
            if v is None:
                out.pop(k, None)
            elif k in out:
                merged = strategic_merge(out[k], v, k)
                if merged is None:
                    out.pop(k)
                else:
                    out[k] = merged
            else:
                out[k] = strategic_merge(None, v, k)
        return out
    if isinstance(patch, list):
        key = MERGE_KEYS.get(field)
        if key is None or not isinstance(base, list):
            return [strategic_merge(None, v) if isinstance(v, dict) else v for v in patch]
        out = list(base)
        for item in patch:
            if not isinstance(item, dict) or key not in item:
                raise RenderError(f"list '{field}' items need the merge key '{key}'")
            idx = next((i for i, b in enumerate(out) if isinstance(b, dict) and
                        b.get(key) == item[key]), None)
            if item.get("$patch") == "delete":
                if idx is not None:
                    out.pop(idx)
            elif idx is None:
                out.append(strategic_merge(None, item))
            else:
                out[idx] = strategic_merge(out[idx], item, None)
        return out
    if isinstance(base, (dict, list)) or base is None:
        return copy.deepcopy(patch)
    return patch


def strip_directives(v):
    if isinstance(v, dict):
        return {k: strip_directives(x) for k, x in v.items() if k != "$patch"}
    if isinstance(v, list):
        return [strip_directives(x) for x in v]
    return v


def matches(obj, target):
    md = obj.get("metadata", {})
    for key, actual in (("kind", obj.get("kind")), ("name", md.get("name")),
                        ("namespace", md.get("namespace"))):
        if key in target and target[key] != actual:
            return False
    unknown = set(target) - {"kind", "name", "namespace", "group", "version"}
    if unknown:
        raise RenderError(f"unsupported patch target fields: {sorted(unknown)}")
    if "group" in target or "version" in target:
        api = obj.get("apiVersion", "")
        group, _, version = api.rpartition("/")
        if target.get("group", group) != group or target.get("version", version) != version:
            return False
    return True


def apply_patches(objs, patches, base_dir):
    for p in patches:
        if not isinstance(p, dict) or not (set(p) <= {"path", "patch", "target"}):
            raise RenderError(f"unsupported patch entry {p!r}")
        if "path" in p:
            docs = load_docs(os.path.join(base_dir, p["path"]))
        elif "patch" in p:
            docs = [d for d in yaml.safe_load_all(p["patch"]) if d is not None]
        else:
            raise RenderError("a patch needs path or patch")
        for doc in docs:
            if isinstance(doc, list) or "op" in doc:
                raise RenderError("JSON 6902 patches are not supported; use strategic merge")
            target = p.get("target") or {"kind": doc.get("kind"),
                                         "name": doc.get("metadata", {}).get("name")}
            if "target" not in p and doc.get("metadata", {}).get("namespace"):
                target["namespace"] = doc["metadata"]["namespace"]
            hit = False
            for i, obj in enumerate(objs):
                if obj is not None and matches(obj, target):
                    hit = True
                    body = dict(doc)
                    if "target" in p:  # a targeted patch does not rename what it hits
                        body.pop("metadata", None)
                    objs[i] = strategic_merge(obj, body)
            if not hit:
                raise RenderError(f"patch target {target} matches no resource")
    return [strip_directives(o) for o in objs if o is not None]


def pod_specs(obj):
    spec = obj.get("spec") or {}
    if obj["kind"] == "Pod":
        return [spec]
    if obj["kind"] == "CronJob":
        return [spec.get("jobTemplate", {}).get("spec", {}).get("template", {}).get("spec", {})]
    if "template" in spec:
        return [spec["template"].get("spec", {})]
    return []


def split_image(image):
    """(name, separator+tag-or-digest) with registry ports kept in the name."""
    if "@" in image:
        name, digest = image.split("@", 1)
        return name, "@" + digest
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon > slash:
        return image[:colon], image[colon:]
    return image, ""


def apply_images(objs, images):
    for entry in images:
        if not set(entry) <= {"name", "newName", "newTag", "digest"} or "name" not in entry:
            raise RenderError(f"unsupported images entry {entry!r}")
        for obj in objs:
            for spec in pod_specs(obj):
                for group in ("initContainers", "containers", "ephemeralContainers"):
                    for c in spec.get(group) or []:
                        name, suffix = split_image(c.get("image", ""))
                        if name != entry["name"]:
                            continue
                        name = entry.get("newName", name)
                        if "digest" in entry:
                            suffix = "@" + entry["digest"]
                        elif "newTag" in entry:
                            suffix = ":" + str(entry["newTag"])
                        c["image"] = name + suffix


def apply_labels(objs, labels):
    for entry in labels:
        if not set(entry) <= {"pairs", "includeSelectors", "includeTemplates"}:
            raise RenderError(f"unsupported labels entry {entry!r}")
        pairs = {k: str(v) for k, v in (entry.get("pairs") or {}).items()}
        selectors = bool(entry.get("includeSelectors", False))
        templates = bool(entry.get("includeTemplates", False)) or selectors
        for obj in objs:
            obj.setdefault("metadata", {}).setdefault("labels", {}).update(pairs)
            spec = obj.get("spec")
            if not isinstance(spec, dict):
                continue
            if templates and isinstance(spec.get("template"), dict):
                spec["template"].setdefault("metadata", {}).setdefault("labels", {}).update(pairs)
            if selectors and isinstance(spec.get("selector"), dict):
                sel = spec["selector"]
                target = sel.setdefault("matchLabels", {}) if obj["kind"] not in (
                    "Service", "ReplicationController") else sel
                target.update(pairs)


def apply_namespace(objs, namespace):
    for obj in objs:
        if obj["kind"] in CLUSTER_SCOPED:
            continue
        obj["metadata"]["namespace"] = namespace


def render(directory, _stack=()):
    directory = os.path.abspath(directory)
    if directory in _stack:
        raise RenderError(f"{directory}: resource cycle")
    path = find_kustomization(directory)
    with open(path) as f:
        k = yaml.safe_load(f) or {}
    unknown = set(k) - SUPPORTED
    if unknown:
        raise RenderError(f"{path}: unsupported keys {sorted(unknown)}")
    objs = []
    for res in k.get("resources") or []:
        full = os.path.join(directory, res)
        if os.path.isdir(full):
            objs.extend(render(full, _stack + (directory,)))
        elif os.path.isfile(full):
            objs.extend(load_docs(full))
        else:
            raise RenderError(f"{path}: resource {res} does not exist")
    seen = set()
    for o in objs:
        ident = (o.get("apiVersion"), o["kind"], o["metadata"].get("namespace"),
                 o["metadata"].get("name"))
        if ident in seen:
            raise RenderError(f"{path}: duplicate resource {ident}")
        seen.add(ident)
    objs = apply_patches(objs, k.get("patches") or [], directory)
    if k.get("namespace"):
        apply_namespace(objs, k["namespace"])
    apply_labels(objs, k.get("labels") or [])
    apply_images(objs, k.get("images") or [])
    return objs


def order_key(obj):
    kind = obj["kind"]
    if kind in LEGACY_ORDER:
        rank = (0, LEGACY_ORDER.index(kind), "")
    elif kind in LEGACY_LAST:
        rank = (2, LEGACY_LAST.index(kind), "")
    else:
        rank = (1, 0, kind)
    md = obj["metadata"]
    return rank + (md.get("namespace") or "", md.get("name") or "")


def dump(objs):
    class NoAliases(yaml.SafeDumper):
        def ignore_aliases(self, data):
            return True
    return yaml.dump_all(sorted(objs, key=order_key), Dumper=NoAliases, sort_keys=True,
                         default_flow_style=False)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("dir")
    p.add_argument("-o", "--output")
    a = p.parse_args()
    try:
        text = dump(render(a.dir))
    except (RenderError, OSError) as e:
        print(f"kustomize_lite: {e}", file=sys.stderr)
        return 1
    if a.output:
        with open(a.output, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
