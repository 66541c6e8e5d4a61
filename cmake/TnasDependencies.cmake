# Every dependency comes from a Debian 12 package (scripts/setup-deps.sh installs them).
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(Protobuf REQUIRED)
find_package(gRPC CONFIG REQUIRED)
find_package(absl CONFIG REQUIRED)
find_package(Poco REQUIRED COMPONENTS Foundation Net NetSSL Crypto JSON Util)
find_package(GTest REQUIRED)
# Header-only JSON (Debian's nlohmann-json3-dev): the agent's attach records, the config tree and
# the simulator's JSON (test/truenas-sim/json).
find_package(nlohmann_json 3.11 REQUIRED)
# libcrypto: SHA-256 of over-long volume ids in attach record names (the agent maps it anyway,
# through libopeniscsiusr -> libkmod).
find_package(OpenSSL REQUIRED COMPONENTS Crypto)

pkg_check_modules(LIBMOUNT REQUIRED IMPORTED_TARGET mount)
pkg_check_modules(LIBUDEV REQUIRED IMPORTED_TARGET libudev)
pkg_check_modules(LIBBLKID REQUIRED IMPORTED_TARGET blkid)
pkg_check_modules(DEVMAPPER REQUIRED IMPORTED_TARGET devmapper)  # libdevmapper-dev: multipath maps

# libopeniscsiusr ships no pkg-config file in Debian 12.
find_path(OPENISCSIUSR_INCLUDE_DIR libopeniscsiusr.h REQUIRED)
# Debian 12's libopeniscsiusr-dev has no unversioned .so link, so name the soname too.
find_library(OPENISCSIUSR_LIBRARY NAMES openiscsiusr libopeniscsiusr.so.0 REQUIRED)
add_library(tnas::openiscsiusr UNKNOWN IMPORTED)
set_target_properties(tnas::openiscsiusr PROPERTIES
  IMPORTED_LOCATION "${OPENISCSIUSR_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${OPENISCSIUSR_INCLUDE_DIR}")

find_program(TNAS_PROTOC protoc REQUIRED)
find_program(TNAS_GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)

# gRPC, protobuf, Abseil, c-ares, re2 and upb linked from Debian's static archives (the -dev
# packages ship them) instead of ~50 shared objects: the loader no longer pages in their symbol
# tables and relocations, and the linker keeps only the code the binaries reach. Measured on the
# idle node agent: VmHWM 18.7 -> 15.3 MB (docs/performance.md). The imported targets keep their
# names and dependency graph; only the file each one points at changes.
option(TNAS_STATIC_RPC_LIBS "Link gRPC, protobuf and Abseil statically" ON)
if(TNAS_STATIC_RPC_LIBS)
  get_directory_property(_tnas_imported IMPORTED_TARGETS)
  foreach(_t IN LISTS _tnas_imported)
    if(NOT _t MATCHES "^(absl|gRPC|protobuf|c-ares|re2|ZLIB)::")
      continue()
    endif()
    get_target_property(_type ${_t} TYPE)
    if(NOT _type MATCHES "^(SHARED|UNKNOWN)_LIBRARY$")
      continue()
    endif()
    foreach(_prop IMPORTED_LOCATION IMPORTED_LOCATION_NONE IMPORTED_LOCATION_RELEASE
                  IMPORTED_LOCATION_RELWITHDEBINFO IMPORTED_LOCATION_DEBUG)
      get_target_property(_loc ${_t} ${_prop})
      if(_loc AND _loc MATCHES "^(.*/lib[^/]+)\\.so[.0-9]*$")
        set(_archive "${CMAKE_MATCH_1}.a")
        if(EXISTS "${_archive}")
          set_target_properties(${_t} PROPERTIES ${_prop} "${_archive}")
        endif()
      endif()
    endforeach()
  endforeach()
endif()
