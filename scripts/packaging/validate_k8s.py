#!/usr/bin/env python3
"""Validates rendered Kubernetes objects offline (no API server, no schema download).

Usage: validate_k8s.py FILE.yaml [FILE.yaml ...]     (each a rendered YAML stream)

Checks, per object: apiVersion/kind known, name valid, namespace present exactly on namespaced
kinds; per pod template: selector matches labels, container names unique, images tagged (never
:latest), every volumeMount/volumeDevice names a declared volume and every volume is used, probes
reach a declared port, $(VAR) in args is defined, Bidirectional propagation only in privileged
containers, no hostPID, hostPath paths absolute with a known type, serviceAccount/ConfigMap
references resolve, and pods in a namespace labelled `restricted` meet that Pod Security level;
RBAC: known verbs, no wildcards, roleRefs and subjects resolve; storage objects: known field
values, StorageClass parameters are strings. Prints every problem; exits 1 if there is any.
"""
import re
import sys

import yaml

KINDS = {
    ("v1", "Namespace"): False, ("v1", "ServiceAccount"): True, ("v1", "ConfigMap"): True,
    ("v1", "Secret"): True, ("v1", "Service"): True, ("v1", "Pod"): True,
    ("v1", "PersistentVolumeClaim"): True,
    ("apps/v1", "Deployment"): True, ("apps/v1", "DaemonSet"): True,
    ("apps/v1", "StatefulSet"): True,
    ("rbac.authorization.k8s.io/v1", "Role"): True,
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): False,
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): True,
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): False,
    ("storage.k8s.io/v1", "CSIDriver"): False, ("storage.k8s.io/v1", "StorageClass"): False,
    ("snapshot.storage.k8s.io/v1", "VolumeSnapshotClass"): False,
}
DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
VERBS = {"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}
HOSTPATH_TYPES = {"", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket",
                  "CharDevice", "BlockDevice"}
FIELD_PATHS = {"metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName",
               "spec.serviceAccountName", "status.hostIP", "status.podIP", "status.podIPs"}
VAR_REF = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


class Validator:
    def __init__(self, objs):
        self.objs = objs
        self.problems = []
        self.by_kind = {}
        for o in objs:
            self.by_kind.setdefault(o.get("kind"), []).append(o)

    def err(self, obj, msg):
        md = obj.get("metadata") or {}
        self.problems.append(f"{obj.get('kind')}/{md.get('name')}: {msg}")

    def exists(self, kind, name, namespace=None):
        for o in self.by_kind.get(kind, []):
            md = o["metadata"]
            if md.get("name") == name and (namespace is None or md.get("namespace") == namespace):
                return True
        return False

    def run(self):
        for o in self.objs:
            self.common(o)
            kind = o.get("kind")
            if kind in ("Deployment", "DaemonSet", "StatefulSet", "Pod"):
                self.workload(o)
            elif kind in ("Role", "ClusterRole"):
                self.role(o)
            elif kind in ("RoleBinding", "ClusterRoleBinding"):
                self.binding(o)
            elif kind == "CSIDriver":
                self.csidriver(o)
            elif kind == "StorageClass":
                self.storageclass(o)
            elif kind == "VolumeSnapshotClass":
                if o.get("deletionPolicy") not in ("Delete", "Retain") or not o.get("driver"):
                    self.err(o, "needs driver and deletionPolicy Delete|Retain")
            elif kind == "PersistentVolumeClaim":
                self.pvc(o)
            elif kind in ("ConfigMap", "Secret"):
                for field in ("data", "stringData"):
                    for k, v in (o.get(field) or {}).items():
                        if not isinstance(v, str):
                            self.err(o, f"{field}.{k} must be a string")
        return self.problems

    def common(self, o):
        key = (o.get("apiVersion"), o.get("kind"))
        if key not in KINDS:
            self.err(o, f"unknown apiVersion/kind {key}")
            return
        md = o.get("metadata")
        if not isinstance(md, dict) or not isinstance(md.get("name"), str):
            self.err(o, "metadata.name missing")
            return
        if len(md["name"]) > 253 or not DNS1123.match(md["name"]):
            self.err(o, "metadata.name is not a DNS-1123 subdomain")
        namespaced = KINDS[key]
        if namespaced and not md.get("namespace"):
            self.err(o, "namespaced object without metadata.namespace")
        if not namespaced and "namespace" in md:
            self.err(o, "cluster-scoped object with metadata.namespace")
        for k, v in (md.get("labels") or {}).items():
            if not isinstance(v, str) or len(v) > 63:
                self.err(o, f"label {k} must be a string of at most 63 characters")

    def namespace_level(self, ns):
        for n in self.by_kind.get("Namespace", []):
            if n["metadata"]["name"] == ns:
                return (n["metadata"].get("labels") or {}).get("pod-security.kubernetes.io/enforce")
        return None

    def workload(self, o):
        spec = o.get("spec") or {}
        if o["kind"] == "Pod":
            pod, labels = spec, (o["metadata"].get("labels") or {})
        else:
            tmpl = spec.get("template") or {}
            pod, labels = tmpl.get("spec") or {}, (tmpl.get("metadata") or {}).get("labels") or {}
            sel = (spec.get("selector") or {}).get("matchLabels") or {}
            if not sel:
                self.err(o, "spec.selector.matchLabels is empty")
            for k, v in sel.items():
                if labels.get(k) != v:
                    self.err(o, f"selector {k}={v} does not match the pod template labels")
            if o["kind"] == "Deployment" and not isinstance(spec.get("replicas", 1), int):
                self.err(o, "replicas must be an integer")
        if pod.get("hostPID"):
            self.err(o, "hostPID is not allowed")
        ns = o["metadata"].get("namespace")
        sa = pod.get("serviceAccountName")
        if sa and self.by_kind.get("ServiceAccount") is not None and not self.exists(
                "ServiceAccount", sa, ns):
            self.err(o, f"serviceAccountName {sa} is not defined in namespace {ns}")
        volumes = {}
        for v in pod.get("volumes") or []:
            name = v.get("name")
            if not name or not LABEL1123.match(name):
                self.err(o, f"volume name {name!r} is not a DNS-1123 label")
            if name in volumes:
                self.err(o, f"volume {name} declared twice")
            volumes[name] = v
            if "hostPath" in v:
                hp = v["hostPath"]
                if not str(hp.get("path", "")).startswith("/"):
                    self.err(o, f"volume {name}: hostPath.path must be absolute")
                if hp.get("type", "") not in HOSTPATH_TYPES:
                    self.err(o, f"volume {name}: unknown hostPath.type {hp.get('type')}")
            if "configMap" in v and self.by_kind.get("ConfigMap") is not None:
                cm = v["configMap"].get("name")
                if not self.exists("ConfigMap", cm, ns):
                    self.err(o, f"volume {name}: ConfigMap {cm} is not defined")
        used = set()
        containers = (pod.get("initContainers") or []) + (pod.get("containers") or [])
        if not pod.get("containers"):
            self.err(o, "no containers")
        names = [c.get("name") for c in containers]
        for n in set(names):
            if names.count(n) > 1:
                self.err(o, f"container name {n} used twice")
        all_ports = {p.get("containerPort") for c in containers for p in c.get("ports") or []}
        host_ns = pod.get("hostNetwork") or pod.get("hostPID") or pod.get("hostIPC")
        restricted = self.namespace_level(ns) == "restricted"
        psc = pod.get("securityContext") or {}
        for c in containers:
            cname = c.get("name")
            where = f"container {cname}"
            image = c.get("image", "")
            last = image.rsplit("/", 1)[-1]
            if "@sha256:" not in image and (":" not in last or last.endswith(":latest")):
                self.err(o, f"{where}: image {image!r} must carry an explicit tag (not latest)")
            env = {e.get("name") for e in c.get("env") or []}
            for e in c.get("env") or []:
                fr = ((e.get("valueFrom") or {}).get("fieldRef") or {}).get("fieldPath")
                if fr is not None and fr not in FIELD_PATHS:
                    self.err(o, f"{where}: env {e.get('name')}: unknown fieldPath {fr}")
            for arg in (c.get("args") or []) + (c.get("command") or []):
                for var in VAR_REF.findall(str(arg)):
                    if var not in env:
                        self.err(o, f"{where}: $({var}) is not defined in env")
            ports = {p.get("name"): p.get("containerPort") for p in c.get("ports") or []}
            for p in c.get("ports") or []:
                if not isinstance(p.get("containerPort"), int) or not 0 < p["containerPort"] < 65536:
                    self.err(o, f"{where}: bad containerPort {p.get('containerPort')}")
            sc = c.get("securityContext") or {}
            privileged = bool(sc.get("privileged"))
            for m in c.get("volumeMounts") or []:
                if m.get("name") not in volumes:
                    self.err(o, f"{where}: volumeMount {m.get('name')} names no volume")
                used.add(m.get("name"))
                if not str(m.get("mountPath", "")).startswith("/"):
                    self.err(o, f"{where}: mountPath must be absolute")
                prop = m.get("mountPropagation", "None")
                if prop not in ("None", "HostToContainer", "Bidirectional"):
                    self.err(o, f"{where}: unknown mountPropagation {prop}")
                if prop == "Bidirectional" and not privileged:
                    self.err(o, f"{where}: Bidirectional propagation needs a privileged container")
            for d in c.get("volumeDevices") or []:
                if d.get("name") not in volumes:
                    self.err(o, f"{where}: volumeDevice {d.get('name')} names no volume")
                used.add(d.get("name"))
            for probe_name in ("livenessProbe", "readinessProbe", "startupProbe"):
                probe = c.get(probe_name)
                if probe is None:
                    continue
                handler = probe.get("httpGet") or probe.get("tcpSocket")
                if handler is not None:
                    port = handler.get("port")
                    if isinstance(port, str) and port not in ports:
                        self.err(o, f"{where}: {probe_name} port {port} is not a named port of "
                                    "this container")
                    if isinstance(port, int) and port not in all_ports:
                        self.err(o, f"{where}: {probe_name} port {port} is declared by no "
                                    "container")
                elif not (probe.get("exec") or {}).get("command"):
                    self.err(o, f"{where}: {probe_name} has no handler")
            if restricted:
                run_as_non_root = sc.get("runAsNonRoot", psc.get("runAsNonRoot"))
                seccomp = (sc.get("seccompProfile") or psc.get("seccompProfile") or {}).get("type")
                if (privileged or sc.get("allowPrivilegeEscalation") is not False or
                        "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []) or
                        run_as_non_root is not True or
                        seccomp not in ("RuntimeDefault", "Localhost")):
                    self.err(o, f"{where}: violates the restricted Pod Security level of "
                                f"namespace {ns}")
        if restricted and (host_ns or any("hostPath" in v for v in volumes.values())):
            self.err(o, f"host namespaces/hostPath in restricted namespace {ns}")
        for name in volumes:
            if name not in used:
                self.err(o, f"volume {name} is mounted by no container")

    def role(self, o):
        for i, r in enumerate(o.get("rules") or []):
            for field in ("apiGroups", "resources", "verbs"):
                vals = r.get(field)
                if not isinstance(vals, list) or not vals:
                    self.err(o, f"rules[{i}].{field} must be a non-empty list")
                    continue
                if "*" in vals:
                    self.err(o, f"rules[{i}].{field} has a wildcard (least privilege)")
            for v in r.get("verbs") or []:
                if v != "*" and v not in VERBS:
                    self.err(o, f"rules[{i}]: unknown verb {v}")
        if not o.get("rules"):
            self.err(o, "no rules")

    def binding(self, o):
        ref = o.get("roleRef") or {}
        if ref.get("apiGroup") != "rbac.authorization.k8s.io":
            self.err(o, "roleRef.apiGroup must be rbac.authorization.k8s.io")
        if o["kind"] == "ClusterRoleBinding" and ref.get("kind") != "ClusterRole":
            self.err(o, "a ClusterRoleBinding must reference a ClusterRole")
        ns = o["metadata"].get("namespace")
        if not self.exists(ref.get("kind"), ref.get("name"),
                           ns if ref.get("kind") == "Role" else None):
            self.err(o, f"roleRef {ref.get('kind')}/{ref.get('name')} is not defined")
        for s in o.get("subjects") or []:
            if s.get("kind") == "ServiceAccount":
                if not s.get("namespace"):
                    self.err(o, "ServiceAccount subject without namespace")
                elif not self.exists("ServiceAccount", s.get("name"), s.get("namespace")):
                    self.err(o, f"subject ServiceAccount {s.get('namespace')}/{s.get('name')} "
                                "is not defined")
        if not o.get("subjects"):
            self.err(o, "no subjects")

    def csidriver(self, o):
        spec = o.get("spec") or {}
        allowed = {"attachRequired", "podInfoOnMount", "fsGroupPolicy", "volumeLifecycleModes",
                   "storageCapacity", "tokenRequests", "requiresRepublish", "seLinuxMount"}
        for k in spec:
            if k not in allowed:
                self.err(o, f"unknown spec field {k}")
        for k in ("attachRequired", "podInfoOnMount"):
            if k in spec and not isinstance(spec[k], bool):
                self.err(o, f"spec.{k} must be a boolean")
        if spec.get("fsGroupPolicy", "ReadWriteOnceWithFSType") not in (
                "None", "File", "ReadWriteOnceWithFSType"):
            self.err(o, "unknown fsGroupPolicy")
        for m in spec.get("volumeLifecycleModes") or []:
            if m not in ("Persistent", "Ephemeral"):
                self.err(o, f"unknown volumeLifecycleMode {m}")

    def storageclass(self, o):
        if not o.get("provisioner"):
            self.err(o, "no provisioner")
        for k, v in (o.get("parameters") or {}).items():
            if not isinstance(v, str):
                self.err(o, f"parameter {k} must be a string (quote it)")
        if o.get("reclaimPolicy", "Delete") not in ("Delete", "Retain"):
            self.err(o, "reclaimPolicy must be Delete or Retain")
        if o.get("volumeBindingMode", "Immediate") not in ("Immediate", "WaitForFirstConsumer"):
            self.err(o, "unknown volumeBindingMode")

    def pvc(self, o):
        spec = o.get("spec") or {}
        for m in spec.get("accessModes") or []:
            if m not in ("ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"):
                self.err(o, f"unknown access mode {m}")
        if spec.get("volumeMode", "Filesystem") not in ("Filesystem", "Block"):
            self.err(o, "volumeMode must be Filesystem or Block")
        sc = spec.get("storageClassName")
        if sc and self.by_kind.get("StorageClass") is not None and not self.exists(
                "StorageClass", sc):
            self.err(o, f"storageClassName {sc} is not defined")
        if not ((spec.get("resources") or {}).get("requests") or {}).get("storage"):
            self.err(o, "no storage request")


def validate(objs):
    return Validator(objs).run()


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    bad = 0
    for path in sys.argv[1:]:
        with open(path) as f:
            objs = [d for d in yaml.safe_load_all(f) if d is not None]
        problems = validate(objs)
        for p in problems:
            print(f"validate_k8s: {path}: {p}", file=sys.stderr)
        bad += len(problems)
        if not problems:
            print(f"validate_k8s: {path}: {len(objs)} objects OK")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
