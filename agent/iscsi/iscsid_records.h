// Builds and decodes iscsid management requests for each known node_rec_t layout. Login records
// are filled like iscsiadm's compiled defaults (reference §1.9) plus our timeouts and CHAP. The
// decoder exists for the fake iscsid and tests: it reads back the fields we set.
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "agent/iscsi/initiator.h"
#include "common/base/status.h"

namespace tnascsi::agent {

// The ABI generation iscsid speaks, chosen at runtime by the size probe.
enum class IscsidLayout {
  k2_1_1,   // open-iscsi 2.1.1 … 2.1.10: request 16104 bytes, DISCOVERY_TYPE_STATIC = 4
  k2_1_11,  // open-iscsi 2.1.11:         request 16112 bytes, DISCOVERY_TYPE_STATIC = 4
  k2_1_12,  // open-iscsi HEAD / 2.1.12:  request 16128 bytes, DISCOVERY_TYPE_STATIC = 3
};

inline constexpr IscsidLayout kAllIscsidLayouts[] = {IscsidLayout::k2_1_1, IscsidLayout::k2_1_11,
                                                     IscsidLayout::k2_1_12};

size_t requestSize(IscsidLayout layout);
// "open-iscsi 2.1.1-2.1.10 (request 16104 bytes)" and the like.
std::string layoutName(IscsidLayout layout);
std::optional<IscsidLayout> layoutForRequestSize(size_t size);
int32_t staticDiscoveryType(IscsidLayout layout);

// Timeouts we put into every login record (seconds).
struct RecordSettings {
  int loginTimeoutSec = 15;
  int replacementTimeoutSec = 120;
  int initialLoginRetryMax = 8;
  int noopOutIntervalSec = 5;
  int noopOutTimeoutSec = 5;
};

// A request with only `command` (and optionally `sid`) set, `requestSize(layout)` bytes long.
std::string buildSimpleRequest(IscsidLayout layout, int32_t command, int32_t sid = 0);

// A MGMT_IPC_SESSION_LOGIN request. InvalidArgument if a name, address or secret does not fit its
// field (the message names the field, never a secret's value).
StatusOr<std::string> buildLoginRequest(IscsidLayout layout, const LoginRequest& request,
                                        const RecordSettings& settings);

// The fields of a request we care about, read back from raw bytes.
struct DecodedRequest {
  int32_t command = 0;
  int32_t sid = 0;
  std::string targetName;
  int32_t tpgt = 0;
  std::string address;
  int32_t port = 0;
  int32_t authmethod = 0;
  std::string username;
  std::string password;
  std::string usernameIn;
  std::string passwordIn;
  uint32_t chapAlg0 = 0;
  int32_t replacementTimeout = 0;
  int32_t loginTimeout = 0;
  int32_t logoutTimeout = 0;
  int32_t noopOutInterval = 0;
  int32_t initialLoginRetryMax = 0;
  int32_t scan = 0;
  int32_t queueDepth = 0;
  int32_t firstBurstLength = 0;
  int32_t maxRecvDataSegmentLength = 0;
  std::string ifaceName;
  std::string transportName;
  int32_t discType = 0;
  int32_t discPort = 0;
};

// InvalidArgument unless `bytes` is exactly requestSize(layout) long.
StatusOr<DecodedRequest> decodeRequest(IscsidLayout layout, const std::string& bytes);

}  // namespace tnascsi::agent
