// IscsidInitiator: the real IscsiInitiator. Speaks iscsid's management IPC directly (no iscsiadm):
// probes the request layout at first use (§1.10) and caches it with the initiator name; re-probes
// after iscsid disappears (ECONNREFUSED) or silently drops a request (EOF: iscsid was upgraded).
// Sessions come from a SessionSource (libopeniscsiusr + sysfs in production).
//
// Thread-safe: the cached layout is guarded by a mutex; requests themselves run unlocked (iscsid
// serialises them). Secrets from LoginRequest never reach logs or Status messages.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "agent/iscsi/initiator.h"
#include "agent/iscsi/iscsid_client.h"
#include "agent/iscsi/iscsid_records.h"
#include "agent/iscsi/session_source.h"

namespace tnascsi::agent {

struct IscsidInitiatorOptions {
  std::string socketName = wire::kIscsidSocketName;
  // Timeouts written into login records. replacementTimeoutSec is how long I/O queues while a
  // session reconnects before failing (iscsid default 120).
  RecordSettings record;
  // Deadline for quick queries (probe, initiator name): iscsiadm uses 1 s.
  std::chrono::milliseconds queryTimeout{1000};
  // Deadline for LOGIN; 0 = initialLoginRetryMax × loginTimeout + 60 s of scan slack.
  std::chrono::milliseconds loginTimeout{0};
  std::chrono::milliseconds logoutTimeout{60000};
};

class IscsidInitiator final : public IscsiInitiator {
 public:
  IscsidInitiator(IscsidInitiatorOptions options, std::unique_ptr<SessionSource> sessions);

  Status probe() override;
  StatusOr<std::string> initiatorName() override;
  StatusOr<IscsiSession> login(const LoginRequest& request) override;
  Status logout(int sid) override;
  StatusOr<std::vector<IscsiSession>> sessions() override;
  StatusOr<std::optional<IscsiSession>> findSession(const std::string& targetIqn,
                                                    const std::string& address, int port) override;

  // The layout found by the last successful probe (probing now if none is cached).
  StatusOr<IscsidLayout> layout();

 private:
  struct ProbeResult {
    IscsidLayout layout;
    std::string initiatorName;
  };
  StatusOr<ProbeResult> runProbe();
  StatusOr<ProbeResult> cachedOrProbe();
  void forgetLayout();
  // Sends a request built for the cached layout; re-probes once and retries if iscsid closed
  // without answering (layout changed).
  template <typename Build>
  StatusOr<IscsidReply> send(Build build, std::chrono::milliseconds timeout);

  std::chrono::milliseconds loginDeadline() const;

  const IscsidInitiatorOptions options_;
  const IscsidClient client_;
  const std::unique_ptr<SessionSource> sessions_;
  std::mutex mu_;
  std::optional<ProbeResult> cached_;  // guarded by mu_
};

}  // namespace tnascsi::agent
