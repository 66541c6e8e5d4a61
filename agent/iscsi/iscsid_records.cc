// Request building/decoding for each iscsid layout (see iscsid_records.h).
#include "agent/iscsi/iscsid_records.h"

#include <cstring>
#include <memory>
#include <type_traits>

#include "agent/iscsi/iscsid_wire.h"

namespace tnascsi::agent {
namespace {

template <size_t N>
bool copyField(char (&dst)[N], const std::string& src) {
  if (src.size() >= N) {
    return false;  // keep a terminating NUL like iscsiadm's strlcpy
  }
  std::memcpy(dst, src.data(), src.size());
  return true;
}

template <size_t N>
bool copyField(unsigned char (&dst)[N], const std::string& src) {
  if (src.size() > N) {
    return false;  // secrets are length-delimited, no NUL needed
  }
  std::memcpy(dst, src.data(), src.size());
  return true;
}

template <size_t N>
std::string fieldString(const char (&src)[N]) {
  return std::string(src, strnlen(src, N));
}

template <typename Req>
std::string toBytes(const Req& req) {
  return std::string(reinterpret_cast<const char*>(&req), sizeof(Req));
}

template <typename Req>
std::unique_ptr<Req> newZeroed() {
  static_assert(std::is_trivially_copyable_v<Req>);
  auto req = std::make_unique<Req>();
  std::memset(req.get(), 0, sizeof(Req));
  return req;
}

template <typename Req>
std::string simpleRequest(int32_t command, int32_t sid) {
  auto req = newZeroed<Req>();
  req->command = command;
  req->sid = sid;
  return toBytes(*req);
}

// iscsiadm's compiled defaults (reference §1.9) with our timeouts on top.
template <typename Rec>
void fillDefaults(Rec& rec, const RecordSettings& settings, int32_t discType) {
  rec.tpgt = -1;
  rec.startup = 0;  // manual
  rec.leading_login = 0;
  auto& s = rec.session;
  s.cmds_max = 128;
  s.queue_depth = 32;
  s.xmit_thread_priority = -20;
  s.nr_sessions = 1;
  s.multiple = 0;
  s.initial_login_retry_max = settings.initialLoginRetryMax;
  s.reopen_max = 0;
  s.scan = 1;  // auto: iscsid scans the host before answering LOGIN
  s.auth.authmethod = 0;
  s.auth.chap_algs[0] = wire::kChapAlgMd5;
  for (size_t i = 1; i < wire::kChapAlgMax; ++i) {
    s.auth.chap_algs[i] = wire::kChapAlgUnused;
  }
  s.timeo.replacement_timeout = settings.replacementTimeoutSec;
  s.err_timeo.abort_timeout = 15;
  s.err_timeo.lu_reset_timeout = 30;
  s.err_timeo.tgt_reset_timeout = 30;
  s.err_timeo.host_reset_timeout = 60;
  s.iscsi.InitialR2T = 0;
  s.iscsi.ImmediateData = 1;
  s.iscsi.FirstBurstLength = 262144;
  s.iscsi.MaxBurstLength = 16776192;
  s.iscsi.DefaultTime2Wait = 2;
  s.iscsi.DefaultTime2Retain = 0;
  s.iscsi.MaxConnections = 1;
  s.iscsi.MaxOutstandingR2T = 1;
  s.iscsi.ERL = 0;
  s.iscsi.FastAbort = 1;
  if constexpr (requires { s.sess_reopen_log_freq; }) {
    s.sess_reopen_log_freq = 1;  // what 2.1.11+ writes for new records; never 0
  }
  auto& c = rec.conn[0];
  c.startup = 0;
  c.port = 3260;
  c.tcp.window_size = 524288;
  c.tcp.type_of_service = 0;
  c.timeo.login_timeout = settings.loginTimeoutSec;
  c.timeo.logout_timeout = 15;
  c.timeo.auth_timeout = 45;
  c.timeo.active_timeout = 0;
  c.timeo.noop_out_interval = settings.noopOutIntervalSec;
  c.timeo.noop_out_timeout = settings.noopOutTimeoutSec;
  c.iscsi.MaxRecvDataSegmentLength = 262144;
  c.iscsi.MaxXmitDataSegmentLength = 0;
  copyField(rec.iface.name, "default");
  copyField(rec.iface.transport_name, "tcp");
  rec.disc_type = discType;
}

template <typename Req>
StatusOr<std::string> loginRequest(const LoginRequest& request, const RecordSettings& settings,
                                   int32_t discType) {
  auto req = newZeroed<Req>();
  req->command = wire::kSessionLogin;
  auto& rec = req->rec;
  fillDefaults(rec, settings, discType);
  if (request.targetIqn.empty() || !copyField(rec.name, request.targetIqn)) {
    return absl::InvalidArgumentError("target IQN is empty or longer than 254 bytes");
  }
  if (request.address.empty() || !copyField(rec.conn[0].address, request.address)) {
    return absl::InvalidArgumentError("portal address is empty or too long");
  }
  if (request.port <= 0 || request.port > 65535) {
    return absl::InvalidArgumentError("portal port out of range");
  }
  rec.conn[0].port = request.port;
  rec.tpgt = request.tpgt;
  const ChapCredentials& chap = request.chap;
  if (chap.mutual() && !chap.enabled()) {
    return absl::InvalidArgumentError("mutual CHAP needs the initiator CHAP user as well");
  }
  if (chap.enabled()) {
    auto& a = rec.session.auth;
    a.authmethod = 1;
    if (!copyField(a.username, chap.user)) {
      return absl::InvalidArgumentError("CHAP user name longer than 255 bytes");
    }
    if (chap.secret.empty() || !copyField(a.password, chap.secret)) {
      return absl::InvalidArgumentError("CHAP secret is empty or longer than 256 bytes");
    }
    a.password_length = static_cast<int32_t>(chap.secret.size());
    if (chap.mutual()) {
      if (!copyField(a.username_in, chap.userIn)) {
        return absl::InvalidArgumentError("mutual CHAP user name longer than 255 bytes");
      }
      if (chap.secretIn.empty() || !copyField(a.password_in, chap.secretIn)) {
        return absl::InvalidArgumentError("mutual CHAP secret is empty or longer than 256 bytes");
      }
      a.password_in_length = static_cast<int32_t>(chap.secretIn.size());
    }
  }
  std::string bytes = toBytes(*req);
  // Wipe the copy that held secrets before it is freed.
  explicit_bzero(req.get(), sizeof(Req));
  return bytes;
}

template <typename Req>
DecodedRequest decode(const std::string& bytes) {
  auto req = newZeroed<Req>();
  std::memcpy(req.get(), bytes.data(), sizeof(Req));
  const auto& rec = req->rec;
  const auto& a = rec.session.auth;
  DecodedRequest d;
  d.command = req->command;
  d.sid = req->sid;
  d.targetName = fieldString(rec.name);
  d.tpgt = rec.tpgt;
  d.address = fieldString(rec.conn[0].address);
  d.port = rec.conn[0].port;
  d.authmethod = a.authmethod;
  d.username = fieldString(a.username);
  d.password.assign(reinterpret_cast<const char*>(a.password),
                    std::min<size_t>(std::max(a.password_length, 0), sizeof(a.password)));
  d.usernameIn = fieldString(a.username_in);
  d.passwordIn.assign(reinterpret_cast<const char*>(a.password_in),
                      std::min<size_t>(std::max(a.password_in_length, 0), sizeof(a.password_in)));
  d.chapAlg0 = a.chap_algs[0];
  d.replacementTimeout = rec.session.timeo.replacement_timeout;
  d.loginTimeout = rec.conn[0].timeo.login_timeout;
  d.logoutTimeout = rec.conn[0].timeo.logout_timeout;
  d.noopOutInterval = rec.conn[0].timeo.noop_out_interval;
  d.initialLoginRetryMax = rec.session.initial_login_retry_max;
  d.scan = rec.session.scan;
  d.queueDepth = rec.session.queue_depth;
  d.firstBurstLength = rec.session.iscsi.FirstBurstLength;
  d.maxRecvDataSegmentLength = rec.conn[0].iscsi.MaxRecvDataSegmentLength;
  d.ifaceName = fieldString(rec.iface.name);
  d.transportName = fieldString(rec.iface.transport_name);
  d.discType = rec.disc_type;
  d.discPort = rec.disc_port;
  return d;
}

}  // namespace

size_t requestSize(IscsidLayout layout) {
  switch (layout) {
    case IscsidLayout::k2_1_1:
      return sizeof(wire::Request2_1_1);
    case IscsidLayout::k2_1_11:
      return sizeof(wire::Request2_1_11);
    case IscsidLayout::k2_1_12:
      return sizeof(wire::Request2_1_12);
  }
  return 0;
}

std::string layoutName(IscsidLayout layout) {
  switch (layout) {
    case IscsidLayout::k2_1_1:
      return "open-iscsi 2.1.1-2.1.10 (request 16104 bytes)";
    case IscsidLayout::k2_1_11:
      return "open-iscsi 2.1.11 (request 16112 bytes)";
    case IscsidLayout::k2_1_12:
      return "open-iscsi 2.1.12 (request 16128 bytes)";
  }
  return "unknown";
}

std::optional<IscsidLayout> layoutForRequestSize(size_t size) {
  for (IscsidLayout layout : kAllIscsidLayouts) {
    if (requestSize(layout) == size) {
      return layout;
    }
  }
  return std::nullopt;
}

int32_t staticDiscoveryType(IscsidLayout layout) {
  // HEAD dropped DISCOVERY_TYPE_SLP_NOT_IMPLEMENTED, so STATIC moved from 4 to 3.
  return layout == IscsidLayout::k2_1_12 ? 3 : 4;
}

std::string buildSimpleRequest(IscsidLayout layout, int32_t command, int32_t sid) {
  switch (layout) {
    case IscsidLayout::k2_1_1:
      return simpleRequest<wire::Request2_1_1>(command, sid);
    case IscsidLayout::k2_1_11:
      return simpleRequest<wire::Request2_1_11>(command, sid);
    case IscsidLayout::k2_1_12:
      return simpleRequest<wire::Request2_1_12>(command, sid);
  }
  return {};
}

StatusOr<std::string> buildLoginRequest(IscsidLayout layout, const LoginRequest& request,
                                        const RecordSettings& settings) {
  const int32_t disc = staticDiscoveryType(layout);
  switch (layout) {
    case IscsidLayout::k2_1_1:
      return loginRequest<wire::Request2_1_1>(request, settings, disc);
    case IscsidLayout::k2_1_11:
      return loginRequest<wire::Request2_1_11>(request, settings, disc);
    case IscsidLayout::k2_1_12:
      return loginRequest<wire::Request2_1_12>(request, settings, disc);
  }
  return absl::InternalError("unknown iscsid layout");
}

StatusOr<DecodedRequest> decodeRequest(IscsidLayout layout, const std::string& bytes) {
  if (bytes.size() != requestSize(layout)) {
    return absl::InvalidArgumentError("request size " + std::to_string(bytes.size()) +
                                      " does not match " + layoutName(layout));
  }
  switch (layout) {
    case IscsidLayout::k2_1_1:
      return decode<wire::Request2_1_1>(bytes);
    case IscsidLayout::k2_1_11:
      return decode<wire::Request2_1_11>(bytes);
    case IscsidLayout::k2_1_12:
      return decode<wire::Request2_1_12>(bytes);
  }
  return absl::InternalError("unknown iscsid layout");
}

}  // namespace tnascsi::agent
