// Attach records (see attach_record.h).
#include "agent/stage/attach_record.h"

#include <dirent.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "common/base/c_handle.h"
#include "common/base/files.h"
#include "common/log/log.h"

namespace tnascsi::agent::stage {
namespace {

constexpr int kFormatVersion = 1;
constexpr char kSuffix[] = ".json";

// File-name-safe encoding of a volume id: [A-Za-z0-9_-] kept, everything else %XX.
std::string percentEncode(const std::string& id) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : id) {
    if (std::isalnum(c) != 0 || c == '_' || c == '-') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// NAME_MAX (255) less the longest suffix a file gets (".json.corrupt", ".tmp..." of
// writeFileAtomic stays in the same budget).
constexpr size_t kMaxEncodedName = 255 - 32;

// percentEncode(id), or when that would not fit a file name, a prefix of it, '~' (never produced
// by the encoding, so hashed names cannot collide with plain ones) and the id's SHA-256 in hex.
std::string encodeId(const std::string& id) {
  std::string plain = percentEncode(id);
  if (plain.size() <= kMaxEncodedName) return plain;
  // SHA-256 through libcrypto's EVP interface (lower-case hex, as the names written before
  // nlohmann-json replaced Poco here: existing hashed file names stay valid).
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdLen = 0;
  EVP_Digest(id.data(), id.size(), md, &mdLen, EVP_sha256(), nullptr);
  std::string digest =
      absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(md), mdLen));
  return plain.substr(0, kMaxEncodedName - 1 - digest.size()) + "~" + digest;
}

AttachRecord::Phase phaseFromName(const std::string& s, bool* ok) {
  *ok = true;
  if (s == "attaching") return AttachRecord::Phase::kAttaching;
  if (s == "staged") return AttachRecord::Phase::kStaged;
  if (s == "detaching") return AttachRecord::Phase::kDetaching;
  *ok = false;
  return AttachRecord::Phase::kAttaching;
}

}  // namespace

const AttachRecord::Target* AttachRecord::findTarget(const std::string& path) const {
  for (const auto& t : targets) {
    if (t.path == path) return &t;
  }
  return nullptr;
}

std::string phaseName(AttachRecord::Phase phase) {
  switch (phase) {
    case AttachRecord::Phase::kAttaching:
      return "attaching";
    case AttachRecord::Phase::kStaged:
      return "staged";
    case AttachRecord::Phase::kDetaching:
      return "detaching";
  }
  return "attaching";
}

// ---- multipath (issue #16): the record's "multipath" section, kept apart from the rest.
namespace {

void multipathToJson(const AttachRecord& r, nlohmann::json& o) {
  if (!r.multipath) return;
  nlohmann::json paths = nlohmann::json::array();
  for (const auto& p : r.paths) {
    paths.push_back(
        {{"address", p.address}, {"port", p.port}, {"sid", p.sid}, {"devnode", p.devnode}});
  }
  o["multipath"] = {{"mapName", r.mapName}, {"mapUuid", r.mapUuid}, {"paths", std::move(paths)}};
}

}  // namespace

bool AttachRecord::usesSession(const std::string& key) const {
  if (!isIscsi()) return false;
  if (sessionKey(iqn, portalAddress, portalPort) == key) return true;
  for (const auto& p : paths) {
    if (sessionKey(iqn, p.address, p.port) == key) return true;
  }
  return false;
}
// ---- end multipath

// The file format (formatVersion 1) is what Poco::JSON wrote before (same keys, same types, keys
// sorted, two-space indent), so records written by an older agent load unchanged.
std::string recordToJson(const AttachRecord& r) {
  nlohmann::json o = {
      {"formatVersion", kFormatVersion},
      {"volumeId", r.volumeId},
      {"protocol", r.protocol},
      {"phase", phaseName(r.phase)},
      {"stagingPath", r.stagingPath},
      {"block", r.block},
      {"fsType", r.fsType},
      {"updatedAt", static_cast<std::int64_t>(r.updatedAt)},
  };
  if (r.isIscsi()) {
    nlohmann::json i = {
        {"iqn", r.iqn},
        {"portalAddress", r.portalAddress},
        {"portalPort", r.portalPort},
        {"lun", r.lun},
        {"serial", r.serial},
        {"naa", r.naa},
        {"sid", r.sid},
        {"devnode", r.devnode},
    };
    if (r.chap.enabled()) {
      i["chap"] = {{"user", r.chap.user},
                   {"secret", r.chap.secret},
                   {"userIn", r.chap.userIn},
                   {"secretIn", r.chap.secretIn}};
    }
    o["iscsi"] = std::move(i);
    multipathToJson(r, o);
  } else {
    o["nfs"] = {{"server", r.nfsServer},
                {"export", r.nfsExport},
                {"version", r.nfsVersion},
                {"mountOptions", r.mountOptions}};
  }
  if (!r.targets.empty()) {
    nlohmann::json targets = nlohmann::json::array();
    for (const auto& t : r.targets) targets.push_back({{"path", t.path}, {"created", t.created}});
    o["targets"] = std::move(targets);
  }
  return o.dump(2) + "\n";
}

namespace {

// A required member of `obj` with type T (nlohmann throws out_of_range / type_error otherwise).
template <typename T>
T requiredMember(const nlohmann::json& obj, const char* key) {
  return obj.at(key).get<T>();
}

// An optional member: `fallback` when absent or null; a present value of another type throws.
template <typename T>
T optionalMember(const nlohmann::json& obj, const char* key, T fallback) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  return it->get<T>();
}

// The member `key` if it is an object, nullptr when absent or null; another type throws.
const nlohmann::json* objectMember(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  (void)it->get_ref<const nlohmann::json::object_t&>();  // type_error unless an object
  return &*it;
}

// The "multipath" section (issue #16), absent on single-path records.
Status multipathFromJson(const nlohmann::json& root, AttachRecord* r) {
  const nlohmann::json* m = objectMember(root, "multipath");
  if (m == nullptr) return absl::OkStatus();
  r->multipath = true;
  r->mapName = optionalMember<std::string>(*m, "mapName", "");
  r->mapUuid = optionalMember<std::string>(*m, "mapUuid", "");
  auto it = m->find("paths");
  if (it == m->end() || !it->is_array() || it->empty()) {
    return absl::DataLossError("multipath record lacks its paths");
  }
  for (const auto& po : *it) {
    if (!po.is_object()) return absl::DataLossError("attach record has a malformed multipath path");
    AttachRecord::Path p;
    p.address = requiredMember<std::string>(po, "address");
    p.port = requiredMember<int>(po, "port");
    p.sid = optionalMember<int>(po, "sid", -1);
    p.devnode = optionalMember<std::string>(po, "devnode", "");
    if (p.address.empty() || p.port <= 0 || p.port > 65535) {
      return absl::DataLossError("attach record has a malformed multipath path");
    }
    r->paths.push_back(p);
  }
  return absl::OkStatus();
}

}  // namespace

StatusOr<AttachRecord> recordFromJson(const std::string& json) {
  try {
    const nlohmann::json root = nlohmann::json::parse(json);
    if (!root.is_object()) return absl::DataLossError("attach record is not a JSON object");
    if (optionalMember<int>(root, "formatVersion", 0) != kFormatVersion) {
      return absl::DataLossError("attach record has an unknown format version");
    }
    AttachRecord r;
    r.volumeId = requiredMember<std::string>(root, "volumeId");
    r.protocol = requiredMember<std::string>(root, "protocol");
    bool ok = false;
    r.phase = phaseFromName(requiredMember<std::string>(root, "phase"), &ok);
    if (!ok) return absl::DataLossError("attach record has an unknown phase");
    r.stagingPath = requiredMember<std::string>(root, "stagingPath");
    r.block = requiredMember<bool>(root, "block");
    r.fsType = optionalMember<std::string>(root, "fsType", "");
    r.updatedAt = optionalMember<std::int64_t>(root, "updatedAt", 0);
    if (r.volumeId.empty() || r.stagingPath.empty()) {
      return absl::DataLossError("attach record lacks volumeId or stagingPath");
    }
    if (r.protocol == "iscsi") {
      const nlohmann::json* i = objectMember(root, "iscsi");
      if (i == nullptr) return absl::DataLossError("iSCSI attach record lacks its iscsi section");
      r.iqn = requiredMember<std::string>(*i, "iqn");
      r.portalAddress = requiredMember<std::string>(*i, "portalAddress");
      r.portalPort = requiredMember<int>(*i, "portalPort");
      r.lun = requiredMember<int>(*i, "lun");
      r.serial = optionalMember<std::string>(*i, "serial", "");
      r.naa = optionalMember<std::string>(*i, "naa", "");
      r.sid = optionalMember<int>(*i, "sid", -1);
      r.devnode = optionalMember<std::string>(*i, "devnode", "");
      if (const nlohmann::json* c = objectMember(*i, "chap")) {
        r.chap.user = optionalMember<std::string>(*c, "user", "");
        r.chap.secret = optionalMember<std::string>(*c, "secret", "");
        r.chap.userIn = optionalMember<std::string>(*c, "userIn", "");
        r.chap.secretIn = optionalMember<std::string>(*c, "secretIn", "");
      }
      if (Status mp = multipathFromJson(root, &r); !mp.ok()) return mp;
    } else if (r.protocol == "nfs") {
      const nlohmann::json* n = objectMember(root, "nfs");
      if (n == nullptr) return absl::DataLossError("NFS attach record lacks its nfs section");
      r.nfsServer = requiredMember<std::string>(*n, "server");
      r.nfsExport = requiredMember<std::string>(*n, "export");
      r.nfsVersion = requiredMember<std::string>(*n, "version");
      r.mountOptions = optionalMember<std::vector<std::string>>(*n, "mountOptions", {});
    } else {
      return absl::DataLossError("attach record has an unknown protocol");
    }
    if (auto a = root.find("targets"); a != root.end() && !a->is_null()) {
      for (const auto& t : a->get_ref<const nlohmann::json::array_t&>()) {
        if (!t.is_object()) return absl::DataLossError("attach record has a malformed target");
        r.targets.push_back(
            {requiredMember<std::string>(t, "path"), optionalMember<bool>(t, "created", false)});
      }
    }
    return r;
  } catch (const nlohmann::json::parse_error& e) {
    // Only the position: the parser's message quotes the text it read, and records hold secrets.
    return absl::DataLossError("attach record is not valid JSON (syntax error at byte " +
                               std::to_string(e.byte) + ")");
  } catch (const nlohmann::json::exception& e) {
    // Type and missing-key errors name the expected type or the key, never a value.
    return absl::DataLossError(std::string("attach record is not valid JSON: ") + e.what());
  }
}

std::string sessionKey(const std::string& iqn, const std::string& address, int port) {
  return iqn + "@" + address + ":" + std::to_string(port);
}

bool parseSessionKey(const std::string& key, std::string* iqn, std::string* address, int* port) {
  auto at = key.rfind('@');
  auto colon = key.rfind(':');
  if (at == std::string::npos || colon == std::string::npos || colon < at) return false;
  *iqn = key.substr(0, at);
  *address = key.substr(at + 1, colon - at - 1);
  try {
    *port = std::stoi(key.substr(colon + 1));
  } catch (const std::exception&) {
    return false;
  }
  return !iqn->empty() && !address->empty();
}

namespace {

std::string decodeId(const std::string& name) {
  std::string out;
  for (size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '%' && i + 2 < name.size()) {
      out += static_cast<char>(std::stoi(name.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += name[i];
    }
  }
  return out;
}

}  // namespace

AttachRecordStore::AttachRecordStore(std::string stateDir)
    : stateDir_(std::move(stateDir)),
      dir_(stateDir_ + "/volumes"),
      sessionsDir_(stateDir_ + "/sessions") {}

Status AttachRecordStore::init() {
  for (const std::string& d : {stateDir_, dir_, sessionsDir_}) {
    TNAS_RETURN_IF_ERROR(common::makeDirs(d, 0700));
  }
  return absl::OkStatus();
}

std::string AttachRecordStore::pathFor(const std::string& volumeId) const {
  return dir_ + "/" + encodeId(volumeId) + kSuffix;
}

Status AttachRecordStore::save(const AttachRecord& record) {
  std::lock_guard<std::mutex> lock(mu_);
  return common::writeFileAtomic(pathFor(record.volumeId), recordToJson(record), 0600);
}

StatusOr<std::optional<AttachRecord>> AttachRecordStore::readQuarantining(const std::string& path) {
  auto content = common::readFile(path);
  if (!content.ok()) {
    if (absl::IsNotFound(content.status())) return std::optional<AttachRecord>();
    return common::annotate(content.status(), "cannot read attach record");
  }
  auto record = recordFromJson(*content);
  if (!record.ok()) {
    std::string quarantine = path + ".corrupt";
    ::rename(path.c_str(), quarantine.c_str());
    TNAS_LOG(Error)
            .kv("file", path)
            .kv("moved_to", quarantine)
            .kv("error", std::string(record.status().message()))
        << "corrupt attach record quarantined; the volume will be treated as not staged";
    return std::optional<AttachRecord>();
  }
  return std::optional<AttachRecord>(std::move(*record));
}

StatusOr<std::optional<AttachRecord>> AttachRecordStore::load(const std::string& volumeId) {
  std::lock_guard<std::mutex> lock(mu_);
  TNAS_ASSIGN_OR_RETURN(auto r, readQuarantining(pathFor(volumeId)));
  if (r && r->volumeId != volumeId) {
    TNAS_LOG(Error).kv("volume", volumeId) << "attach record names another volume; ignored";
    return std::optional<AttachRecord>();
  }
  return r;
}

Status AttachRecordStore::remove(const std::string& volumeId) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string path = pathFor(volumeId);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return common::errnoStatus("delete attach record " + path, errno);
  }
  return absl::OkStatus();
}

StatusOr<std::vector<AttachRecord>> AttachRecordStore::loadAll() {
  std::lock_guard<std::mutex> lock(mu_);
  common::CHandle<DIR, &closedir> dir(::opendir(dir_.c_str()));
  if (!dir) {
    if (errno == ENOENT) return std::vector<AttachRecord>{};
    return common::errnoStatus("open " + dir_, errno);
  }
  std::vector<std::string> files;
  while (dirent* e = ::readdir(dir.get())) {
    std::string name = e->d_name;
    if (name.size() > 5 && name.compare(name.size() - 5, 5, kSuffix) == 0) files.push_back(name);
  }
  std::vector<AttachRecord> out;
  for (const auto& f : files) {
    auto r = readQuarantining(dir_ + "/" + f);
    if (!r.ok()) {
      TNAS_LOG(Warn).kv("file", f).kv("error", r.status().ToString()) << "skipped attach record";
    } else if (*r) {
      out.push_back(std::move(**r));
    }
  }
  return out;
}

}  // namespace tnascsi::agent::stage

namespace tnascsi::agent::stage {

Status AttachRecordStore::markSessionOwned(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  return common::writeFileAtomic(sessionsDir_ + "/" + encodeId(key), key + "\n", 0600);
}

bool AttachRecordStore::isSessionOwned(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  struct stat st {};
  return ::stat((sessionsDir_ + "/" + encodeId(key)).c_str(), &st) == 0;
}

Status AttachRecordStore::clearSessionOwned(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string path = sessionsDir_ + "/" + encodeId(key);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return common::errnoStatus("delete session marker " + path, errno);
  }
  return absl::OkStatus();
}

StatusOr<std::vector<std::string>> AttachRecordStore::ownedSessions() {
  std::lock_guard<std::mutex> lock(mu_);
  common::CHandle<DIR, &closedir> dir(::opendir(sessionsDir_.c_str()));
  if (!dir) {
    if (errno == ENOENT) return std::vector<std::string>{};
    return common::errnoStatus("open " + sessionsDir_, errno);
  }
  std::vector<std::string> out;
  while (dirent* e = ::readdir(dir.get())) {
    std::string name = e->d_name;
    if (name == "." || name == ".." || name.find('.') != std::string::npos) continue;
    // The marker holds its key (a hashed name cannot be decoded); older markers may be empty.
    auto content = common::readFile(sessionsDir_ + "/" + name);
    std::string key = content.ok() ? content->substr(0, content->find('\n')) : "";
    out.push_back(key.empty() ? decodeId(name) : key);
  }
  return out;
}

}  // namespace tnascsi::agent::stage
