#!/usr/bin/env bash
# Packaging test: the Debian package.
#
#   deb_test.sh SOURCE_DIR BUILD_DIR VERSION
#
# Builds the .deb with CPack from BUILD_DIR, checks its control fields (name, version,
# architecture, dependencies from the shared libraries, conffiles, maintainer scripts), installs it
# into a scratch root with `dpkg -x`, checks the exact file list, that the binaries are stripped and
# run, and runs `systemd-analyze verify` on the unit. verify insists that ExecStart's binary
# exists, so it runs in a private mount namespace where an overlay puts the scratch root's
# /usr/bin over the host's (nothing on the host changes); any diagnostic it prints fails the test.
set -euo pipefail
src="$1" build="$2" version="$3"
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
arch="$(dpkg --print-architecture)"

step "cpack -G DEB"
t0=$SECONDS
(cd "$build" && cpack --config CPackConfig.cmake -G DEB -B "$tmp/out" >"$tmp/cpack.log" 2>&1) ||
  { cat "$tmp/cpack.log"; fail "cpack failed"; }
deb="$tmp/out/truenas-csi_${version}_${arch}.deb"
[[ -f "$deb" ]] || { ls "$tmp/out"; fail "no $deb"; }
echo "package: $(basename "$deb"), $(stat -c %s "$deb") bytes, built in $((SECONDS - t0)) s"

step "control fields"
field() { dpkg-deb -f "$deb" "$1"; }
[[ "$(field Package)" == truenas-csi ]] || fail "Package is $(field Package)"
[[ "$(field Version)" == "$version" ]] || fail "Version is $(field Version)"
[[ "$(field Architecture)" == "$arch" ]] || fail "Architecture is $(field Architecture)"
depends="$(field Depends)"
echo "Depends: $depends"
# What the package always needs; the shared libraries are checked against the binaries' NEEDED
# entries below (gRPC/protobuf link statically by default, so they are not among them then).
for dep in open-iscsi e2fsprogs libc6 libstdc++6 libpocofoundation libdevmapper; do
  [[ "$depends" == *"$dep"* ]] || fail "Depends lacks $dep"
done
[[ -n "$(field Maintainer)" && -n "$(field Description)" ]] || fail "Maintainer/Description empty"
mkdir "$tmp/control"
dpkg-deb -e "$deb" "$tmp/control"
diff <(sort "$tmp/control/conffiles") \
  <(printf '/etc/default/truenas-csi-node\n/etc/truenas-csi/node.yaml\n') ||
  fail "conffiles differ"
for s in postinst prerm postrm; do
  [[ -x "$tmp/control/$s" ]] || fail "$s missing or not executable"
  sh -n "$tmp/control/$s" || fail "$s is not valid sh"
done

step "contents (dpkg -x into a scratch root)"
root="$tmp/root"
dpkg -x "$deb" "$root"
(cd "$root" && find . -type f -o -type l | sed 's|^\.||' | sort) >"$tmp/files"
cat >"$tmp/expected" <<EOF
/etc/default/truenas-csi-node
/etc/truenas-csi/node.yaml
/usr/bin/truenas-csi-controller
/usr/bin/truenas-csi-node
/usr/lib/systemd/system/truenas-csi-node.service
EOF
for d in README.md install-systemd.md install-daemonset.md install-talos.md troubleshooting.md \
  configuration.md names.md storageclass-parameters.md; do
  echo "/usr/share/doc/truenas-csi/$d" >>"$tmp/expected"
done
sort -o "$tmp/expected" "$tmp/expected"
diff "$tmp/expected" "$tmp/files" || fail "package file list differs (- expected, + shipped)"
cmp "$root/usr/lib/systemd/system/truenas-csi-node.service" \
  "$src/systemd/truenas-csi-node.service" || fail "unit differs from systemd/"
cmp "$root/etc/truenas-csi/node.yaml" "$src/systemd/node.yaml" || fail "node.yaml differs"
for b in truenas-csi-controller truenas-csi-node; do
  if readelf -S "$root/usr/bin/$b" | grep -q '\.debug_info'; then fail "$b is not stripped"; fi
  out="$("$root/usr/bin/$b" --version)"
  [[ "$out" == "$b $version"* ]] || fail "$b --version printed '$out'"
done

step "every shared library a binary needs comes from a package in Depends"
multiarch="$(gcc -print-multiarch)"
for b in truenas-csi-controller truenas-csi-node; do
  while read -r soname; do
    owner="$(dpkg -S "*/$multiarch/$soname" 2>/dev/null | head -n1 | cut -d: -f1)" ||
      fail "$b needs $soname, which no installed package owns"
    [[ -n "$owner" ]] || fail "$b needs $soname, which no installed package owns"
    [[ "$depends" == *"$owner"* ]] || fail "$b needs $soname from $owner, which Depends lacks"
  done < <(readelf -d "$root/usr/bin/$b" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
done
echo "NEEDED sonames all covered by Depends"

step "unit directives"
unit="$root/usr/lib/systemd/system/truenas-csi-node.service"
active="$(grep -v '^[[:space:]]*#' "$unit")"
for want in 'Wants=iscsid.socket' 'After=iscsid.socket iscsid.service' 'Restart=on-failure' \
  'StateDirectory=truenas-csi' 'EnvironmentFile=-/etc/default/truenas-csi-node' \
  'ExecStart=/usr/bin/truenas-csi-node --config=/etc/truenas-csi/node.yaml' \
  'WantedBy=multi-user.target'; do
  grep -qF -- "$want" <<<"$active" || fail "unit lacks '$want'"
done
# Options that give the service its own mount or network namespace (mounts would not reach
# kubelet; iscsid's abstract socket would be out of reach) or a non-root user.
for bad in PrivateTmp ProtectSystem ProtectHome ReadOnlyPaths ReadWritePaths InaccessiblePaths \
  TemporaryFileSystem BindPaths ProtectKernelTunables ProtectKernelModules ProtectKernelLogs \
  ProtectControlGroups ProtectProc ProtectHostname PrivateIPC PrivateMounts PrivateDevices \
  DeviceAllow ProtectClock PrivateNetwork NetworkNamespacePath PrivateUsers User DynamicUser; do
  if grep -qE "^[[:space:]]*$bad=" <<<"$active"; then fail "unit sets $bad (breaks mounting/iSCSI)"; fi
  grep -qE "^#.*\\b$bad\\b" "$unit" || fail "unit comments do not say why $bad is left out"
done

step "systemd-analyze verify"
command -v systemd-analyze >/dev/null || fail "systemd-analyze missing (apt-get install systemd)"
set +e
unshare -m -- sh -c "mount -t overlay overlay -o lowerdir='$root/usr/bin':/usr/bin /usr/bin &&
  exec systemd-analyze verify '$unit'" >"$tmp/verify.log" 2>&1
rc=$?
set -e
cat "$tmp/verify.log"
((rc == 0)) || fail "systemd-analyze verify exited $rc"
[[ ! -s "$tmp/verify.log" ]] || fail "systemd-analyze verify printed diagnostics"

step "systemd-analyze security (exposure must stay at or below 7.0; 6.6 when written)"
unshare -m -- sh -c "mount -t overlay overlay -o lowerdir='$root/usr/bin':/usr/bin /usr/bin &&
  exec systemd-analyze security --offline=true --threshold=70 '$unit'" >"$tmp/security.log" 2>&1 ||
  { cat "$tmp/security.log"; fail "unit exposure above 7.0 (sandboxing removed?)"; }
grep 'Overall exposure level' "$tmp/security.log"
[[ ! -e /usr/bin/truenas-csi-node ]] || [[ -n "${TNAS_ALLOW_HOST_BINARY:-}" ]] ||
  echo "note: /usr/bin/truenas-csi-node exists on this host; verify may have used it"
echo "PASS deb"
