// iSCSI configuration objects that targets refer to: iscsi.global, iscsi.portal,
// iscsi.initiator and iscsi.auth (reference §4.1–4.4), plus the iscsi.config backing event.
#include <algorithm>
#include <cctype>
#include <cerrno>

#include "test/truenas-sim/model/api_error.h"
#include "test/truenas-sim/model/model.h"
#include "test/truenas-sim/model/query.h"
#include "test/truenas-sim/model/schema.h"

namespace tnascsi::sim {
namespace {

std::vector<Json> values(const std::map<int64_t, Json>& m) {
  std::vector<Json> out;
  for (const auto& [k, v] : m) out.push_back(v);
  return out;
}

}  // namespace

void Model::setInterfaceIps(std::vector<std::string> ips) {
  std::lock_guard<std::mutex> lock(mu_);
  interfaceIps_ = std::move(ips);
}

Json Model::portalEntry(const Json& rec) const {
  Json e = Json::object();
  e.set("id", rec.value("id"));
  e.set("tag", rec.value("tag"));
  e.set("comment", rec.value("comment", ""));
  Json listen = Json::array();
  for (const Json& l : rec.value("listen").asArray()) {
    Json item = Json::object();
    item.set("ip", l.value("ip"));
    item.set("port", l.value("port", state_.iscsiGlobal.value("listen_port", 3260)));
    listen.push(std::move(item));
  }
  e.set("listen", std::move(listen));
  if (personality_.portalDiscoveryFields) {
    e.set("discovery_authmethod", rec.value("discovery_authmethod", "NONE"));
    e.set("discovery_authgroup", rec.value("discovery_authgroup"));
  }
  return e;
}

Json Model::iscsiConfigEvent() const {
  Json cfg = Json::object();
  cfg.set("basename", state_.iscsiGlobal.value("basename"));
  cfg.set("listen_port", state_.iscsiGlobal.value("listen_port"));
  Json portals = Json::array();
  for (const auto& [id, p] : state_.portals) portals.push(portalEntry(p));
  cfg.set("portals", std::move(portals));
  Json initiators = Json::array();
  for (const auto& [id, i] : state_.initiators) initiators.push(i);
  cfg.set("initiators", std::move(initiators));
  Json auths = Json::array();
  for (const auto& [id, a] : state_.auths) {
    Json x = Json::object();
    for (const char* k : {"id", "tag", "user", "secret", "peeruser", "peersecret"}) {
      x.set(k, a.value(k));
    }
    auths.push(std::move(x));
  }
  cfg.set("auths", std::move(auths));
  Json targets = Json::array();
  for (const auto& [id, t] : state_.targets) {
    Json x = Json::object();
    x.set("id", id);
    x.set("name", t.value("name"));
    x.set("iqn", targetIqn(t));
    x.set("groups", t.value("groups"));
    targets.push(std::move(x));
  }
  cfg.set("targets", std::move(targets));
  Json extents = Json::array();
  for (const auto& [id, x] : state_.extents) {
    Json e = Json::object();
    for (const char* k : {"id", "name", "type", "disk", "path", "filesize", "serial", "naa",
                          "blocksize", "ro", "enabled"}) {
      if (x.contains(k)) e.set(k, x.value(k));
    }
    e.set("vendor", "TrueNAS");
    e.set("product_id",
          x.value("product_id").isString() ? x.value("product_id") : Json("iSCSI Disk"));
    extents.push(std::move(e));
  }
  cfg.set("extents", std::move(extents));
  Json tes = Json::array();
  for (const auto& [id, te] : state_.targetextents) tes.push(te);
  cfg.set("targetextents", std::move(tes));
  Json ev = Json::object();
  ev.set("event", "iscsi.config");
  ev.set("root", backingRoot_);
  ev.set("config", std::move(cfg));
  return ev;
}

void Model::registerIscsi() {
  reg(
      "iscsi.global.config", [this](const Json&) -> StatusOr<Json> { return state_.iscsiGlobal; },
      false);
  reg("iscsi.global.update", [this](const Json& a) -> StatusOr<Json> {
    const Json data = a.at(0);
    Verrors v;
    ArgCheck c(data, "iscsiglobal_update", personality_.strictModels, v);
    TNAS_SIM_VERRORS_CHECK(v);
    std::vector<std::string> allowed = {"basename", "isns_servers", "listen_port",
                                        "pool_avail_threshold", "alua"};
    if (personality_.iscsiIser) allowed.push_back("iser");
    c.allowOnly(allowed);
    c.str("basename");
    c.list("isns_servers");
    if (auto port = c.integer("listen_port")) {
      if (*port < 1025 || *port > 65535) c.error("listen_port", "Should be between 1025 and 65535");
    }
    if (auto t = c.integer("pool_avail_threshold", false, true)) {
      if (*t < 1 || *t > 99) c.error("pool_avail_threshold", "Should be between 1 and 99");
    }
    c.boolean("alua");
    c.boolean("iser");
    TNAS_SIM_VERRORS_CHECK(v);
    for (const auto& [k, val] : data.asObject()) state_.iscsiGlobal.set(k, val);
    markIscsiChanged();
    return state_.iscsiGlobal;
  });
  reg(
      "iscsi.global.sessions", [this](const Json& a) { return runQuery({}, a.at(0), a.at(1)); },
      false);
  reg(
      "iscsi.global.client_count", [](const Json&) -> StatusOr<Json> { return Json(0); }, false);
  reg(
      "iscsi.portal.listen_ip_choices",
      [this](const Json&) -> StatusOr<Json> {
        Json out = Json::object();
        for (const auto& ip : interfaceIps_) out.set(ip, ip);
        return out;
      },
      false);

  // Simple CRUD tables share query/get_instance/delete.
  struct Table {
    const char* ns;
    const char* verbose;
    TxMap<int64_t>* rows;
  };
  for (const Table& t :
       {Table{"iscsi.portal", "ISCSIPortal", &state_.portals},
        Table{"iscsi.initiator", "iSCSIHostAuthorizedInitiator", &state_.initiators},
        Table{"iscsi.auth", "iSCSITargetAuthCredential", &state_.auths},
        Table{"iscsi.target", "iSCSITarget", &state_.targets},
        Table{"iscsi.extent", "iSCSITargetExtent", &state_.extents},
        Table{"iscsi.targetextent", "iSCSITargetToExtent", &state_.targetextents}}) {
    const std::string ns = t.ns;
    auto* rows = t.rows;
    const std::string verbose = t.verbose;
    auto entries = [this, ns, rows]() {
      std::vector<Json> out;
      for (const auto& [id, r] : *rows) {
        if (ns == "iscsi.portal") {
          out.push_back(portalEntry(r));
        } else if (ns == "iscsi.extent") {
          out.push_back(extentEntry(r));
        } else {
          out.push_back(r);
        }
      }
      return out;
    };
    reg(
        ns + ".query", [entries](const Json& a) { return runQuery(entries(), a.at(0), a.at(1)); },
        false);
    reg(
        ns + ".get_instance",
        [entries, verbose](const Json& a) {
          return getInstance(entries(), "id", a.at(0), verbose, a.at(1));
        },
        false);
  }
  reg("iscsi.portal.create", [this](const Json& a) { return portalCreateOrUpdate(a, false); });
  reg("iscsi.portal.update", [this](const Json& a) { return portalCreateOrUpdate(a, true); });
  reg("iscsi.portal.delete", [this](const Json& a) -> StatusOr<Json> {
    int64_t id = a.at(0).asInt();
    auto it = state_.portals.find(id);
    if (it == state_.portals.end()) return instanceNotFound("ISCSIPortal", a.at(0).dump());
    int64_t tag = it->second.value("tag").asInt();
    state_.portals.erase(it);
    // Groups using the portal go; later tags shift down so tags stay 1..n.
    for (auto t = state_.targets.begin(); t != state_.targets.end(); ++t) {
      Json groups = Json::array();
      for (const Json& g : t->second.value("groups").asArray()) {
        if (g.value("portal").asInt() != id) groups.push(g);
      }
      if (groups != t->second.value("groups"))
        state_.targets.edit(t).set("groups", std::move(groups));
    }
    for (auto p = state_.portals.begin(); p != state_.portals.end(); ++p) {
      const int64_t ptag = p->second.value("tag").asInt();
      if (ptag > tag) state_.portals.edit(p).set("tag", ptag - 1);
    }
    markIscsiChanged();
    return Json(true);
  });
  reg("iscsi.initiator.create",
      [this](const Json& a) { return initiatorCreateOrUpdate(a, false); });
  reg("iscsi.initiator.update", [this](const Json& a) { return initiatorCreateOrUpdate(a, true); });
  reg("iscsi.initiator.delete", [this](const Json& a) -> StatusOr<Json> {
    if (!state_.initiators.erase(a.at(0).asInt())) {
      return instanceNotFound("iSCSIHostAuthorizedInitiator", a.at(0).dump());
    }
    markIscsiChanged();
    return Json(true);
  });
  reg("iscsi.auth.create", [this](const Json& a) { return authCreateOrUpdate(a, false); });
  reg("iscsi.auth.update", [this](const Json& a) { return authCreateOrUpdate(a, true); });
  reg("iscsi.auth.delete", [this](const Json& a) { return authDelete(a); });
  reg("iscsi.target.create", [this](const Json& a) { return targetCreateOrUpdate(a, false); });
  reg("iscsi.target.update", [this](const Json& a) { return targetCreateOrUpdate(a, true); });
  reg("iscsi.target.delete", [this](const Json& a) { return targetDelete(a); });
  reg(
      "iscsi.target.validate_name",
      [this](const Json& a) -> StatusOr<Json> {
        const std::string name = a.at(0).asString();
        for (const auto& [id, t] : state_.targets) {
          if (t.value("name").asString() == name && id != a.at(1).asInt()) {
            return Json("Target with this name already exists");
          }
        }
        return Json();
      },
      false);
  reg("iscsi.extent.create", [this](const Json& a) { return extentCreateOrUpdate(a, false); });
  reg("iscsi.extent.update", [this](const Json& a) { return extentCreateOrUpdate(a, true); });
  reg("iscsi.extent.delete", [this](const Json& a) { return extentDelete(a); });
  reg("iscsi.targetextent.create",
      [this](const Json& a) { return targetExtentCreateOrUpdate(a, false); });
  reg("iscsi.targetextent.update",
      [this](const Json& a) { return targetExtentCreateOrUpdate(a, true); });
  reg("iscsi.targetextent.delete", [this](const Json& a) -> StatusOr<Json> {
    if (!state_.targetextents.erase(a.at(0).asInt())) {
      return instanceNotFound("iSCSITargetToExtent", a.at(0).dump());
    }
    markIscsiChanged();
    return Json(true);
  });
  (void)values;
}

StatusOr<Json> Model::portalCreateOrUpdate(const Json& params, bool update) {
  const Personality& p = personality_;
  const int64_t id = update ? params.at(0).asInt() : 0;
  const Json data = update ? params.at(1) : params.at(0);
  if (update && !state_.portals.count(id))
    return instanceNotFound("ISCSIPortal", params.at(0).dump());
  Verrors v;
  ArgCheck c(data, update ? "iscsi_portal_update" : "iscsi_portal_create", p.strictModels, v);
  TNAS_SIM_VERRORS_CHECK(v);
  std::vector<std::string> allowed = {"listen", "comment"};
  if (p.portalDiscoveryFields) {
    allowed.push_back("discovery_authmethod");
    allowed.push_back("discovery_authgroup");
  }
  c.allowOnly(allowed);
  auto listen = c.list("listen", !update);
  c.str("comment");
  if (p.portalDiscoveryFields) {
    c.choice("discovery_authmethod", {"NONE", "CHAP", "CHAP_MUTUAL"});
    c.integer("discovery_authgroup", false, true);
  }
  TNAS_SIM_VERRORS_CHECK(v);
  if (listen) {
    if (listen->empty()) c.error("listen", "At least one listen entry is required.");
    for (const Json& l : *listen) {
      const std::string ip = l.value("ip").asString();
      if (std::find(interfaceIps_.begin(), interfaceIps_.end(), ip) == interfaceIps_.end()) {
        c.error("listen", "IP " + ip + " not configured on this system.");
        continue;
      }
      for (const auto& [pid, portal] : state_.portals) {
        if (pid == id) continue;
        for (const Json& other : portal.value("listen").asArray()) {
          if (other.value("ip").asString() == ip)
            c.error("listen", "'" + ip + "' IP is already in use.");
        }
      }
    }
  }
  if (p.portalDiscoveryFields && data.value("discovery_authmethod", "NONE").asString() != "NONE") {
    bool found = false;
    for (const auto& [aid, auth] : state_.auths) {
      found |= auth.value("tag").asInt() == data.value("discovery_authgroup").asInt();
    }
    if (!found)
      c.error("discovery_authgroup",
              "This field is required if discovery method is set to CHAP or CHAP Mutual.");
  }
  TNAS_SIM_VERRORS_CHECK(v);
  Json rec = update ? state_.portals[id] : Json::object();
  if (!update) {
    rec.set("id", nextId("portal"));
    rec.set("tag", static_cast<int64_t>(state_.portals.size()) + 1);
    rec.set("comment", "");
    if (p.portalDiscoveryFields) {
      rec.set("discovery_authmethod", "NONE");
      rec.set("discovery_authgroup", nullptr);
    }
  }
  for (const auto& [k, val] : data.asObject()) {
    if (k == "listen") {
      Json ls = Json::array();
      for (const Json& l : val.asArray()) {
        Json item = Json::object();
        item.set("ip", l.value("ip"));
        if (p.isCore() || l.contains("port")) item.set("port", l.value("port", 3260));
        ls.push(std::move(item));
      }
      rec.set("listen", std::move(ls));
    } else {
      rec.set(k, val);
    }
  }
  state_.portals[rec.value("id").asInt()] = rec;
  markIscsiChanged();
  return portalEntry(rec);
}

StatusOr<Json> Model::initiatorCreateOrUpdate(const Json& params, bool update) {
  const int64_t id = update ? params.at(0).asInt() : 0;
  const Json data = update ? params.at(1) : params.at(0);
  if (update && !state_.initiators.count(id)) {
    return instanceNotFound("iSCSIHostAuthorizedInitiator", params.at(0).dump());
  }
  Verrors v;
  ArgCheck c(data, update ? "iscsi_initiator_update" : "iscsi_initiator_create",
             personality_.strictModels, v);
  TNAS_SIM_VERRORS_CHECK(v);
  std::vector<std::string> allowed = {"initiators", "comment"};
  if (personality_.initiatorAuthNetwork) allowed.push_back("auth_network");
  c.allowOnly(allowed);
  if (auto list = c.list("initiators")) {
    for (const Json& i : *list) {
      if (!i.isString())
        c.error("initiators", c.strict() ? "Input should be a valid string" : "Not a string");
    }
  }
  c.str("comment");
  c.list("auth_network");
  TNAS_SIM_VERRORS_CHECK(v);
  Json rec = update ? state_.initiators[id] : Json::object();
  if (!update) {
    rec.set("id", nextId("initiator"));
    rec.set("initiators", Json::array());
    rec.set("comment", "");
    if (personality_.initiatorAuthNetwork) rec.set("auth_network", Json::array());
  }
  for (const auto& [k, val] : data.asObject()) rec.set(k, val);
  state_.initiators[rec.value("id").asInt()] = rec;
  markIscsiChanged();
  return rec;
}

StatusOr<Json> Model::authCreateOrUpdate(const Json& params, bool update) {
  const Personality& p = personality_;
  const int64_t id = update ? params.at(0).asInt() : 0;
  const Json data = update ? params.at(1) : params.at(0);
  if (update && !state_.auths.count(id)) {
    return instanceNotFound("iSCSITargetAuthCredential", params.at(0).dump());
  }
  Verrors v;
  ArgCheck c(data, update ? "iscsi_auth_update" : "iscsi_auth_create", p.strictModels, v);
  TNAS_SIM_VERRORS_CHECK(v);
  std::vector<std::string> allowed = {"tag", "user", "secret", "peeruser", "peersecret"};
  if (p.authDiscoveryAuth) allowed.push_back("discovery_auth");
  c.allowOnly(allowed);
  c.integer("tag", !update);
  c.str("user", !update);
  c.str("secret", !update);
  c.str("peeruser");
  c.str("peersecret");
  if (p.authDiscoveryAuth) c.choice("discovery_auth", {"NONE", "CHAP", "CHAP_MUTUAL"});
  TNAS_SIM_VERRORS_CHECK(v);
  Json merged = update ? state_.auths[id] : Json::object();
  if (!update) {
    merged.set("peeruser", "");
    merged.set("peersecret", "");
    if (p.authDiscoveryAuth) merged.set("discovery_auth", "NONE");
  }
  for (const auto& [k, val] : data.asObject()) merged.set(k, val);
  auto checkSecret = [&](const char* field, const std::string& s, bool optional) {
    if (optional && s.empty()) return;
    if (s.size() < 12 || s.size() > 16) {
      c.error(field, "Secret must be between 12 and 16 characters.");
    } else if (p.authRejectsHashAndEdgeSpaces) {
      if (s.find('#') != std::string::npos) {
        c.error(field, "Secret may not contain the \"#\" character.");
      } else if (std::isspace(static_cast<unsigned char>(s.front())) ||
                 std::isspace(static_cast<unsigned char>(s.back()))) {
        c.error(field, "Secret may not begin or end with whitespace.");
      }
    }
  };
  const std::string secret = merged.value("secret").asString();
  const std::string peeruser = merged.value("peeruser").asString();
  const std::string peersecret = merged.value("peersecret").asString();
  checkSecret("secret", secret, false);
  if (!peersecret.empty() && peeruser.empty()) {
    c.error("peeruser", "The peer user is required if you set a peer secret.");
  }
  if (!peeruser.empty()) {
    if (peersecret.empty()) {
      c.error("peersecret", "The peer secret is required if you set a peer user.");
    } else if (peersecret == secret) {
      c.error("peersecret", "The peer secret cannot be the same as user secret.");
    } else {
      checkSecret("peersecret", peersecret, true);
    }
  }
  TNAS_SIM_VERRORS_CHECK(v);
  if (!update) merged.set("id", nextId("auth"));
  state_.auths[merged.value("id").asInt()] = merged;
  markIscsiChanged();
  return merged;
}

StatusOr<Json> Model::authDelete(const Json& params) {
  const int64_t id = params.at(0).asInt();
  auto it = state_.auths.find(id);
  if (it == state_.auths.end()) {
    return instanceNotFound("iSCSITargetAuthCredential", params.at(0).dump());
  }
  const int64_t tag = it->second.value("tag").asInt();
  int sameTag = 0;
  for (const auto& [aid, a] : state_.auths) sameTag += a.value("tag").asInt() == tag;
  if (sameTag == 1) {
    std::string users;
    for (const auto& [tid, t] : state_.targets) {
      for (const Json& g : t.value("groups").asArray()) {
        if (g.value("authmethod").asString() != "NONE" && g.value("auth").asInt() == tag) {
          users += (users.empty() ? "" : ", ") + t.value("name").asString();
          break;
        }
      }
    }
    if (!users.empty()) {
      return callError("Authorized access of " + std::to_string(id) +
                       " is being used by following target(s): " + users);
    }
  }
  state_.auths.erase(it);
  markIscsiChanged();
  return Json(true);
}

}  // namespace tnascsi::sim
