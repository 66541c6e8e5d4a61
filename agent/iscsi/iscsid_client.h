// IscsidClient: one request/response exchange with iscsid over its abstract unix socket
// (reference §1.1, §1.3). Each exchange opens a new connection, sends the whole request in one
// write(), half-closes the write side (so iscsid can never block in read() on a short request)
// and waits for the fixed-size response with poll() until a deadline. Stateless; thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "agent/iscsi/iscsid_wire.h"
#include "common/base/status.h"

namespace tnascsi::agent {

// The parts of iscsiadm_rsp_t we use.
struct IscsidReply {
  int32_t command = 0;
  int32_t err = 0;
  std::string configVar;  // u.config.var (CONFIG_INAME etc.), NUL-trimmed
  int32_t sessionState = 0;
  int32_t connState = 0;
};

class IscsidClient {
 public:
  // `socketName` is the abstract name without the leading NUL (tests pass a unique one).
  explicit IscsidClient(std::string socketName = wire::kIscsidSocketName);

  const std::string& socketName() const { return socketName_; }

  // Sends `request` and reads one response.
  //  - reply: iscsid answered (check reply.err).
  //  - std::nullopt: iscsid closed the connection without answering (the request size did not
  //    match what it expects, or it dropped the request).
  // Errors: Unavailable when nothing listens on the socket (ECONNREFUSED) or the connection
  // breaks; DeadlineExceeded when no response arrives within `timeout` (iscsid may still carry
  // the request out); Internal for an unexpected response length or command echo.
  StatusOr<std::optional<IscsidReply>> exchange(const std::string& request,
                                                std::chrono::milliseconds timeout) const;

 private:
  std::string socketName_;
};

}  // namespace tnascsi::agent
