# Every dependency comes from a Debian 12 package (scripts/setup-deps.sh installs them).
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(Protobuf REQUIRED)
find_package(gRPC CONFIG REQUIRED)
find_package(absl CONFIG REQUIRED)
find_package(Poco REQUIRED COMPONENTS Foundation Net NetSSL Crypto JSON Util)
find_package(GTest REQUIRED)
# The simulator's JSON (test/truenas-sim/json); header-only.
find_package(nlohmann_json 3.10 CONFIG REQUIRED)

pkg_check_modules(LIBMOUNT REQUIRED IMPORTED_TARGET mount)
pkg_check_modules(LIBUDEV REQUIRED IMPORTED_TARGET libudev)
pkg_check_modules(LIBBLKID REQUIRED IMPORTED_TARGET blkid)

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
