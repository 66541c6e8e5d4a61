// ScsiAddress formatting and parsing (see scsi_address.h).
#include "agent/block/scsi_address.h"

#include <charconv>
#include <string>

namespace tnascsi::agent {

std::string ScsiAddress::str() const {
  return std::to_string(host) + ":" + std::to_string(channel) + ":" + std::to_string(target) + ":" +
         std::to_string(lun);
}

std::optional<ScsiAddress> parseScsiAddress(std::string_view text) {
  int parts[4] = {0, 0, 0, 0};
  size_t pos = 0;
  for (int i = 0; i < 4; ++i) {
    const size_t end = i < 3 ? text.find(':', pos) : text.size();
    if (end == std::string_view::npos || end == pos) {
      return std::nullopt;
    }
    const char* first = text.data() + pos;
    const char* last = text.data() + end;
    auto [ptr, ec] = std::from_chars(first, last, parts[i]);
    if (ec != std::errc() || ptr != last || parts[i] < 0) {
      return std::nullopt;
    }
    pos = end + 1;
  }
  return ScsiAddress{parts[0], parts[1], parts[2], parts[3]};
}

}  // namespace tnascsi::agent
