#!/usr/bin/env python3
"""Unit tests for the packaging checkers: each must accept the real artefacts and reject a
broken one with a message naming the problem (so a green packaging run means something).

Usage: test_checkers.py SOURCE_DIR [unittest args]
"""
import copy
import os
import re
import shutil
import sys
import tempfile
import unittest

import yaml

SRC = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else os.getcwd()
sys.path.insert(0, os.path.join(SRC, "scripts/packaging"))
import chart_check  # noqa: E402
import check_consistency  # noqa: E402
import helm_lite  # noqa: E402
import kustomize_lite  # noqa: E402
import talos_check  # noqa: E402
import validate_k8s  # noqa: E402


def render(mode):
    return kustomize_lite.render(os.path.join(SRC, "deploy/overlays", mode))


def find(objs, kind, name=None):
    return next(o for o in objs if o["kind"] == kind and (name is None or
                                                          o["metadata"]["name"] == name))


def container(obj, name):
    return next(c for c in obj["spec"]["template"]["spec"]["containers"] if c["name"] == name)


class ValidatorTest(unittest.TestCase):
    def setUp(self):
        self.objs = render("daemonset")

    def problems(self):
        return "\n".join(validate_k8s.validate(self.objs))

    def test_real_overlays_are_valid(self):
        for mode in ("daemonset", "host-agent"):
            self.assertEqual(validate_k8s.validate(render(mode)), [], mode)

    def test_host_pid_rejected(self):
        find(self.objs, "DaemonSet")["spec"]["template"]["spec"]["hostPID"] = True
        self.assertIn("hostPID is not allowed", self.problems())

    def test_mount_without_volume(self):
        container(find(self.objs, "DaemonSet"), "truenas-csi-node")["volumeMounts"].append(
            {"name": "nope", "mountPath": "/x"})
        self.assertIn("volumeMount nope names no volume", self.problems())

    def test_unused_volume(self):
        find(self.objs, "DaemonSet")["spec"]["template"]["spec"]["volumes"].append(
            {"name": "spare", "emptyDir": {}})
        self.assertIn("volume spare is mounted by no container", self.problems())

    def test_probe_port_must_exist(self):
        c = container(find(self.objs, "Deployment"), "truenas-csi-controller")
        c["livenessProbe"]["httpGet"]["port"] = "health"
        self.assertIn("livenessProbe port health is not a named port", self.problems())

    def test_untagged_and_latest_images(self):
        dep = find(self.objs, "Deployment")
        container(dep, "csi-attacher")["image"] = "registry.k8s.io/sig-storage/csi-attacher"
        container(dep, "csi-resizer")["image"] = "registry.k8s.io/sig-storage/csi-resizer:latest"
        p = self.problems()
        self.assertIn("container csi-attacher: image", p)
        self.assertIn("container csi-resizer: image", p)

    def test_bidirectional_needs_privileged(self):
        c = container(find(self.objs, "DaemonSet"), "truenas-csi-node")
        c["securityContext"]["privileged"] = False
        self.assertIn("Bidirectional propagation needs a privileged container", self.problems())

    def test_rbac_wildcards_and_unknown_verbs(self):
        role = find(self.objs, "ClusterRole", "truenas-csi-external-attacher")
        role["rules"][0]["verbs"] = ["*"]
        role["rules"][1]["verbs"] = ["get", "steal"]
        p = self.problems()
        self.assertIn("has a wildcard", p)
        self.assertIn("unknown verb steal", p)

    def test_dangling_role_ref_and_subject(self):
        b = find(self.objs, "ClusterRoleBinding", "truenas-csi-external-resizer")
        b["roleRef"]["name"] = "missing-role"
        b["subjects"][0]["name"] = "ghost"
        p = self.problems()
        self.assertIn("roleRef ClusterRole/missing-role is not defined", p)
        self.assertIn("subject ServiceAccount truenas-csi/ghost is not defined", p)

    def test_undefined_env_reference(self):
        c = container(find(self.objs, "DaemonSet"), "truenas-csi-node")
        c["env"] = []
        self.assertIn("$(NODE_NAME) is not defined", self.problems())

    def test_restricted_namespace_enforced(self):
        objs = render("host-agent")
        c = container(find(objs, "Deployment"), "csi-provisioner")
        c["securityContext"]["allowPrivilegeEscalation"] = True
        self.assertIn("violates the restricted Pod Security level",
                      "\n".join(validate_k8s.validate(objs)))

    def test_storageclass_parameters_are_strings(self):
        sc = {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
              "metadata": {"name": "x"}, "provisioner": "csi.truenas-csi.io",
              "parameters": {"sparse": True}}
        self.assertIn("parameter sparse must be a string",
                      "\n".join(validate_k8s.validate([sc])))

    def test_namespace_placement(self):
        ns_cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}
        cluster = {"apiVersion": "storage.k8s.io/v1", "kind": "CSIDriver",
                   "metadata": {"name": "d", "namespace": "x"}, "spec": {}}
        unknown = {"apiVersion": "v9", "kind": "Gadget", "metadata": {"name": "g"}}
        p = "\n".join(validate_k8s.validate([ns_cm, cluster, unknown]))
        self.assertIn("namespaced object without metadata.namespace", p)
        self.assertIn("cluster-scoped object with metadata.namespace", p)
        self.assertIn("unknown apiVersion/kind", p)


class RendererTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.dir)

    def write(self, rel, obj):
        path = os.path.join(self.dir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            if isinstance(obj, list):
                yaml.safe_dump_all(obj, f)
            else:
                yaml.safe_dump(obj, f)

    def base(self):
        dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
               "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {
                   "metadata": {"labels": {"a": "b"}}, "spec": {
                       "containers": [{"name": "one", "image": "reg:5000/one:1", "args": ["x"]},
                                      {"name": "two", "image": "two@sha256:abc"}],
                       "volumes": [{"name": "v", "emptyDir": {}}]}}}}
        sc = {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
              "metadata": {"name": "s"}, "provisioner": "p"}
        self.write("base/res.yaml", [dep, sc])
        self.write("base/kustomization.yaml", {"resources": ["res.yaml"]})

    def test_patches_namespace_labels_images(self):
        self.base()
        self.write("ov/patch.yaml", {
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
            "spec": {"replicas": 3, "template": {"spec": {
                "containers": [{"name": "one", "args": ["y"]},
                               {"name": "two", "$patch": "delete"},
                               {"name": "three", "image": "three:1"}],
                "volumes": [{"name": "v", "$patch": "delete"}]}}}})
        self.write("ov/kustomization.yaml", {
            "resources": ["../base"], "namespace": "ns", "patches": [{"path": "patch.yaml"}],
            "labels": [{"pairs": {"l": "1"}}],
            "images": [{"name": "reg:5000/one", "newTag": "2"},
                       {"name": "three", "newName": "reg/three"}]})
        objs = kustomize_lite.render(os.path.join(self.dir, "ov"))
        dep = find(objs, "Deployment")
        sc = find(objs, "StorageClass")
        self.assertEqual(dep["metadata"]["namespace"], "ns")
        self.assertNotIn("namespace", sc["metadata"])
        self.assertEqual(dep["spec"]["replicas"], 3)
        cs = dep["spec"]["template"]["spec"]["containers"]
        self.assertEqual([c["name"] for c in cs], ["one", "three"])
        self.assertEqual(cs[0]["args"], ["y"])
        self.assertEqual(cs[0]["image"], "reg:5000/one:2")
        self.assertEqual(cs[1]["image"], "reg/three:1")
        self.assertEqual(dep["spec"]["template"]["spec"]["volumes"], [])
        self.assertEqual(dep["metadata"]["labels"], {"l": "1"})
        self.assertEqual(dep["spec"]["selector"]["matchLabels"], {"a": "b"})
        self.assertNotIn("$patch", yaml.safe_dump(objs))

    def test_unsupported_key_is_an_error(self):
        self.base()
        self.write("ov/kustomization.yaml", {"resources": ["../base"], "namePrefix": "x-"})
        with self.assertRaisesRegex(kustomize_lite.RenderError, "unsupported keys"):
            kustomize_lite.render(os.path.join(self.dir, "ov"))

    def test_patch_must_hit(self):
        self.base()
        self.write("ov/p.yaml", {"apiVersion": "v1", "kind": "ConfigMap",
                                 "metadata": {"name": "nope"}, "data": {}})
        self.write("ov/kustomization.yaml", {"resources": ["../base"],
                                             "patches": [{"path": "p.yaml"}]})
        with self.assertRaisesRegex(kustomize_lite.RenderError, "matches no resource"):
            kustomize_lite.render(os.path.join(self.dir, "ov"))

    def test_duplicate_resource(self):
        self.base()
        self.write("ov/kustomization.yaml", {"resources": ["../base", "../base/res.yaml"]})
        with self.assertRaisesRegex(kustomize_lite.RenderError, "duplicate resource"):
            kustomize_lite.render(os.path.join(self.dir, "ov"))


class TalosCheckTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        ext = self.dir
        with open(os.path.join(SRC, "talos/manifest.yaml.in")) as f:
            self.manifest = yaml.safe_load(f.read().replace("@VERSION@", "1.2.3"))
        with open(os.path.join(SRC, "talos/rootfs/usr/local/etc/containers/"
                                    "truenas-csi-node.yaml")) as f:
            self.spec = yaml.safe_load(f)
        self.rootfs = os.path.join(ext, "rootfs/usr/local/lib/containers/truenas-csi-node")
        for m in self.spec["container"]["mounts"]:
            os.makedirs(self.rootfs + m["destination"], exist_ok=True)
        os.makedirs(self.rootfs + "/usr/local/bin")
        binary = self.rootfs + "/usr/local/bin/truenas-csi-node"
        with open(binary, "w") as f:
            f.write("#!/bin/sh\n")
        os.chmod(binary, 0o755)

    def tearDown(self):
        shutil.rmtree(self.dir)

    def check(self):
        with open(os.path.join(self.dir, "manifest.yaml"), "w") as f:
            yaml.safe_dump(self.manifest, f)
        d = os.path.join(self.dir, "rootfs/usr/local/etc/containers")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "truenas-csi-node.yaml"), "w") as f:
            yaml.safe_dump(self.spec, f)
        return "\n".join(talos_check.check(self.dir))

    def test_real_files_pass(self):
        self.assertEqual(self.check(), "")

    def test_spec_errors(self):
        self.spec["restart"] = "sometimes"
        self.spec["container"]["bogus"] = 1
        self.spec["depends"].append({"service": "cri", "path": "/x"})
        self.spec["depends"].append({"network": ["addresses", "wifi"]})
        self.spec["container"]["mounts"][0]["options"] = ["ro", "rw"]
        self.spec["container"]["mounts"].append({"source": "/x", "destination": "/nowhere",
                                                 "type": "bind", "options": ["bind"]})
        p = self.check()
        for want in ("spec.restart", "unknown key 'bogus'", "exactly one dependency kind",
                     "unknown network condition 'wifi'", "needs bind or rbind", "both ro and rw",
                     "/nowhere does not exist"):
            self.assertIn(want, p)

    def test_manifest_errors(self):
        self.manifest["metadata"]["name"] = "Bad Name"
        self.manifest["metadata"]["compatibility"]["talos"]["version"] = "soon"
        p = self.check()
        self.assertIn("does not match", p)
        self.assertIn("is not a version constraint", p)

    def test_files_outside_allowed_paths(self):
        os.makedirs(os.path.join(self.dir, "rootfs/etc"))
        open(os.path.join(self.dir, "rootfs/etc/evil"), "w").close()
        open(os.path.join(self.dir, "rootfs/usr/local/lib/stray.so"), "w").close()
        p = self.check()
        self.assertIn("/rootfs/etc is outside", p)
        self.assertIn("/rootfs/usr/local/lib/stray.so is outside", p)

    def test_entrypoint_must_be_executable(self):
        os.chmod(self.rootfs + "/usr/local/bin/truenas-csi-node", 0o644)
        self.assertIn("is not an executable in the rootfs", self.check())


class ConsistencyTest(unittest.TestCase):
    """Mutates a copy of the tree and expects check_consistency to name the mismatch."""

    def setUp(self):
        self.dir = tempfile.mkdtemp()
        for d in ("deploy", "docs", "talos", "systemd"):
            shutil.copytree(os.path.join(SRC, d), os.path.join(self.dir, d))
        shutil.copy(os.path.join(SRC, "CMakeLists.txt"), self.dir)

    def tearDown(self):
        shutil.rmtree(self.dir)

    def edit(self, rel, old, new):
        path = os.path.join(self.dir, rel)
        with open(path) as f:
            text = f.read()
        self.assertIn(old, text, rel)
        with open(path, "w") as f:
            f.write(text.replace(old, new))

    def problems(self):
        return "\n".join(check_consistency.check(self.dir))

    def test_real_tree_agrees(self):
        self.assertEqual(self.problems(), "")

    def test_sidecar_http_endpoint_without_port(self):
        self.edit("deploy/base/controller-deployment.yaml", "containerPort: 8081",
                  "containerPort: 18081")
        self.assertIn("csi-attacher: --http-endpoint port 8081 is not a containerPort",
                      self.problems())

    def test_sidecar_probe_on_another_port(self):
        self.edit("deploy/base/controller-deployment.yaml", "port: resize-http", "port: snap-http")
        self.assertIn("csi-resizer: no livenessProbe over HTTP", self.problems())

    def test_metrics_address_needs_port(self):
        self.edit("deploy/node-daemonset/node-daemonset.yaml", "--metrics-address=:9811",
                  "--metrics-address=:9813")
        self.assertIn("DaemonSet agent: --metrics-address port 9813", self.problems())

    def test_host_network_port_clash(self):
        self.edit("deploy/node-daemonset/node-daemonset.yaml", "--http-endpoint=:9812",
                  "--http-endpoint=:9811")
        self.edit("deploy/node-daemonset/node-daemonset.yaml", "containerPort: 9812",
                  "containerPort: 9811")
        self.assertIn("declares a port twice", self.problems())

    def test_talos_socket_path(self):
        self.edit("talos/rootfs/usr/local/etc/containers/truenas-csi-node.yaml",
                  "plugins/csi.truenas-csi.io/csi.sock", "plugins/other/csi.sock")
        self.assertIn("Talos service args lack --endpoint", self.problems())

    def test_image_tag(self):
        self.edit("deploy/overlays/daemonset/kustomization.yaml", "newTag: 0.1.0", "newTag: 9.9")
        self.assertIn("image", self.problems())

    def test_leader_election(self):
        self.edit("deploy/base/controller-deployment.yaml",
                  "            - --handle-volume-inuse-error=false\n            - --leader-election\n",
                  "            - --handle-volume-inuse-error=false\n")
        self.assertIn("csi-resizer lacks --leader-election", self.problems())

    def test_state_dir_in_node_yaml(self):
        self.edit("systemd/node.yaml", "state-dir: /var/lib/truenas-csi", "state-dir: /srv/x")
        self.assertIn("node.yaml state-dir", self.problems())

    def test_unit_state_directory(self):
        self.edit("systemd/truenas-csi-node.service", "StateDirectory=truenas-csi",
                  "StateDirectory=tnas")
        self.assertIn("StateDirectory", self.problems())

    def test_undocumented_flag(self):
        self.edit("talos/rootfs/usr/local/etc/containers/truenas-csi-node.yaml",
                  "    - --register-with-kubelet=true\n",
                  "    - --register-with-kubelet=true\n    - --frobnicate\n")
        self.assertIn("--frobnicate (used in Talos service) is not documented", self.problems())

    def test_storageclass_parameter_documented(self):
        self.edit("deploy/examples/storageclass-iscsi-xfs.yaml", "protocol: iscsi",
                  "protocol: iscsi\n  turbo: \"yes\"")
        self.assertIn("parameter turbo is not in", self.problems())

    def test_registrar_path(self):
        self.edit("deploy/node-daemonset/node-daemonset.yaml",
                  "- --kubelet-registration-path=/var/lib/kubelet/plugins/csi.truenas-csi.io/csi.sock\n"
                  "            - --v=2",
                  "- --kubelet-registration-path=/var/lib/kubelet/plugins/x/csi.sock\n"
                  "            - --v=2")
        self.assertIn("registrar --kubelet-registration-path", self.problems())

    def test_names_doc_drift(self):
        self.edit("deploy/names.env", "STATE_DIR=/var/lib/truenas-csi", "STATE_DIR=/var/lib/tn")
        p = self.problems()
        self.assertIn("docs/names.md does not name STATE_DIR", p)

    def test_flags_accepted_by_binaries(self):
        docs = ""
        for d in ("docs/names.md", "docs/configuration.md"):
            with open(os.path.join(self.dir, d)) as f:
                docs += f.read()
        flags = sorted(set(re.findall(r"`(--[a-z0-9-]+)", docs)))
        for name, drop in (("ctrl", None), ("node", "--state-dir")):
            with open(os.path.join(self.dir, name), "w") as f:
                f.write("#!/bin/sh\ncat <<'EOF'\nFlags:\n")
                f.write("".join(f"  {fl} <x>\n      help\n" for fl in flags if fl != drop))
                f.write("EOF\n")
            os.chmod(os.path.join(self.dir, name), 0o755)
        p = "\n".join(check_consistency.check(
            self.dir, [os.path.join(self.dir, "ctrl"), os.path.join(self.dir, "node")]))
        self.assertIn("--state-dir (used in", p)
        self.assertIn("is not accepted by the node binary", p)
        self.assertNotIn("controller binary", p)

    def test_host_agent_has_no_daemonset(self):
        self.edit("deploy/overlays/host-agent/kustomization.yaml", "  - ../../base\n",
                  "  - ../../base\n  - ../../node-daemonset\n")
        self.assertIn("host-agent: must not contain a DaemonSet", self.problems())


class HelmLiteTest(unittest.TestCase):
    """The template subset behaves like Go templates, and refuses what it does not implement."""

    def render(self, text, values=None, defines=None):
        d = dict(defines or {})
        nodes = helm_lite.parse_template(text, "t", d)
        r = helm_lite.Renderer(d, "t")
        root = {"Values": values or {}, "Release": {"Namespace": "ns", "Name": "r",
                                                    "Service": "Helm"}, "Chart": {}}
        r.root = root
        return r.run(nodes, root, {"$": root})

    def test_trimming_and_fields(self):
        self.assertEqual(self.render("a:\n  {{- .Values.x }}\nb: {{ .Release.Namespace -}}  \n",
                                     {"x": " 1"}), "a: 1\nb: ns")

    def test_if_else_if_and_default_on_false(self):
        t = '{{ if eq .Values.m "a" }}A{{ else if .Values.f }}F{{ else }}E{{ end }}'
        self.assertEqual(self.render(t, {"m": "a"}), "A")
        self.assertEqual(self.render(t, {"m": "b", "f": True}), "F")
        self.assertEqual(self.render(t, {"m": "b", "f": False}), "E")
        # Like Helm: default replaces false, so charts use hasKey for booleans.
        self.assertEqual(self.render("{{ .Values.b | default true }}", {"b": False}), "true")

    def test_range_map_sorted_and_vars(self):
        t = '{{- range $k, $v := .Values.p }}{{ $k }}={{ $v | quote }};{{ end }}'
        self.assertEqual(self.render(t, {"p": {"z": 1, "a": "x\"y"}}), 'a="x\\"y";z="1";')

    def test_include_toyaml_nindent(self):
        d = {}
        helm_lite.parse_template('{{- define "l" -}}k: {{ .Values.v }}{{- end }}', "h", d)
        self.assertEqual(self.render('m:\n  {{- include "l" . | nindent 2 }}', {"v": 1}, d),
                         "m:\n  k: 1")
        self.assertEqual(self.render("{{- toYaml .Values.r | nindent 2 }}", {"r": {"b": 1, "a": [2]}}),
                         "\n  a:\n  - 2\n  b: 1")

    def test_missing_value_and_unknown_function_fail(self):
        with self.assertRaisesRegex(helm_lite.RenderError, "missing value"):
            self.render("{{ .Values.typo }}")
        with self.assertRaisesRegex(helm_lite.RenderError, "unsupported function"):
            self.render("{{ .Values.x | upper }}", {"x": "a"})
        with self.assertRaisesRegex(helm_lite.RenderError, "without end"):
            self.render("{{ if .Values.x }}a")


class ChartCheckTest(unittest.TestCase):
    """chart_check names a chart that drifts from the kustomize render."""

    def setUp(self):
        self.dir = tempfile.mkdtemp()
        shutil.copytree(os.path.join(SRC, "deploy"), os.path.join(self.dir, "deploy"))

    def tearDown(self):
        shutil.rmtree(self.dir)

    def edit(self, rel, old, new):
        path = os.path.join(self.dir, rel)
        with open(path) as f:
            text = f.read()
        self.assertIn(old, text, rel)
        with open(path, "w") as f:
            f.write(text.replace(old, new, 1))

    def test_real_chart_agrees(self):
        self.assertEqual(chart_check.check(SRC), [])

    def test_drift_in_a_template_is_named(self):
        self.edit("deploy/helm/truenas-csi/templates/controller-deployment.yaml",
                  "- --timeout=300s", "- --timeout=30s")
        self.assertIn("--timeout=30s' != '--timeout=300s",
                      "\n".join(chart_check.check(self.dir)))

    def test_drift_in_the_kustomize_base_is_named(self):
        self.edit("deploy/node-daemonset/node-daemonset.yaml", "type: DirectoryOrCreate",
                  "type: Directory")
        self.assertIn("DaemonSet/truenas-csi-node", "\n".join(chart_check.check(self.dir)))

    def test_host_agent_renders_no_node_pods(self):
        objs = chart_check.render(SRC, ["node.mode=host-agent"])
        self.assertEqual([o for o in objs if o["kind"] == "DaemonSet"], [])


if __name__ == "__main__":
    unittest.main(verbosity=1)
