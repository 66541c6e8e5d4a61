// Attach records (see attach_record.h).
#include "agent/stage/attach_record.h"

#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/SHA2Engine.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <sstream>

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
  Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
  sha.update(id);
  std::string digest = Poco::DigestEngine::digestToHex(sha.digest());
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

std::string recordToJson(const AttachRecord& r) {
  Poco::JSON::Object o;
  o.set("formatVersion", kFormatVersion);
  o.set("volumeId", r.volumeId);
  o.set("protocol", r.protocol);
  o.set("phase", phaseName(r.phase));
  o.set("stagingPath", r.stagingPath);
  o.set("block", r.block);
  o.set("fsType", r.fsType);
  o.set("updatedAt", static_cast<Poco::Int64>(r.updatedAt));
  if (r.isIscsi()) {
    Poco::JSON::Object i;
    i.set("iqn", r.iqn);
    i.set("portalAddress", r.portalAddress);
    i.set("portalPort", r.portalPort);
    i.set("lun", r.lun);
    i.set("serial", r.serial);
    i.set("naa", r.naa);
    i.set("sid", r.sid);
    i.set("devnode", r.devnode);
    if (r.chap.enabled()) {
      Poco::JSON::Object c;
      c.set("user", r.chap.user);
      c.set("secret", r.chap.secret);
      c.set("userIn", r.chap.userIn);
      c.set("secretIn", r.chap.secretIn);
      i.set("chap", c);
    }
    o.set("iscsi", i);
  } else {
    Poco::JSON::Object n;
    n.set("server", r.nfsServer);
    n.set("export", r.nfsExport);
    n.set("version", r.nfsVersion);
    Poco::JSON::Array opts;
    for (const auto& m : r.mountOptions) opts.add(m);
    n.set("mountOptions", opts);
    o.set("nfs", n);
  }
  if (!r.targets.empty()) {
    Poco::JSON::Array targets;
    for (const auto& t : r.targets) {
      Poco::JSON::Object to;
      to.set("path", t.path);
      to.set("created", t.created);
      targets.add(to);
    }
    o.set("targets", targets);
  }
  std::ostringstream out;
  o.stringify(out, 2);
  out << "\n";
  return out.str();
}

StatusOr<AttachRecord> recordFromJson(const std::string& json) {
  try {
    Poco::JSON::Parser parser;
    auto root = parser.parse(json).extract<Poco::JSON::Object::Ptr>();
    if (root.isNull()) return absl::DataLossError("attach record is not a JSON object");
    if (root->optValue<int>("formatVersion", 0) != kFormatVersion) {
      return absl::DataLossError("attach record has an unknown format version");
    }
    AttachRecord r;
    r.volumeId = root->getValue<std::string>("volumeId");
    r.protocol = root->getValue<std::string>("protocol");
    bool ok = false;
    r.phase = phaseFromName(root->getValue<std::string>("phase"), &ok);
    if (!ok) return absl::DataLossError("attach record has an unknown phase");
    r.stagingPath = root->getValue<std::string>("stagingPath");
    r.block = root->getValue<bool>("block");
    r.fsType = root->optValue<std::string>("fsType", "");
    r.updatedAt = root->optValue<Poco::Int64>("updatedAt", 0);
    if (r.volumeId.empty() || r.stagingPath.empty()) {
      return absl::DataLossError("attach record lacks volumeId or stagingPath");
    }
    if (r.protocol == "iscsi") {
      auto i = root->getObject("iscsi");
      if (i.isNull()) return absl::DataLossError("iSCSI attach record lacks its iscsi section");
      r.iqn = i->getValue<std::string>("iqn");
      r.portalAddress = i->getValue<std::string>("portalAddress");
      r.portalPort = i->getValue<int>("portalPort");
      r.lun = i->getValue<int>("lun");
      r.serial = i->optValue<std::string>("serial", "");
      r.naa = i->optValue<std::string>("naa", "");
      r.sid = i->optValue<int>("sid", -1);
      r.devnode = i->optValue<std::string>("devnode", "");
      if (auto c = i->getObject("chap"); !c.isNull()) {
        r.chap.user = c->optValue<std::string>("user", "");
        r.chap.secret = c->optValue<std::string>("secret", "");
        r.chap.userIn = c->optValue<std::string>("userIn", "");
        r.chap.secretIn = c->optValue<std::string>("secretIn", "");
      }
    } else if (r.protocol == "nfs") {
      auto n = root->getObject("nfs");
      if (n.isNull()) return absl::DataLossError("NFS attach record lacks its nfs section");
      r.nfsServer = n->getValue<std::string>("server");
      r.nfsExport = n->getValue<std::string>("export");
      r.nfsVersion = n->getValue<std::string>("version");
      if (auto a = n->getArray("mountOptions"); !a.isNull()) {
        for (size_t k = 0; k < a->size(); ++k)
          r.mountOptions.push_back(a->getElement<std::string>(k));
      }
    } else {
      return absl::DataLossError("attach record has an unknown protocol");
    }
    if (auto a = root->getArray("targets"); !a.isNull()) {
      for (size_t k = 0; k < a->size(); ++k) {
        auto t = a->getObject(static_cast<unsigned>(k));
        if (t.isNull()) return absl::DataLossError("attach record has a malformed target");
        r.targets.push_back(
            {t->getValue<std::string>("path"), t->optValue<bool>("created", false)});
      }
    }
    return r;
  } catch (const Poco::Exception& e) {
    return absl::DataLossError("attach record is not valid JSON: " + e.displayText());
  } catch (const std::exception& e) {
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
