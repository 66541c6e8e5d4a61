# Debian package (CPack DEB generator): `cpack -G DEB` in the build directory, or
# ./scripts/package.sh. One package, `truenas-csi`, with both binaries (/usr/bin), the node agent's
# systemd unit, its default configuration (conffiles) and the install docs. The Debian
# dependencies come from the binaries' shared libraries (dpkg-shlibdeps) plus open-iscsi (iscsid).
# The binaries' install() rules live in controller/ and agent/; this file adds the rest.

set(_tnas_pkg_src "${PROJECT_SOURCE_DIR}")

install(FILES ${_tnas_pkg_src}/systemd/truenas-csi-node.service
        DESTINATION lib/systemd/system)
install(FILES ${_tnas_pkg_src}/systemd/node.yaml
        DESTINATION /etc/truenas-csi)
install(FILES ${_tnas_pkg_src}/systemd/truenas-csi-node.default
        DESTINATION /etc/default RENAME truenas-csi-node)
foreach(_doc README.md docs/install-systemd.md docs/install-daemonset.md docs/install-talos.md
             docs/troubleshooting.md docs/configuration.md docs/names.md
             docs/storageclass-parameters.md)
  install(FILES ${_tnas_pkg_src}/${_doc} DESTINATION share/doc/truenas-csi)
endforeach()

# The maintainer scripts and conffiles list are generated into the build tree.
set(_tnas_deb_dir "${PROJECT_BINARY_DIR}/packaging/deb")
file(MAKE_DIRECTORY ${_tnas_deb_dir})
file(WRITE ${_tnas_deb_dir}/conffiles
     "/etc/truenas-csi/node.yaml\n/etc/default/truenas-csi-node\n")
file(WRITE ${_tnas_deb_dir}/postinst [=[#!/bin/sh
# truenas-csi postinst: make systemd see the unit; enabling it is the administrator's step
# (docs/install-systemd.md), but an already running agent is restarted on upgrade.
set -e
if [ "$1" = "configure" ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null || true
  if systemctl is-active --quiet truenas-csi-node.service; then
    systemctl restart truenas-csi-node.service || true
  fi
fi
exit 0
]=])
file(WRITE ${_tnas_deb_dir}/prerm [=[#!/bin/sh
# truenas-csi prerm: stop the agent before its files go away (not on upgrade: postinst restarts).
set -e
if [ "$1" = "remove" ] && [ -d /run/systemd/system ]; then
  systemctl disable --now truenas-csi-node.service >/dev/null 2>&1 || true
fi
exit 0
]=])
file(WRITE ${_tnas_deb_dir}/postrm [=[#!/bin/sh
# truenas-csi postrm: forget the unit; purge also drops the attach records' directory only if
# it is empty (records of attached volumes are never deleted by the package).
set -e
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null 2>&1 || true
fi
if [ "$1" = "purge" ]; then
  rmdir /var/lib/truenas-csi/volumes /var/lib/truenas-csi 2>/dev/null || true
fi
exit 0
]=])
file(CHMOD ${_tnas_deb_dir}/postinst ${_tnas_deb_dir}/prerm ${_tnas_deb_dir}/postrm
     FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ
                      WORLD_EXECUTE)

set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "truenas-csi")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_VENDOR "truenas-csi authors")
set(CPACK_PACKAGE_CONTACT "truenas-csi authors <truenas-csi@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Kubernetes CSI driver for TrueNAS (controller and host-native node agent)")
set(CPACK_PACKAGE_DESCRIPTION
    "truenas-csi provisions iSCSI and NFS volumes on TrueNAS through its middleware API and\n\
attaches them on the node through iscsid's management socket, libudev, libblkid and libmount.\n\
This package holds truenas-csi-controller, truenas-csi-node and the node agent's systemd unit.")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "admin")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "open-iscsi, e2fsprogs")
# multipath-tools: multipathd assembles the maps of multipath volumes (docs/multipath.md).
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "xfsprogs, nfs-common, multipath-tools")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${_tnas_deb_dir}/conffiles;${_tnas_deb_dir}/postinst;${_tnas_deb_dir}/prerm;${_tnas_deb_dir}/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Only what the package is for: the two binaries and the node files (no test tools, no libraries).
set(CPACK_INSTALL_CMAKE_PROJECTS "${PROJECT_BINARY_DIR};${PROJECT_NAME};ALL;/")
include(CPack)
