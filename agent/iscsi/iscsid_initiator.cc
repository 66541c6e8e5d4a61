// IscsidInitiator: probe, login, logout, sessions over iscsid's IPC (see iscsid_initiator.h).
#include "agent/iscsi/iscsid_initiator.h"

#include <cstring>

#include "agent/iscsi/iscsid_errors.h"
#include "common/log/log.h"

namespace tnascsi::agent {
namespace {

// Every request size ever used, ascending: a size smaller than iscsid's starves its read (EOF, no
// answer), so the first size that is answered is the exact one. 16088 = 2.0.878/2.1.0.
constexpr size_t kProbeSizes[] = {16088, 16104, 16112, 16128};

std::string portalOf(const std::string& address, int port) {
  if (address.find(':') != std::string::npos) {
    return "[" + address + "]:" + std::to_string(port);
  }
  return address + ":" + std::to_string(port);
}

bool sameSession(const IscsiSession& s, const std::string& iqn, const std::string& address,
                 int port) {
  return s.targetIqn == iqn && normalizeAddress(s.address) == normalizeAddress(address) &&
         s.port == port;
}

}  // namespace

IscsidInitiator::IscsidInitiator(IscsidInitiatorOptions options,
                                 std::unique_ptr<SessionSource> sessions)
    : options_(std::move(options)), client_(options_.socketName), sessions_(std::move(sessions)) {}

StatusOr<IscsidInitiator::ProbeResult> IscsidInitiator::runProbe() {
  for (size_t size : kProbeSizes) {
    std::string request(size, '\0');
    const int32_t cmd = wire::kConfigIname;
    std::memcpy(request.data(), &cmd, sizeof(cmd));
    TNAS_ASSIGN_OR_RETURN(std::optional<IscsidReply> reply,
                          client_.exchange(request, options_.queryTimeout));
    if (!reply) {
      continue;  // iscsid wants more bytes: try the next size
    }
    if (reply->err == wire::kErrAccess) {
      return iscsidErrorStatus(reply->err, "probe iscsid on @" + client_.socketName());
    }
    const auto layout = layoutForRequestSize(size);
    if (!layout) {
      return absl::FailedPreconditionError(
          "iscsid on @" + client_.socketName() + " speaks the open-iscsi 2.0.878/2.1.0 layout (" +
          std::to_string(size) +
          "-byte requests), which this agent does not support; upgrade "
          "open-iscsi to 2.1.1 or later");
    }
    if (reply->err != 0) {
      return iscsidErrorStatus(reply->err, "probe iscsid on @" + client_.socketName());
    }
    TNAS_LOG(Info).kv("layout", layoutName(*layout)).kv("initiator", reply->configVar)
        << "iscsid protocol detected";
    return ProbeResult{*layout, reply->configVar};
  }
  return absl::FailedPreconditionError(
      "iscsid on @" + client_.socketName() +
      " did not answer any known request size (16088, 16104, 16112, 16128 bytes): an unknown "
      "open-iscsi version or a distribution patch changed its protocol; use open-iscsi 2.1.1 "
      "to 2.1.12");
}

StatusOr<IscsidInitiator::ProbeResult> IscsidInitiator::cachedOrProbe() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (cached_) {
      return *cached_;
    }
  }
  TNAS_ASSIGN_OR_RETURN(ProbeResult result, runProbe());
  std::lock_guard<std::mutex> lock(mu_);
  cached_ = result;
  return result;
}

void IscsidInitiator::forgetLayout() {
  std::lock_guard<std::mutex> lock(mu_);
  cached_.reset();
}

StatusOr<IscsidLayout> IscsidInitiator::layout() {
  TNAS_ASSIGN_OR_RETURN(ProbeResult result, cachedOrProbe());
  return result.layout;
}

template <typename Build>
StatusOr<IscsidReply> IscsidInitiator::send(Build build, std::chrono::milliseconds timeout) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    TNAS_ASSIGN_OR_RETURN(ProbeResult probed, cachedOrProbe());
    TNAS_ASSIGN_OR_RETURN(std::string request, build(probed.layout));
    auto reply = client_.exchange(request, timeout);
    if (!reply.ok()) {
      if (absl::IsUnavailable(reply.status())) {
        forgetLayout();  // iscsid restarted or gone
      }
      return reply.status();
    }
    if (reply->has_value()) {
      return **reply;
    }
    // Closed without an answer: iscsid expects another size now (upgraded). Probe again.
    TNAS_LOG(Warn).kv("layout", layoutName(probed.layout))
        << "iscsid dropped a request; re-probing its protocol layout";
    forgetLayout();
  }
  return absl::UnavailableError("iscsid on @" + client_.socketName() +
                                " keeps dropping requests after a re-probe; retry later");
}

Status IscsidInitiator::probe() {
  forgetLayout();  // a CSI Probe should see the iscsid running now
  auto result = cachedOrProbe();
  return result.status();
}

StatusOr<std::string> IscsidInitiator::initiatorName() {
  auto reply = send(
      [](IscsidLayout l) -> StatusOr<std::string> {
        return buildSimpleRequest(l, wire::kConfigIname);
      },
      options_.queryTimeout);
  if (!reply.ok()) {
    return reply.status();
  }
  TNAS_RETURN_IF_ERROR(iscsidErrorStatus(reply->err, "read iscsid's initiator name"));
  if (reply->configVar.empty()) {
    return absl::NotFoundError(
        "iscsid has no InitiatorName configured (/etc/iscsi/initiatorname.iscsi)");
  }
  return reply->configVar;
}

std::chrono::milliseconds IscsidInitiator::loginDeadline() const {
  if (options_.loginTimeout.count() > 0) {
    return options_.loginTimeout;
  }
  const auto& r = options_.record;
  return std::chrono::seconds(static_cast<int64_t>(r.initialLoginRetryMax) * r.loginTimeoutSec +
                              60);
}

StatusOr<IscsiSession> IscsidInitiator::login(const LoginRequest& request) {
  const std::string portal = portalOf(request.address, request.port);
  const std::string what = "login to " + request.targetIqn + " at " + portal;
  TNAS_ASSIGN_OR_RETURN(auto existing,
                        findSession(request.targetIqn, request.address, request.port));
  if (existing) {
    TNAS_LOG(Debug).kv("target", request.targetIqn).kv("portal", portal).kv("sid", existing->sid)
        << "session already exists";
    return *existing;
  }
  TNAS_LOG(Info)
          .kv("target", request.targetIqn)
          .kv("portal", portal)
          .kv("chap", request.chap.enabled())
          .kv("mutual_chap", request.chap.mutual())
      << "logging in";
  // Re-probe before every login: a record sent in the wrong layout would be misread if iscsid was
  // replaced by an older version (a smaller request is still answered). Logins are rare.
  forgetLayout();
  auto reply = send([&](IscsidLayout l) { return buildLoginRequest(l, request, options_.record); },
                    loginDeadline());
  if (!reply.ok()) {
    if (absl::IsDeadlineExceeded(reply.status())) {
      return absl::DeadlineExceededError(what + ": " + std::string(reply.status().message()) +
                                         "; iscsid keeps trying, the next attempt reconciles");
    }
    return common::annotate(reply.status(), what);
  }
  if (reply->err != wire::kErrSuccess && reply->err != wire::kErrSessExists) {
    Status st = iscsidErrorStatus(reply->err, what);
    TNAS_LOG(Warn).kv("target", request.targetIqn).kv("portal", portal).kv("err", reply->err)
        << "login failed";
    return st;
  }
  TNAS_ASSIGN_OR_RETURN(auto session,
                        findSession(request.targetIqn, request.address, request.port));
  if (!session) {
    return absl::UnavailableError(what +
                                  ": iscsid reported success but the session is not "
                                  "visible in sysfs yet; retry");
  }
  TNAS_LOG(Info)
          .kv("target", request.targetIqn)
          .kv("portal", portal)
          .kv("sid", session->sid)
          .kv("host", session->hostNo)
      << "logged in";
  return *session;
}

Status IscsidInitiator::logout(int sid) {
  const std::string what = "logout of iSCSI session " + std::to_string(sid);
  auto reply = send(
      [sid](IscsidLayout l) -> StatusOr<std::string> {
        return buildSimpleRequest(l, wire::kSessionLogout, sid);
      },
      options_.logoutTimeout);
  if (!reply.ok()) {
    return common::annotate(reply.status(), what);
  }
  if (reply->err == wire::kErrSessNotFound) {
    // A freshly restarted iscsid answers "not found" for kernel sessions it has not adopted yet;
    // only the kernel can say the session is really gone. Reporting success here would leak it.
    auto live = sessions_->list();
    if (!live.ok()) return common::annotate(live.status(), what);
    for (const auto& s : *live) {
      if (s.sid == sid) {
        return absl::UnavailableError(what +
                                      ": iscsid does not know the session although the "
                                      "kernel still has it (iscsid restarted and has not "
                                      "adopted it yet?); retry");
      }
    }
  }
  if (reply->err == wire::kErrSuccess || reply->err == wire::kErrSessNotFound) {
    TNAS_LOG(Info).kv("sid", sid).kv("already_gone", reply->err == wire::kErrSessNotFound)
        << "logged out";
    return absl::OkStatus();
  }
  return iscsidErrorStatus(reply->err, what);
}

StatusOr<std::vector<IscsiSession>> IscsidInitiator::sessions() {
  return sessions_->list();
}

StatusOr<std::optional<IscsiSession>> IscsidInitiator::findSession(const std::string& targetIqn,
                                                                   const std::string& address,
                                                                   int port) {
  TNAS_ASSIGN_OR_RETURN(std::vector<IscsiSession> all, sessions_->list());
  for (auto& s : all) {
    if (sameSession(s, targetIqn, address, port)) {
      return std::optional<IscsiSession>(s);
    }
  }
  return std::optional<IscsiSession>();
}

}  // namespace tnascsi::agent
