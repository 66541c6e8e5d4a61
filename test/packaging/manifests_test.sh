#!/usr/bin/env bash
# Packaging test: the Kubernetes manifests, offline.
#
#   manifests_test.sh SOURCE_DIR
#
# Renders every overlay and the examples with scripts/packaging/kustomize_lite.py, validates each
# object (validate_k8s.py); renders the Helm chart with helm_lite.py in both node modes and
# compares it with the kustomize render (chart_check.py); then checks
# object (validate_k8s.py), checks names/paths/images/flags across all artefacts
# (check_consistency.py), and runs the checkers' own unit tests. Where `kubectl kustomize` exists
# (it is not a Debian package), also asserts our renderer produces exactly the same objects.
set -euo pipefail
src="$1"
py="$(command -v /usr/bin/python3 || command -v python3)"
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
pk="$src/scripts/packaging"

for dir in overlays/daemonset overlays/host-agent examples; do
  out="$tmp/${dir//\//-}.yaml"
  echo "== render deploy/$dir"
  "$py" "$pk/kustomize_lite.py" "$src/deploy/$dir" -o "$out"
  "$py" "$pk/validate_k8s.py" "$out"
  if command -v kubectl >/dev/null && kubectl kustomize --help >/dev/null 2>&1; then
    kubectl kustomize "$src/deploy/$dir" >"$tmp/kubectl.yaml"
    "$py" - "$out" "$tmp/kubectl.yaml" <<'PY' || fail "deploy/$dir: kustomize_lite differs from kubectl kustomize"
import sys, yaml
def load(p):
    return {(d["apiVersion"], d["kind"], d["metadata"].get("namespace"), d["metadata"]["name"]): d
            for d in yaml.safe_load_all(open(p)) if d}
a, b = load(sys.argv[1]), load(sys.argv[2])
bad = sorted(set(a) ^ set(b)) + sorted(k for k in a if k in b and a[k] != b[k])
for k in bad:
    print("differs:", k)
print(f"identical to kubectl kustomize ({len(a)} objects)" if not bad else "")
sys.exit(1 if bad else 0)
PY
  fi
done
echo "== helm chart (rendered by helm_lite.py, compared with the kustomize render)"
for mode in daemonset host-agent; do
  "$py" "$pk/helm_lite.py" "$src/deploy/helm/truenas-csi" -n truenas-csi \
    --set namespace.create=true --set "node.mode=$mode" -o "$tmp/chart-$mode.yaml"
  "$py" "$pk/validate_k8s.py" "$tmp/chart-$mode.yaml"
done
"$py" "$pk/chart_check.py" "$src"
if command -v helm >/dev/null; then  # not in Debian 12; where it exists, it must agree
  helm template truenas-csi "$src/deploy/helm/truenas-csi" -n truenas-csi \
    --set namespace.create=true >"$tmp/helm.yaml"
  "$py" - "$tmp/chart-daemonset.yaml" "$tmp/helm.yaml" <<'PY' || fail "helm_lite differs from helm template"
import sys, yaml
def load(p):
    return {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(open(p)) if d}
a, b = load(sys.argv[1]), load(sys.argv[2])
bad = sorted(set(a) ^ set(b)) + sorted(k for k in a if k in b and a[k] != b[k])
for k in bad:
    print("differs:", k)
sys.exit(1 if bad else 0)
PY
fi
echo "== consistency"
"$py" "$pk/check_consistency.py" "$src"
echo "== checker unit tests"
"$py" "$src/test/packaging/test_checkers.py" "$src"
echo "PASS manifests"
