// Volume context parsing (see volume_context.h).
#include "agent/stage/volume_context.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace tnascsi::agent::stage {
namespace {

std::string get(const StringMap& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? std::string() : it->second;
}

bool printableToken(const std::string& s, size_t max) {
  if (s.empty() || s.size() > max) return false;
  for (unsigned char c : s) {
    if (std::isgraph(c) == 0 || c == ',') return false;
  }
  return true;
}

bool validHost(const std::string& h) {
  if (h.empty() || h.size() > 253 || h.front() == '-') return false;
  for (unsigned char c : h) {
    if (std::isalnum(c) == 0 && c != '.' && c != '-' && c != ':' && c != '_') return false;
  }
  return true;
}

Status bad(const std::string& key, const std::string& why) {
  return absl::InvalidArgumentError("volume context \"" + key + "\" " + why);
}

}  // namespace

StatusOr<Protocol> parseProtocol(const StringMap& context) {
  std::string p = get(context, "protocol");
  if (p == "iscsi") return Protocol::kIscsi;
  if (p == "nfs") return Protocol::kNfs;
  if (p.empty()) return bad("protocol", "is missing (expected iscsi or nfs)");
  return bad("protocol", "must be iscsi or nfs");
}

StatusOr<Portal> parsePortal(const std::string& text) {
  Portal p;
  std::string host = text;
  std::string port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string::npos) return bad("portal", "has an unterminated IPv6 literal");
    host = text.substr(1, close - 1);
    std::string rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return bad("portal", "is malformed");
      port = rest.substr(1);
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    auto colon = text.find(':');
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (!validHost(host)) return bad("portal", "has a malformed host");
  if (!port.empty()) {
    int n = 0;
    if (!absl::SimpleAtoi(port, &n) || n <= 0 || n > 65535) return bad("portal", "has a bad port");
    p.port = n;
  }
  p.host = host;
  return p;
}

StatusOr<IscsiVolumeContext> parseIscsiContext(const StringMap& context) {
  IscsiVolumeContext c;
  std::string portal = get(context, "portal");
  if (!portal.empty()) {
    TNAS_ASSIGN_OR_RETURN(Portal first, parsePortal(portal));
    c.portals.push_back(first);
  }
  for (absl::string_view extra : absl::StrSplit(get(context, "portals"), ',', absl::SkipEmpty())) {
    TNAS_ASSIGN_OR_RETURN(Portal p, parsePortal(std::string(extra)));
    c.portals.push_back(p);
  }
  if (c.portals.empty()) return bad("portal", "is missing (set portal or portals)");
  c.iqn = get(context, "iqn");
  if (!printableToken(c.iqn, 223) ||
      (c.iqn.rfind("iqn.", 0) != 0 && c.iqn.rfind("eui.", 0) != 0 && c.iqn.rfind("naa.", 0) != 0)) {
    return bad("iqn", "is missing or not an iSCSI name");
  }
  std::string lun = get(context, "lun");
  // Required: a context without it must not silently mean LUN 0 (another volume's LUN on a
  // shared target). The controller always writes it (controller/provision/iscsi_detail.cc).
  if (lun.empty()) return bad("lun", "is missing");
  if (!absl::SimpleAtoi(lun, &c.lun) || c.lun < 0 || c.lun > 16383) {
    return bad("lun", "must be a number 0..16383");
  }
  c.serial = get(context, "serial");
  c.naa = get(context, "naa");
  if (!c.serial.empty() && !printableToken(c.serial, 255)) return bad("serial", "is malformed");
  if (!c.naa.empty() && !printableToken(c.naa, 255)) return bad("naa", "is malformed");
  if (c.serial.empty() && c.naa.empty()) {
    return bad("serial", "is missing: the LUN's identity cannot be verified without serial or naa");
  }
  std::string multipath = get(context, "multipath");
  if (multipath == "true") {
    c.multipath = true;
  } else if (!multipath.empty() && multipath != "false") {
    return bad("multipath", "must be \"true\" or \"false\"");
  }
  for (absl::string_view o : absl::StrSplit(get(context, "mkfsOptions"), ' ', absl::SkipEmpty())) {
    c.mkfsOptions.emplace_back(o);
  }
  return c;
}

StatusOr<NfsVolumeContext> parseNfsContext(const StringMap& context) {
  NfsVolumeContext c;
  c.server = get(context, "server");
  if (!validHost(c.server)) return bad("server", "is missing or malformed");
  c.share = get(context, "share");
  if (c.share.empty() || c.share.front() != '/' || c.share.find(',') != std::string::npos ||
      c.share.size() > 1024) {
    return bad("share", "must be an absolute export path");
  }
  for (unsigned char ch : c.share) {
    if (std::iscntrl(ch) != 0) return bad("share", "contains control characters");
  }
  std::string v = get(context, "nfsVersion");
  if (!v.empty()) c.version = v;
  if (c.version != "3" && c.version != "4" && c.version != "4.0" && c.version != "4.1" &&
      c.version != "4.2") {
    return bad("nfsVersion", "must be 3, 4, 4.0, 4.1 or 4.2");
  }
  return c;
}

StatusOr<ChapCredentials> parseChapSecrets(const StringMap& secrets) {
  ChapCredentials chap;
  chap.user = get(secrets, "chapUser");
  chap.secret = get(secrets, "chapSecret");
  chap.userIn = get(secrets, "chapMutualUser");
  chap.secretIn = get(secrets, "chapMutualSecret");
  if (chap.user.empty() != chap.secret.empty()) {
    return absl::InvalidArgumentError(
        "node-stage secrets: chapUser and chapSecret must be given together");
  }
  if (chap.userIn.empty() != chap.secretIn.empty()) {
    return absl::InvalidArgumentError(
        "node-stage secrets: chapMutualUser and chapMutualSecret must be given together");
  }
  if (!chap.userIn.empty() && chap.user.empty()) {
    return absl::InvalidArgumentError(
        "node-stage secrets: mutual CHAP (chapMutualUser) needs one-way CHAP (chapUser)");
  }
  if (chap.secret.size() > 255 || chap.secretIn.size() > 255 || chap.user.size() > 255 ||
      chap.userIn.size() > 255) {
    return absl::InvalidArgumentError("node-stage secrets: a CHAP value is longer than 255 bytes");
  }
  return chap;
}

}  // namespace tnascsi::agent::stage
