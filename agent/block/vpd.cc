// VPD page 0x80/0x83 parsing (see vpd.h). Layout from SPC-4 §7.8.6 and §7.8.16.
#include "agent/block/vpd.h"

#include <cstdint>

namespace tnascsi::agent {
namespace {

uint8_t at(std::string_view s, size_t i) {
  return static_cast<uint8_t>(s[i]);
}

std::string trimAscii(std::string_view s) {
  size_t b = 0;
  size_t e = s.size();
  auto blank = [](char c) { return c == ' ' || c == '\0'; };
  while (b < e && blank(s[b])) {
    ++b;
  }
  while (e > b && blank(s[e - 1])) {
    --e;
  }
  return std::string(s.substr(b, e - b));
}

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    const auto b = static_cast<uint8_t>(c);
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0x0f]);
  }
  return out;
}

// Checks the 4-byte header and returns the page body.
StatusOr<std::string_view> body(std::string_view page, uint8_t code) {
  if (page.size() < 4) {
    return absl::InvalidArgumentError("VPD page shorter than its header");
  }
  if (at(page, 1) != code) {
    return absl::InvalidArgumentError("not VPD page " + std::to_string(code) + " (code " +
                                      std::to_string(at(page, 1)) + ")");
  }
  const size_t len = (static_cast<size_t>(at(page, 2)) << 8) | at(page, 3);
  if (4 + len > page.size()) {
    return absl::InvalidArgumentError("VPD page length " + std::to_string(len) + " overruns the " +
                                      std::to_string(page.size()) + " bytes read");
  }
  return page.substr(4, len);
}

}  // namespace

StatusOr<std::string> parseVpdSerial(std::string_view page) {
  TNAS_ASSIGN_OR_RETURN(std::string_view b, body(page, 0x80));
  return trimAscii(b);
}

StatusOr<std::vector<std::string>> parseVpdDesignators(std::string_view page) {
  TNAS_ASSIGN_OR_RETURN(std::string_view b, body(page, 0x83));
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < b.size()) {
    if (pos + 4 > b.size()) {
      return absl::InvalidArgumentError("truncated designator header");
    }
    const uint8_t codeSet = at(b, pos) & 0x0f;
    const uint8_t association = (at(b, pos + 1) >> 4) & 0x03;
    const uint8_t type = at(b, pos + 1) & 0x0f;
    const size_t len = at(b, pos + 3);
    if (pos + 4 + len > b.size()) {
      return absl::InvalidArgumentError("designator length overruns the page");
    }
    const std::string_view d = b.substr(pos + 4, len);
    pos += 4 + len;
    if (association != 0 || len == 0) {
      continue;  // only the logical unit's own designators
    }
    const bool binary = codeSet == 1;
    switch (type) {
      case 3:  // NAA
        if (binary) {
          out.push_back("naa." + hex(d));
        }
        break;
      case 2:  // EUI-64 based
        if (binary) {
          out.push_back("eui." + hex(d));
        }
        break;
      case 1:  // T10 vendor identification
        out.push_back("t10." + trimAscii(d));
        break;
      case 8:  // SCSI name string (UTF-8, NUL padded)
        out.push_back(trimAscii(d));
        break;
      default:
        break;
    }
  }
  return out;
}

}  // namespace tnascsi::agent
