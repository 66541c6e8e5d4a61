// IscsiInitiator: the agent's seam to the host's iSCSI initiator (iscsid + the kernel's sessions).
// The real implementation speaks iscsid's management protocol over its abstract unix socket and
// reads sessions through libopeniscsiusr/sysfs; tests use a fake. Implementations are thread-safe.
//
// Node decisions are read from the kernel on every call: nothing here caches session state.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/base/status.h"

namespace tnascsi::agent {

// CHAP credentials for one login. `user`/`secret` authenticate the initiator to the target;
// `userIn`/`secretIn` (mutual CHAP) authenticate the target to the initiator. Secrets are never
// logged or put into a Status message.
struct ChapCredentials {
  std::string user;
  std::string secret;
  std::string userIn;
  std::string secretIn;
  bool enabled() const { return !user.empty(); }
  bool mutual() const { return !userIn.empty(); }
};

// What to log in to. `address` is a numeric IPv4/IPv6 address (the caller resolves names).
struct LoginRequest {
  std::string targetIqn;
  std::string address;
  int port = 3260;
  int tpgt = -1;  // -1: unknown (iscsiadm's default)
  ChapCredentials chap;
};

// A kernel iSCSI session as seen in sysfs (/sys/class/iscsi_session/sessionN).
struct IscsiSession {
  int sid = -1;  // N in sessionN
  std::string targetIqn;
  std::string address;  // persistent address of connection 0
  int port = 0;
  int tpgt = -1;
  std::string state;          // LOGGED_IN | FAILED | FREE (sysfs "state")
  int hostNo = -1;            // SCSI host the session is bound to (hostH)
  std::string initiatorName;  // initiator IQN used by this session
};

class IscsiInitiator {
 public:
  virtual ~IscsiInitiator() = default;

  // Checks that iscsid is reachable and speaks a known management-protocol layout. OK when
  // usable; otherwise FailedPrecondition/Unavailable whose message says which iscsid was found
  // (protocol size, socket) and what to do. Cheap enough for every CSI Probe.
  virtual Status probe() = 0;

  // The initiator IQN iscsid uses (its InitiatorName). NotFound if iscsid has none configured.
  virtual StatusOr<std::string> initiatorName() = 0;

  // Logs in to (targetIqn, address, port) and returns the session. Idempotent: an existing
  // session for the same target and portal is returned as is (iscsid's "session exists" is
  // success). Errors: Unauthenticated for CHAP failure (permanent until credentials change),
  // Unavailable for transport errors/timeouts that a retry may fix, PermissionDenied when iscsid
  // refuses the caller, DeadlineExceeded when the deadline passes (iscsid keeps trying; the next
  // call reconciles).
  virtual StatusOr<IscsiSession> login(const LoginRequest& request) = 0;

  // Logs out of session `sid`. OK if the session no longer exists. Unavailable if iscsid reports
  // the session is reconnecting (retry later).
  virtual Status logout(int sid) = 0;

  // Every kernel iSCSI session on this host, read fresh from libopeniscsiusr/sysfs.
  virtual StatusOr<std::vector<IscsiSession>> sessions() = 0;

  // The session for (targetIqn, address, port), if any. Convenience over sessions().
  virtual StatusOr<std::optional<IscsiSession>> findSession(const std::string& targetIqn,
                                                            const std::string& address,
                                                            int port) = 0;
};

using IscsiInitiatorPtr = std::unique_ptr<IscsiInitiator>;

}  // namespace tnascsi::agent
