// iscsi.config -> desired LIO state: see iscsi_config.h.
#include "test/guest/backing/iscsi_config.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>

#include <cctype>
#include <map>
#include <string>
#include <vector>

namespace tnascsi::sim {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

Array::Ptr arrayOf(const Object& o, const std::string& key) {
  if (!o.has(key) || o.isNull(key)) return new Array();
  Array::Ptr a = o.getArray(key);
  if (a.isNull()) throw Poco::InvalidArgumentException(key + " is not an array");
  return a;
}

std::string stringOf(const Object& o, const std::string& key, const std::string& def = "") {
  if (!o.has(key) || o.isNull(key)) return def;
  return o.getValue<std::string>(key);
}

struct Auth {
  std::string user, secret, peeruser, peersecret;
};

}  // namespace

std::string backstoreName(const std::string& extentName) {
  std::string out;
  for (char c : extentName) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
    out.push_back(ok ? c : '_');
  }
  return out.empty() ? "_" : out;
}

std::string companyIdFromNaa(const std::string& naa) {
  std::string hex = naa;
  if (hex.rfind("0x", 0) == 0 || hex.rfind("0X", 0) == 0) hex = hex.substr(2);
  if (hex.size() < 7 || hex[0] != '6') return "";
  std::string oui;
  for (size_t i = 1; i < 7; ++i) {
    char c = static_cast<char>(std::tolower(static_cast<unsigned char>(hex[i])));
    if (!std::isxdigit(static_cast<unsigned char>(c))) return "";
    oui.push_back(c);
  }
  return "0x" + oui;
}

StatusOr<LioState> desiredLioState(const Object& config, const std::string& root,
                                   const FileSizeFn& fileSize) {
  try {
    LioState state;
    // Portals: id -> "ip:port".
    std::map<int, std::vector<std::string>> portals;
    for (const auto& v : *arrayOf(config, "portals")) {
      Object::Ptr p = v.extract<Object::Ptr>();
      int id = p->getValue<int>("id");
      for (const auto& l : *arrayOf(*p, "listen")) {
        Object::Ptr lo = l.extract<Object::Ptr>();
        std::string ip = stringOf(*lo, "ip");
        int port = lo->has("port") && !lo->isNull("port") ? lo->getValue<int>("port")
                                                          : config.optValue("listen_port", 3260);
        portals[id].push_back(ip + ":" + std::to_string(port));
      }
    }
    std::map<int, std::vector<std::string>> initiatorGroups;
    for (const auto& v : *arrayOf(config, "initiators")) {
      Object::Ptr g = v.extract<Object::Ptr>();
      auto& list = initiatorGroups[g->getValue<int>("id")];
      for (const auto& i : *arrayOf(*g, "initiators")) list.push_back(i.convert<std::string>());
    }
    std::map<int, Auth> auths;  // by tag (first entry of a tag wins)
    for (const auto& v : *arrayOf(config, "auths")) {
      Object::Ptr a = v.extract<Object::Ptr>();
      int tag = a->getValue<int>("tag");
      if (auths.count(tag)) continue;
      auths[tag] = {stringOf(*a, "user"), stringOf(*a, "secret"), stringOf(*a, "peeruser"),
                    stringOf(*a, "peersecret")};
    }
    std::map<int, std::string> extentBackstore;  // extent id -> backstore name
    for (const auto& v : *arrayOf(config, "extents")) {
      Object::Ptr e = v.extract<Object::Ptr>();
      if (!e->optValue("enabled", true)) continue;
      std::string name = backstoreName(stringOf(*e, "name"));
      Backstore bs;
      if (stringOf(*e, "type", "DISK") == "DISK") {
        std::string disk = stringOf(*e, "disk");
        if (disk.rfind("zvol/", 0) != 0) {
          return absl::InvalidArgumentError("extent " + name + ": disk is not zvol/<name>");
        }
        bs.file = root + "/zvol/" + disk.substr(5);
      } else {
        bs.file = stringOf(*e, "path");
      }
      bs.size = fileSize(bs.file);
      bs.unitSerial = stringOf(*e, "serial");
      bs.companyId = companyIdFromNaa(stringOf(*e, "naa"));
      extentBackstore[e->getValue<int>("id")] = name;
      state.backstores[name] = std::move(bs);
    }
    const std::string basename = stringOf(config, "basename", "iqn.2005-10.org.freenas.ctl");
    std::map<int, std::string> targetIqn;
    for (const auto& v : *arrayOf(config, "targets")) {
      Object::Ptr t = v.extract<Object::Ptr>();
      std::string iqn = stringOf(*t, "iqn");
      if (iqn.empty()) iqn = basename + ":" + stringOf(*t, "name");
      targetIqn[t->getValue<int>("id")] = iqn;
      Target target;
      bool anyOpen = false;
      std::set<std::string> allowed;
      for (const auto& gv : *arrayOf(*t, "groups")) {
        Object::Ptr g = gv.extract<Object::Ptr>();
        if (g->has("portal") && !g->isNull("portal")) {
          for (const auto& p : portals[g->getValue<int>("portal")]) target.portals.insert(p);
        }
        if (!g->has("initiator") || g->isNull("initiator")) {
          anyOpen = true;
        } else {
          const auto& list = initiatorGroups[g->getValue<int>("initiator")];
          if (list.empty()) anyOpen = true;
          allowed.insert(list.begin(), list.end());
        }
        std::string method = stringOf(*g, "authmethod", "NONE");
        if (method == "CHAP" || method == "CHAP_MUTUAL") {
          if (!g->has("auth") || g->isNull("auth") || !auths.count(g->getValue<int>("auth"))) {
            return absl::InvalidArgumentError("target " + iqn + ": CHAP without a known auth tag");
          }
          const Auth& a = auths[g->getValue<int>("auth")];
          target.chap = true;
          target.demoChap.userid = a.user;
          target.demoChap.password = a.secret;
          if (method == "CHAP_MUTUAL") {
            target.demoChap.useridMut = a.peeruser;
            target.demoChap.passwordMut = a.peersecret;
          }
        }
      }
      target.demoMode = anyOpen;
      if (!anyOpen) {
        for (const auto& ini : allowed) target.acls[ini].chap = target.demoChap;
        target.demoChap = {};
      }
      state.targets[iqn] = std::move(target);
    }
    for (const auto& v : *arrayOf(config, "targetextents")) {
      Object::Ptr m = v.extract<Object::Ptr>();
      int tid = m->getValue<int>("target");
      int eid = m->getValue<int>("extent");
      int lun = m->optValue("lunid", 0);
      if (!targetIqn.count(tid)) {
        return absl::InvalidArgumentError("mapping to unknown target " + std::to_string(tid));
      }
      auto e = extentBackstore.find(eid);
      if (e == extentBackstore.end()) continue;  // disabled extent: no LUN
      Target& t = state.targets[targetIqn[tid]];
      t.luns[lun] = e->second;
      for (auto& [ini, acl] : t.acls) acl.luns.insert(lun);
    }
    return state;
  } catch (const Poco::Exception& e) {
    return absl::InvalidArgumentError("malformed iscsi.config: " + e.displayText());
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(std::string("malformed iscsi.config: ") + e.what());
  }
}

}  // namespace tnascsi::sim
