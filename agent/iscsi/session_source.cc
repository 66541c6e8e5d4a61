// Session listing from sysfs and libopeniscsiusr (see session_source.h).
#include "agent/iscsi/session_source.h"

#include <libopeniscsiusr.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "common/base/c_handle.h"
#include "common/log/log.h"

namespace tnascsi::agent {
namespace fs = std::filesystem;
namespace {

// A sysfs attribute, trimmed; empty if unreadable.
std::string attr(const fs::path& p) {
  std::ifstream in(p);
  if (!in) {
    return {};
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return std::string(absl::StripAsciiWhitespace(ss.str()));
}

int intAttr(const fs::path& p, int fallback) {
  const std::string s = attr(p);
  if (s.empty()) {
    return fallback;
  }
  try {
    return std::stoi(s);
  } catch (...) {
    return fallback;
  }
}

bool parsePrefixedInt(const std::string& name, const std::string& prefix, int* out) {
  if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) {
    return false;
  }
  int v = 0;
  for (size_t i = prefix.size(); i < name.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(name[i]))) {
      return false;
    }
    v = v * 10 + (name[i] - '0');
  }
  *out = v;
  return true;
}

// hostH is the component just above sessionN in the session's device path.
int hostOfSession(const fs::path& sessionClassDir, int sid) {
  std::error_code ec;
  const fs::path real = fs::canonical(sessionClassDir, ec);
  if (ec) {
    return -1;
  }
  const std::string want = "session" + std::to_string(sid);
  int lastHost = -1;
  for (const auto& part : real) {
    int h = 0;
    if (parsePrefixedInt(part.string(), "host", &h)) {
      lastHost = h;
    }
    if (part.string() == want) {
      return lastHost;
    }
  }
  return -1;
}

using Context = common::CHandle<iscsi_context, &iscsi_context_free>;

// Owns the array iscsi_sessions_get returns.
class SessionArray {
 public:
  SessionArray() = default;
  ~SessionArray() {
    if (sessions_ != nullptr) {
      iscsi_sessions_free(sessions_, count_);
    }
  }
  SessionArray(const SessionArray&) = delete;
  SessionArray& operator=(const SessionArray&) = delete;
  iscsi_session*** out() { return &sessions_; }
  uint32_t* countOut() { return &count_; }
  uint32_t size() const { return count_; }
  iscsi_session* operator[](uint32_t i) const { return sessions_[i]; }

 private:
  iscsi_session** sessions_ = nullptr;
  uint32_t count_ = 0;
};

std::string str(const char* s) {
  return s == nullptr ? std::string() : std::string(s);
}

}  // namespace

std::string normalizeAddress(const std::string& address) {
  std::string s = address;
  if (s.size() >= 2 && s.front() == '[' && s.back() == ']') {
    s = s.substr(1, s.size() - 2);
  }
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

SysfsSessionSource::SysfsSessionSource(std::string sysfsRoot) : root_(std::move(sysfsRoot)) {}

StatusOr<IscsiSession> SysfsSessionSource::read(int sid) const {
  const fs::path dir = fs::path(root_) / "class/iscsi_session" / ("session" + std::to_string(sid));
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    return absl::NotFoundError("iSCSI session " + std::to_string(sid) + " does not exist");
  }
  IscsiSession s;
  s.sid = sid;
  s.targetIqn = attr(dir / "targetname");
  s.tpgt = intAttr(dir / "tpgt", -1);
  s.state = attr(dir / "state");
  s.initiatorName = attr(dir / "initiatorname");
  s.hostNo = hostOfSession(dir, sid);
  const fs::path conns = fs::path(root_) / "class/iscsi_connection";
  const std::string prefix = "connection" + std::to_string(sid) + ":";
  for (fs::directory_iterator it(conns, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0) {
      continue;
    }
    s.address = attr(it->path() / "persistent_address");
    s.port = intAttr(it->path() / "persistent_port", 0);
    if (s.address.empty()) {
      s.address = attr(it->path() / "address");
    }
    if (s.port == 0) {
      s.port = intAttr(it->path() / "port", 0);
    }
    break;
  }
  return s;
}

StatusOr<std::vector<IscsiSession>> SysfsSessionSource::list() {
  std::vector<IscsiSession> out;
  const fs::path dir = fs::path(root_) / "class/iscsi_session";
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    return out;  // transport class not loaded: no sessions
  }
  std::vector<int> sids;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    int sid = 0;
    if (parsePrefixedInt(it->path().filename().string(), "session", &sid)) {
      sids.push_back(sid);
    }
  }
  if (ec) {
    return common::errnoStatus("list " + dir.string(), ec.value());
  }
  std::sort(sids.begin(), sids.end());
  for (int sid : sids) {
    auto s = read(sid);
    if (s.ok()) {
      out.push_back(*std::move(s));  // a session may vanish while we list
    }
  }
  return out;
}

OpeniscsiusrSessionSource::OpeniscsiusrSessionSource(std::string sysfsRoot)
    : sysfs_(std::move(sysfsRoot)) {}

StatusOr<std::vector<IscsiSession>> OpeniscsiusrSessionSource::list() {
  Context ctx(iscsi_context_new());
  if (!ctx) {
    return absl::ResourceExhaustedError("iscsi_context_new failed");
  }
  iscsi_context_log_priority_set(ctx.get(), LIBISCSI_LOG_PRIORITY_ERROR);
  SessionArray arr;
  const int rc = iscsi_sessions_get(ctx.get(), arr.out(), arr.countOut());
  if (rc != LIBISCSI_OK) {
    // No iscsi_session class at all (module not loaded) is "no sessions", not an error.
    auto fallback = sysfs_.list();
    if (fallback.ok() && fallback->empty()) {
      return fallback;
    }
    return absl::UnavailableError(std::string("libopeniscsiusr could not list sessions: ") +
                                  str(iscsi_strerror(rc)));
  }
  std::vector<IscsiSession> out;
  out.reserve(arr.size());
  for (uint32_t i = 0; i < arr.size(); ++i) {
    iscsi_session* se = arr[i];
    IscsiSession s;
    s.sid = static_cast<int>(iscsi_session_sid_get(se));
    s.targetIqn = str(iscsi_session_target_name_get(se));
    s.address = str(iscsi_session_persistent_address_get(se));
    s.port = iscsi_session_persistent_port_get(se);
    if (s.address.empty()) {
      s.address = str(iscsi_session_address_get(se));
    }
    if (s.port <= 0) {
      s.port = iscsi_session_port_get(se);
    }
    s.tpgt = iscsi_session_tpgt_get(se);
    // What the library lacks: host number, state, initiator name.
    auto extra = sysfs_.read(s.sid);
    if (extra.ok()) {
      s.hostNo = extra->hostNo;
      s.state = extra->state;
      s.initiatorName = extra->initiatorName;
    }
    if (s.initiatorName.empty()) {
      iscsi_iface* iface = iscsi_session_iface_get(se);
      if (iface != nullptr) {
        s.initiatorName = str(iscsi_iface_iname_get(iface));
      }
    }
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(),
            [](const IscsiSession& a, const IscsiSession& b) { return a.sid < b.sid; });
  return out;
}

}  // namespace tnascsi::agent
