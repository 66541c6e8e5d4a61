// Parsing and formatting of SCSI H:C:T:L addresses (ScsiAddress is declared in block_devices.h;
// its str() is defined in scsi_address.cc). Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string_view>

#include "agent/block/block_devices.h"

namespace tnascsi::agent {

// "2:0:0:1" -> {2,0,0,1}; std::nullopt unless exactly four non-negative decimal numbers.
std::optional<ScsiAddress> parseScsiAddress(std::string_view text);

}  // namespace tnascsi::agent
