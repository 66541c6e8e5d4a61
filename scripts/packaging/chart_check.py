#!/usr/bin/env python3
"""Renders the Helm chart (helm_lite.py) and checks it against the kustomize render.

Usage: chart_check.py SOURCE_DIR

For each node mode, the chart rendered with namespace.create=true into namespace truenas-csi must
give exactly the objects of deploy/overlays/<mode> (rendered by kustomize_lite.py), once Helm's
own ownership labels (managed-by, instance) are set aside and the controller's config file is
compared as YAML rather than as text. With ci/examples-values.yaml its StorageClasses and
VolumeSnapshotClass must equal deploy/examples' (labels aside). Every render must pass
validate_k8s.py. Then the values that change the shape: a custom node.kubeletHostPath moves every
kubelet path, driver.existingConfigMap / apiKey.value / caSecret, sidecar extraArgs, a wrong
node.mode renders no node pods. Prints every problem; exits 1 if there is any.
"""
import copy
import os
import sys
import tempfile

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import helm_lite  # noqa: E402
import kustomize_lite  # noqa: E402
import validate_k8s  # noqa: E402

HELM_LABELS = ("app.kubernetes.io/managed-by", "app.kubernetes.io/instance")
NAMESPACE = "truenas-csi"


def normalise(objs, drop_labels=False):
    out = {}
    for o in copy.deepcopy(objs):
        md = o["metadata"]
        labels = md.get("labels") or {}
        for k in HELM_LABELS:
            labels.pop(k, None)
        if drop_labels or not labels:
            md.pop("labels", None)
        if o["kind"] == "ConfigMap":
            o["data"] = {k: yaml.safe_load(v) for k, v in (o.get("data") or {}).items()}
        out[(o["apiVersion"], o["kind"], md.get("namespace"), md["name"])] = o
    return out


def diff(a, b, path=""):
    """First differences between two parsed objects, as 'path: a != b' lines."""
    if isinstance(a, dict) and isinstance(b, dict):
        lines = []
        for k in sorted(set(a) | set(b), key=str):
            lines += diff(a.get(k), b.get(k), f"{path}.{k}")
        return lines
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        lines = []
        for i, (x, y) in enumerate(zip(a, b)):
            lines += diff(x, y, f"{path}[{i}]")
        return lines
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def compare(name, chart, want, problems):
    for key in sorted(set(chart) | set(want), key=str):
        if key not in chart:
            problems.append(f"{name}: the chart lacks {key}")
        elif key not in want:
            problems.append(f"{name}: the chart has {key}, kustomize does not")
        else:
            for line in diff(chart[key], want[key])[:5]:
                problems.append(f"{name}: {key[1]}/{key[3]}{line}")


def render(src, sets=(), files=()):
    return helm_lite.render_chart(os.path.join(src, "deploy/helm/truenas-csi"), files, sets,
                                  NAMESPACE, "truenas-csi")


def find(objs, kind, name=None):
    return [o for o in objs if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]


def containers(obj):
    return {c["name"]: c for c in obj["spec"]["template"]["spec"]["containers"]}


def check(src):
    problems = []

    def validate(name, objs):
        for p in validate_k8s.validate(objs):
            problems.append(f"{name}: invalid: {p}")

    for mode in ("daemonset", "host-agent"):
        objs = render(src, ["namespace.create=true", f"node.mode={mode}"])
        validate(f"chart {mode}", objs)
        kust = kustomize_lite.render(os.path.join(src, "deploy/overlays", mode))
        compare(f"chart {mode} vs deploy/overlays/{mode}", normalise(objs), normalise(kust),
                problems)

    examples_values = os.path.join(src, "deploy/helm/truenas-csi/ci/examples-values.yaml")
    objs = render(src, files=[examples_values])
    validate("chart with ci/examples-values.yaml", objs)
    classes = [o for o in objs if o["kind"] in ("StorageClass", "VolumeSnapshotClass")]
    examples = [o for o in kustomize_lite.render(os.path.join(src, "deploy/examples"))
                if o["kind"] in ("StorageClass", "VolumeSnapshotClass")]
    compare("chart classes vs deploy/examples", normalise(classes, True),
            normalise(examples, True), problems)
    if find(objs, "Namespace"):
        problems.append("namespace.create=false still renders a Namespace")

    # A custom kubelet path (microk8s, k0s ...): every kubelet path moves, none is left behind.
    kubelet = "/var/snap/microk8s/common/var/lib/kubelet"
    objs = render(src, [f"node.kubeletHostPath={kubelet}"])
    validate("chart with node.kubeletHostPath", objs)
    ds = find(objs, "DaemonSet")
    text = yaml.safe_dump(ds)
    if not ds or "/var/lib/kubelet" in text.replace(kubelet, ""):
        problems.append("node.kubeletHostPath: a path still names /var/lib/kubelet")
    elif f"--kubelet-dir={kubelet}" not in containers(ds[0])["truenas-csi-node"]["args"]:
        problems.append("node.kubeletHostPath: the agent's --kubelet-dir did not follow")

    # Bring-your-own config and secret, CA mount, extra args, created Secret.
    objs = render(src, ["driver.existingConfigMap=my-config", "driver.apiKey.existingSecret=my-key",
                        "driver.apiKey.value=1-abc", "driver.caSecret=truenas-ca"])
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
        yaml.safe_dump({"controller": {"sidecars": {"provisioner": {
            "extraArgs": ["--worker-threads=20"]}}}}, f)
        f.flush()
        extra = render(src, files=[f.name])
    if find(objs, "ConfigMap"):
        problems.append("driver.existingConfigMap still renders the ConfigMap")
    dep = find(objs, "Deployment")[0]
    vols = {v["name"]: v for v in dep["spec"]["template"]["spec"]["volumes"]}
    if vols["config"]["configMap"]["name"] != "my-config":
        problems.append("driver.existingConfigMap is not mounted")
    if vols["api-key"]["secret"]["secretName"] != "my-key":
        problems.append("driver.apiKey.existingSecret is not mounted")
    secrets = find(objs, "Secret", "my-key")
    if not secrets or secrets[0].get("stringData", {}).get("api-key") != "1-abc":
        problems.append("driver.apiKey.value does not create the Secret")
    if vols.get("ca", {}).get("secret", {}).get("secretName") != "truenas-ca" or not any(
            m["mountPath"] == "/etc/truenas-csi/ca"
            for m in containers(dep)["truenas-csi-controller"]["volumeMounts"]):
        problems.append("driver.caSecret is not mounted at /etc/truenas-csi/ca")
    validate("chart with existing config/secret and CA", objs)
    prov = containers(find(extra, "Deployment")[0])["csi-provisioner"]
    if prov["args"][-1] != "--worker-threads=20":
        problems.append("controller.sidecars.provisioner.extraArgs are not passed")
    return problems


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        problems = check(sys.argv[1])
    except (helm_lite.RenderError, kustomize_lite.RenderError, OSError, KeyError,
            IndexError) as e:
        problems = [f"{type(e).__name__}: {e}"]
    for p in problems:
        print(f"chart_check: {p}", file=sys.stderr)
    if not problems:
        print("chart_check: the chart renders the kustomize objects in both modes, the example "
              "classes, and every shape-changing value checked")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
