// JSON -> domain structs (see entity_parse.h).
#include "controller/truenas/entity_parse.h"

#include <Poco/JSON/Object.h>

#include <algorithm>
#include <cctype>

namespace tnascsi::controller::truenas {
namespace {

using json::ObjectPtr;

Status notAnObject(const char* what) {
  return absl::InvalidArgumentError(std::string("TrueNAS returned a ") + what +
                                    " that is not a JSON object");
}

// A ZFS property: {parsed, rawvalue, value, ...} or a plain value.
json::Var propField(const ObjectPtr& obj, const std::string& key, const char* field) {
  json::Var v = json::get(obj, key);
  if (ObjectPtr p = json::asObject(v)) return json::get(p, field);
  return v;
}

std::optional<uint64_t> propBytes(const ObjectPtr& obj, const std::string& key) {
  json::ObjectPtr p = json::getObject(obj, key);
  std::optional<int64_t> n;
  if (p) {
    n = json::toInt(json::get(p, "parsed"));
    if (!n) n = json::toInt(json::get(p, "rawvalue"));
  } else {
    n = json::toInt(json::get(obj, key));
  }
  if (!n || *n < 0) return std::nullopt;
  return static_cast<uint64_t>(*n);
}

std::string propText(const ObjectPtr& obj, const std::string& key) {
  if (auto s = json::toString(propField(obj, key, "value"))) return *s;
  return json::toString(propField(obj, key, "rawvalue")).value_or("");
}

bool propBool(const ObjectPtr& obj, const std::string& key, bool fallback) {
  json::Var parsed = propField(obj, key, "parsed");
  try {
    if (parsed.isBoolean()) return parsed.extract<bool>();
  } catch (const std::exception&) {
  }
  std::string t = propText(obj, key);
  std::transform(t.begin(), t.end(), t.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (t == "ON" || t == "TRUE" || t == "YES" || t == "1") return true;
  if (t == "OFF" || t == "FALSE" || t == "NO" || t == "0") return false;
  return fallback;
}

std::map<std::string, std::string> userProps(const ObjectPtr& props, bool onlyUserKeys,
                                             bool ownOnly = false) {
  std::map<std::string, std::string> out;
  if (!props) return out;
  for (const auto& [key, value] : *props) {
    if (onlyUserKeys && key.find(':') == std::string::npos) continue;
    if (ObjectPtr p = json::asObject(value)) {
      if (ownOnly && json::getString(p, "source") == "INHERITED") continue;
      if (auto s = json::toString(json::get(p, "value"))) {
        out[key] = *s;
      } else if (auto r = json::toString(json::get(p, "rawvalue"))) {
        out[key] = *r;
      }
    } else if (auto s = json::toString(value)) {
      out[key] = *s;
    }
  }
  return out;
}

}  // namespace

std::string encodeCommentsProperties(const std::map<std::string, std::string>& props) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object();
  for (const auto& [k, v] : props) o->set(k, v);
  return std::string(kCommentsPropertiesMarker) + json::stringify(o);
}

std::map<std::string, std::string> decodeCommentsProperties(const std::string& comments) {
  const std::string marker(kCommentsPropertiesMarker);
  if (comments.rfind(marker, 0) != 0) return {};
  StatusOr<json::Var> v = json::parse(comments.substr(marker.size()));
  if (!v.ok()) return {};
  return userProps(json::asObject(*v), false);
}

StatusOr<Pool> parsePool(const json::Var& v) {
  ObjectPtr o = json::asObject(v);
  if (!o) return notAnObject("pool");
  Pool p;
  p.id = json::getInt(o, "id");
  p.name = json::getString(o, "name");
  p.path = json::getString(o, "path");
  p.status = json::getString(o, "status");
  p.healthy = json::getBool(o, "healthy");
  p.size = static_cast<uint64_t>(std::max<int64_t>(0, json::getInt(o, "size")));
  p.allocated = static_cast<uint64_t>(std::max<int64_t>(0, json::getInt(o, "allocated")));
  p.free = static_cast<uint64_t>(std::max<int64_t>(0, json::getInt(o, "free")));
  // pool.is_draid_pool looks at the data groups only (TS-24.10.2.4:src/middlewared/middlewared/
  // plugins/pool_/pool.py:770-775); pool.query shows them as topology.data[].type, upper-cased.
  if (ObjectPtr topology = json::getObject(o, "topology")) {
    if (json::ArrayPtr data = json::getArray(topology, "data")) {
      for (size_t i = 0; i < data->size(); ++i) {
        ObjectPtr vdev = json::asObject(data->get(i));
        if (vdev && json::getString(vdev, "type").rfind("DRAID", 0) == 0) p.draid = true;
      }
    }
  }
  return p;
}

StatusOr<Dataset> parseDataset(const json::Var& v, bool propertiesInComments) {
  ObjectPtr o = json::asObject(v);
  if (!o) return notAnObject("dataset");
  Dataset d;
  d.name = json::getString(o, "id", json::getString(o, "name"));
  if (d.name.empty()) return absl::InvalidArgumentError("TrueNAS dataset entry without id");
  d.type = json::getString(o, "type") == "VOLUME" ? DatasetType::kVolume : DatasetType::kFilesystem;
  d.pool = json::getString(o, "pool", d.name.substr(0, d.name.find('/')));
  d.volsize = propBytes(o, "volsize");
  d.volblocksize = propBytes(o, "volblocksize");
  d.refquota = propBytes(o, "refquota");
  d.quota = propBytes(o, "quota");
  d.refreservation = propBytes(o, "refreservation");
  d.reservation = propBytes(o, "reservation");
  d.used = propBytes(o, "used").value_or(0);
  d.available = propBytes(o, "available").value_or(0);
  d.origin = propText(o, "origin");
  d.comments = propText(o, "comments");
  d.userProperties = userProps(json::getObject(o, "user_properties"), false);
  if (propertiesInComments) {
    for (auto& [k, val] : decodeCommentsProperties(d.comments)) d.userProperties[k] = val;
  }
  json::Var mp = json::get(o, "mountpoint");
  if (auto s = json::toString(mp)) {
    d.mountpoint = *s;
  } else if (json::asObject(mp)) {
    std::string m = propText(o, "mountpoint");
    if (!m.empty() && m != "none" && m != "legacy") d.mountpoint = m;
  }
  if (json::has(o, "sparse")) {
    d.sparse = propBool(o, "sparse", false);
  } else if (d.type == DatasetType::kVolume) {
    d.sparse = !d.refreservation.has_value() || *d.refreservation == 0;
  }
  d.compression = propText(o, "compression");
  d.sync = propText(o, "sync");
  d.dedup = propText(o, "deduplication");
  if (d.dedup.empty()) d.dedup = propText(o, "dedup");
  d.readonly = propBool(o, "readonly", false);
  d.encrypted = json::getBool(o, "encrypted");
  d.locked = json::getBool(o, "locked");
  return d;
}

StatusOr<Snapshot> parseSnapshot(const json::Var& v) {
  ObjectPtr o = json::asObject(v);
  if (!o) return notAnObject("snapshot");
  Snapshot s;
  s.id = json::getString(o, "id", json::getString(o, "name"));
  const size_t at = s.id.find('@');
  if (at == std::string::npos) {
    return absl::InvalidArgumentError("TrueNAS snapshot entry without a dataset@name id");
  }
  s.dataset = json::getString(o, "dataset", s.id.substr(0, at));
  s.name = json::getString(o, "snapshot_name", s.id.substr(at + 1));
  ObjectPtr props = json::getObject(o, "properties");
  s.createtxg = static_cast<uint64_t>(std::max<int64_t>(
      0, json::getOptInt(o, "createtxg").value_or(propBytes(props, "createtxg").value_or(0))));
  s.used = propBytes(props, "used").value_or(0);
  s.referenced = propBytes(props, "referenced").value_or(0);
  s.deferDestroy =
      json::toString(propField(props, "defer_destroy", "rawvalue")).value_or("") == "on";
  // creation: rawvalue is seconds since the epoch; parsed may be EJSON {"$date": ms}.
  if (auto secs = json::toInt(propField(props, "creation", "rawvalue"))) {
    s.creation = std::chrono::system_clock::time_point(std::chrono::seconds(*secs));
  } else if (ObjectPtr date = json::asObject(propField(props, "creation", "parsed"))) {
    if (auto ms = json::getOptInt(date, "$date")) {
      s.creation = std::chrono::system_clock::time_point(std::chrono::milliseconds(*ms));
    }
  }
  // A snapshot inherits its dataset's user properties (reported with source INHERITED,
  // TS-25.10.0:src/middlewared/middlewared/api/v25_10_0/pool_snapshot.py:46-55): a snapshot an
  // admin or a periodic task took of a driver volume carries the volume's csi:* properties. Only
  // the snapshot's own (LOCAL) ones say who made it.
  s.userProperties = userProps(props, true, true);
  return s;
}

StatusOr<IscsiGlobal> parseIscsiGlobal(const json::Var& v) {
  ObjectPtr o = json::asObject(v);
  if (!o) return notAnObject("iSCSI global configuration");
  IscsiGlobal g;
  g.id = json::getInt(o, "id");
  g.basename = json::getString(o, "basename");
  g.isnsServers = json::getStringList(o, "isns_servers");
  g.listenPort = static_cast<int>(json::getInt(o, "listen_port", 3260));
  if (auto t = json::getOptInt(o, "pool_avail_threshold"))
    g.poolAvailThreshold = static_cast<int>(*t);
  g.alua = json::getBool(o, "alua");
  return g;
}

StatusOr<IscsiPortal> parseIscsiPortal(const json::Var& v) {
  ObjectPtr o = json::asObject(v);
  if (!o) return notAnObject("iSCSI portal");
  IscsiPortal p;
  p.id = json::getInt(o, "id");
  p.tag = json::getInt(o, "tag");
  p.comment = json::getString(o, "comment");
  if (json::ArrayPtr a = json::getArray(o, "listen")) {
    for (size_t i = 0; i < a->size(); ++i) {
      ObjectPtr l = json::asObject(a->get(static_cast<unsigned>(i)));
      if (!l) continue;
      p.listen.push_back(
          IscsiListen{json::getString(l, "ip"), static_cast<int>(json::getInt(l, "port", 0))});
    }
  }
  return p;
}

StatusOr<IscsiInitiatorGroup> parseIscsiInitiatorGroup(const json::Var& v) {
  ObjectPtr o = json::asObject(v);
  if (!o) return notAnObject("iSCSI initiator group");
  IscsiInitiatorGroup g;
  g.id = json::getInt(o, "id");
  g.initiators = json::getStringList(o, "initiators");
  g.comment = json::getString(o, "comment");
  return g;
}

StatusOr<IscsiAuth> parseIscsiAuth(const json::Var& v) {
  ObjectPtr o = json::asObject(v);
  if (!o) return notAnObject("iSCSI auth entry");
  IscsiAuth a;
  a.id = json::getInt(o, "id");
  a.tag = json::getInt(o, "tag");
  a.user = json::getString(o, "user");
  a.secret = json::getString(o, "secret");
  a.peeruser = json::getString(o, "peeruser");
  a.peersecret = json::getString(o, "peersecret");
  return a;
}

StatusOr<IscsiTarget> parseIscsiTarget(const json::Var& v) {
  ObjectPtr o = json::asObject(v);
  if (!o) return notAnObject("iSCSI target");
  IscsiTarget t;
  t.id = json::getInt(o, "id");
  t.name = json::getString(o, "name");
  t.alias = json::getOptString(o, "alias");
  t.mode = json::getString(o, "mode", "ISCSI");
  t.authNetworks = json::getStringList(o, "auth_networks");
  t.relTgtId = json::getInt(o, "rel_tgt_id");
  if (json::ArrayPtr a = json::getArray(o, "groups")) {
    for (size_t i = 0; i < a->size(); ++i) {
      ObjectPtr g = json::asObject(a->get(static_cast<unsigned>(i)));
      if (!g) continue;
      IscsiTargetGroup group;
      group.portal = json::getInt(g, "portal");
      group.initiator = json::getOptInt(g, "initiator");
      const std::string m = json::getString(g, "authmethod", "NONE");
      group.authMethod = m == "CHAP"          ? IscsiAuthMethod::kChap
                         : m == "CHAP_MUTUAL" ? IscsiAuthMethod::kChapMutual
                         : m == "CHAP Mutual" ? IscsiAuthMethod::kChapMutual
                                              : IscsiAuthMethod::kNone;
      group.auth = json::getOptInt(g, "auth");
      t.groups.push_back(group);
    }
  }
  return t;
}

StatusOr<IscsiExtent> parseIscsiExtent(const json::Var& v) {
  ObjectPtr o = json::asObject(v);
  if (!o) return notAnObject("iSCSI extent");
  IscsiExtent e;
  e.id = json::getInt(o, "id");
  e.name = json::getString(o, "name");
  e.type = json::getString(o, "type", "DISK");
  e.disk = json::getString(o, "disk");
  e.path = json::getString(o, "path");
  e.serial = json::getString(o, "serial");
  e.naa = json::getString(o, "naa");
  e.blocksize = static_cast<int>(json::getInt(o, "blocksize", 512));
  e.pblocksize = json::getBool(o, "pblocksize");
  if (auto t = json::getOptInt(o, "avail_threshold")) e.availThreshold = static_cast<int>(*t);
  e.comment = json::getString(o, "comment");
  e.insecureTpc = json::getBool(o, "insecure_tpc", true);
  e.xen = json::getBool(o, "xen");
  e.rpm = json::getString(o, "rpm", "SSD");
  e.ro = json::getBool(o, "ro");
  e.enabled = json::getBool(o, "enabled", true);
  e.vendor = json::getString(o, "vendor");
  e.productId = json::getString(o, "product_id");
  e.locked = json::getBool(o, "locked");
  return e;
}

StatusOr<IscsiTargetExtent> parseIscsiTargetExtent(const json::Var& v) {
  ObjectPtr o = json::asObject(v);
  if (!o) return notAnObject("iSCSI target-extent mapping");
  IscsiTargetExtent m;
  m.id = json::getInt(o, "id");
  m.target = json::getInt(o, "target");
  m.extent = json::getInt(o, "extent");
  m.lunid = json::getInt(o, "lunid");
  return m;
}

StatusOr<NfsShare> parseNfsShare(const json::Var& v) {
  ObjectPtr o = json::asObject(v);
  if (!o) return notAnObject("NFS share");
  NfsShare s;
  s.id = json::getInt(o, "id");
  s.paths = json::getStringList(o, "paths");
  s.path = json::getString(o, "path");
  if (s.path.empty() && !s.paths.empty()) s.path = s.paths.front();
  if (s.paths.empty() && !s.path.empty()) s.paths.push_back(s.path);
  s.comment = json::getString(o, "comment");
  s.networks = json::getStringList(o, "networks");
  s.hosts = json::getStringList(o, "hosts");
  s.ro = json::getBool(o, "ro");
  s.maprootUser = json::getOptString(o, "maproot_user");
  s.maprootGroup = json::getOptString(o, "maproot_group");
  s.mapallUser = json::getOptString(o, "mapall_user");
  s.mapallGroup = json::getOptString(o, "mapall_group");
  s.security = json::getStringList(o, "security");
  s.enabled = json::getBool(o, "enabled", true);
  s.locked = json::getBool(o, "locked");
  return s;
}

StatusOr<ServiceState> parseService(const json::Var& v) {
  ObjectPtr o = json::asObject(v);
  if (!o) return notAnObject("service");
  ServiceState s;
  s.name = json::getString(o, "service");
  s.enabled = json::getBool(o, "enable");
  s.running = json::getString(o, "state") == "RUNNING";
  return s;
}

}  // namespace tnascsi::controller::truenas
