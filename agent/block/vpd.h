// Parsers for the SCSI Vital Product Data pages the kernel exposes in sysfs (vpd_pg80,
// vpd_pg83; binary, SPC layout). Pure functions on bytes; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/base/status.h"

namespace tnascsi::agent {

// Page 0x80 (Unit Serial Number): the ASCII serial with surrounding spaces/NULs trimmed.
// InvalidArgument if the bytes are not a page 0x80 or the length overruns the buffer.
StatusOr<std::string> parseVpdSerial(std::string_view page);

// Page 0x83 (Device Identification): the logical-unit designators (association 0) normalised:
//   NAA (type 3)        -> "naa.<lower hex>"
//   EUI-64 (type 2)     -> "eui.<lower hex>"
//   T10 vendor (type 1) -> "t10.<ascii, trailing spaces trimmed>"
//   SCSI name (type 8)  -> the name string as reported ("iqn.…", "naa.…", "eui.…")
// Port/target designators and other types are skipped. InvalidArgument if the page header is
// wrong or a designator runs past the end.
StatusOr<std::vector<std::string>> parseVpdDesignators(std::string_view page);

}  // namespace tnascsi::agent
