// iscsi.target, iscsi.extent and iscsi.targetextent (reference §4.5–4.7): name rules, group
// checks, rel_tgt_id, serial/naa generation, LUN assignment, one mapping per extent, and the
// delete cascades (mappings, optional extents, 24.10 orphan initiator groups).
#include <algorithm>
#include <cerrno>
#include <regex>
#include <set>

#include "test/truenas-sim/model/api_error.h"
#include "test/truenas-sim/model/model.h"
#include "test/truenas-sim/model/schema.h"

namespace tnascsi::sim {

std::string Model::targetIqn(const Json& target) const {
  const std::string name = target.value("name").asString();
  if (name.rfind("iqn.", 0) == 0 || name.rfind("naa.", 0) == 0 || name.rfind("eui.", 0) == 0) {
    return name;
  }
  return state_.iscsiGlobal.value("basename").asString() + ":" + name;
}

Json Model::extentEntry(const Json& rec) const {
  Json e = rec;
  if (e.value("type").asString() == "DISK") e.set("path", e.value("disk"));
  e.set("vendor", "TrueNAS");
  e.set("locked", false);
  if (personality_.extentProductId && !e.value("product_id").isString()) {
    e.set("product_id", "iSCSI Disk");
  }
  return e;
}

StatusOr<Json> Model::targetCreateOrUpdate(const Json& params, bool update) {
  const Personality& p = personality_;
  const int64_t id = update ? params.at(0).asInt() : 0;
  const Json data = update ? params.at(1) : params.at(0);
  if (update && !state_.targets.count(id))
    return instanceNotFound("iSCSITarget", params.at(0).dump());
  Verrors v;
  ArgCheck c(data, update ? "iscsi_target_update" : "iscsi_target_create", p.strictModels, v);
  TNAS_SIM_VERRORS_CHECK(v);
  // CORE 13.0 targets have no auth_networks (TN-13.0-U6.8:src/middlewared/middlewared/plugins/
  // iscsi.py:1174-1189: "Field was not expected"); SCALE has them (TS-24.10.2.4:.../plugins/
  // iscsi_/targets.py:97; TS-25.04.2.6:.../api/v25_04_2/iscsi_target.py:49).
  std::vector<std::string> allowed = {"name", "alias", "mode", "groups"};
  if (!p.isCore()) allowed.push_back("auth_networks");
  if (p.targetIscsiParameters) allowed.push_back("iscsi_parameters");
  c.allowOnly(allowed);
  auto name = c.str("name", !update);
  auto alias = c.str("alias", false, true);
  auto mode = c.choice("mode", {"ISCSI", "FC", "BOTH"});
  auto groups = c.list("groups");
  c.list("auth_networks");
  if (p.targetNameMax120 && name && name->size() > 120) {
    c.error("name", "String should have at most 120 characters");
    name.reset();
  }
  TNAS_SIM_VERRORS_CHECK(v);
  static const std::regex kNameRe("^[-a-z0-9\\.:]+$");
  if (name) {
    if (!std::regex_match(*name, kNameRe)) {
      c.error("name",
              "Only lowercase alphanumeric characters plus dot (.), dash (-), and colon "
              "(:) are allowed.");
    } else {
      for (const auto& [tid, t] : state_.targets) {
        if (tid != id && t.value("name").asString() == *name) {
          c.error("name", "Target with this name already exists");
        }
      }
    }
  }
  if (alias) {
    if (alias->find('"') != std::string::npos) c.error("alias", "Double quotes are not allowed");
    if (*alias == "target") c.error("alias", "target is a reserved word");
    for (const auto& [tid, t] : state_.targets) {
      if (tid != id && t.value("alias").isString() && t.value("alias").asString() == *alias) {
        c.error("alias", "Alias already exists");
      }
    }
  }
  if (mode && *mode != "ISCSI") c.error("mode", "Fibre Channel not enabled");
  if (groups) {
    std::set<int64_t> seen;
    for (size_t i = 0; i < groups->size(); ++i) {
      const Json& g = (*groups)[i];
      const std::string gp = "groups." + std::to_string(i) + ".";
      const int64_t portal = g.value("portal").asInt();
      if (!g.value("portal").isInt()) {
        c.error(gp + "portal", c.strict() ? "Field required" : "attribute required");
      } else if (!state_.portals.count(portal)) {
        c.error(gp + "portal", std::to_string(portal) + " Portal not found in database.");
      } else if (!seen.insert(portal).second) {
        c.error(gp + "portal",
                "Portal " + std::to_string(portal) + " cannot be duplicated on a target");
      }
      if (g.value("initiator").isInt() && !state_.initiators.count(g.value("initiator").asInt())) {
        c.error(gp + "initiator",
                std::to_string(g.value("initiator").asInt()) + " Initiator not found in database.");
      }
      const std::string method = g.value("authmethod", "NONE").asString();
      if (method != "NONE" && method != "CHAP" && method != "CHAP_MUTUAL") {
        c.error(gp + "authmethod", "Invalid choice: " + method);
      } else if (method != "NONE") {
        if (!g.value("auth").isInt()) {
          c.error(gp + "auth", "Authentication group is required for CHAP and CHAP Mutual");
        } else {
          bool found = false, peer = false;
          for (const auto& [aid, a] : state_.auths) {
            if (a.value("tag").asInt() == g.value("auth").asInt()) {
              found = true;
              peer |= !a.value("peeruser").asString().empty();
            }
          }
          if (!found) {
            c.error(gp + "auth", "Authentication group " + std::to_string(g.value("auth").asInt()) +
                                     " not found");
          } else if (method == "CHAP_MUTUAL" && !peer) {
            c.error(gp + "auth", "CHAP Mutual requires an authentication group with a peer user");
          }
        }
      }
    }
  }
  TNAS_SIM_VERRORS_CHECK(v);
  Json rec = update ? state_.targets[id] : Json::object();
  if (!update) {
    rec.set("id", nextId("target"));
    rec.set("name", *name);
    rec.set("alias", nullptr);
    rec.set("mode", "ISCSI");
    rec.set("groups", Json::array());
    if (!p.isCore()) rec.set("auth_networks", Json::array());
    std::set<int64_t> used;
    for (const auto& [tid, t] : state_.targets) used.insert(t.value("rel_tgt_id").asInt());
    int64_t rel = 1;
    while (used.count(rel)) ++rel;
    rec.set("rel_tgt_id", rel);
    if (p.targetIscsiParameters) rec.set("iscsi_parameters", nullptr);
  }
  for (const auto& [k, val] : data.asObject()) {
    if (k == "groups") {
      Json gs = Json::array();
      for (const Json& g : val.asArray()) {
        Json ng = Json::object();
        ng.set("portal", g.value("portal"));
        ng.set("initiator", g.value("initiator"));
        ng.set("authmethod", g.value("authmethod", "NONE"));
        ng.set("auth", g.value("auth"));
        gs.push(std::move(ng));
      }
      rec.set("groups", std::move(gs));
    } else {
      rec.set(k, val);
    }
  }
  state_.targets[rec.value("id").asInt()] = rec;
  markIscsiChanged();
  return rec;
}

Status Model::deleteTargetInternal(int64_t id, bool deleteExtents) {
  auto it = state_.targets.find(id);
  if (it == state_.targets.end()) return instanceNotFound("iSCSITarget", std::to_string(id));
  std::vector<int64_t> extents;
  for (auto te = state_.targetextents.begin(); te != state_.targetextents.end();) {
    if (te->second.value("target").asInt() == id) {
      extents.push_back(te->second.value("extent").asInt());
      te = state_.targetextents.erase(te);
    } else {
      ++te;
    }
  }
  if (deleteExtents) {
    for (int64_t e : extents) state_.extents.erase(e);
  }
  std::set<int64_t> initiators;
  for (const Json& g : it->second.value("groups").asArray()) {
    if (g.value("initiator").isInt()) initiators.insert(g.value("initiator").asInt());
  }
  state_.targets.erase(it);
  // 24.10 deletes the target's initiator groups that no other target uses
  // (ref:TS-24.10.2.4:src/middlewared/middlewared/plugins/iscsi_/targets.py:365-374); 25.04.2.6,
  // 25.10.0 and CORE 13.0 keep them.
  if (personality_.cleansOrphanInitiators) {
    for (int64_t ini : initiators) {
      bool used = false;
      for (const auto& [tid, t] : state_.targets) {
        for (const Json& g : t.value("groups").asArray()) {
          used |= g.value("initiator").isInt() && g.value("initiator").asInt() == ini;
        }
      }
      if (!used) state_.initiators.erase(ini);
    }
  }
  markIscsiChanged();
  return absl::OkStatus();
}

StatusOr<Json> Model::targetDelete(const Json& params) {
  const int64_t id = params.at(0).asInt();
  if (!state_.targets.count(id)) return instanceNotFound("iSCSITarget", params.at(0).dump());
  Json force = params.at(1);
  Json deleteExtents = params.at(2);
  if (!force.isNull() && !force.isBool()) {
    return validationError(
        "force", personality_.strictModels ? "Input should be a valid boolean" : "Not a boolean");
  }
  if (params.size() > 2 && !personality_.targetDeleteExtents) {
    return validationError(std::nullopt, "Too many arguments (expected 2, found 3)");
  }
  TNAS_RETURN_IF_ERROR(deleteTargetInternal(id, deleteExtents.asBool()));
  return Json(true);
}

StatusOr<Json> Model::extentCreateOrUpdate(const Json& params, bool update) {
  const Personality& p = personality_;
  const int64_t id = update ? params.at(0).asInt() : 0;
  const Json data = update ? params.at(1) : params.at(0);
  if (update && !state_.extents.count(id)) {
    return instanceNotFound("iSCSITargetExtent", params.at(0).dump());
  }
  Verrors v;
  ArgCheck c(data, update ? "iscsi_extent_update" : "iscsi_extent_create", p.strictModels, v);
  TNAS_SIM_VERRORS_CHECK(v);
  std::vector<std::string> allowed = {"name",      "type",         "disk",
                                      "serial",    "path",         "filesize",
                                      "blocksize", "pblocksize",   "avail_threshold",
                                      "comment",   "insecure_tpc", "xen",
                                      "rpm",       "ro",           "enabled"};
  if (p.extentProductId) allowed.push_back("product_id");
  c.allowOnly(allowed);
  c.str("name", !update);
  c.choice("type", {"DISK", "FILE"});
  c.str("disk", false, true);
  c.str("serial", false, true);
  c.str("path", false, true);
  if (c.has("filesize") && !data.value("filesize").isString()) {
    c.integer("filesize");  // 25.04's model types it `str | int`; both are accepted
  }
  if (auto bs = c.integer("blocksize")) {
    if (*bs != 512 && *bs != 1024 && *bs != 2048 && *bs != 4096) {
      c.error("blocksize", c.strict() ? "Input should be 512, 1024, 2048 or 4096"
                                      : "Invalid choice: " + std::to_string(*bs));
    }
  }
  c.boolean("pblocksize");
  if (auto t = c.integer("avail_threshold", false, true)) {
    if (*t < 1 || *t > 99) c.error("avail_threshold", "Should be between 1 and 99");
  }
  c.str("comment");
  c.boolean("insecure_tpc");
  c.boolean("xen");
  c.choice("rpm", {"UNKNOWN", "SSD", "5400", "7200", "10000", "15000"});
  c.boolean("ro");
  c.boolean("enabled");
  if (auto pid = c.str("product_id", false, true)) {
    if (pid->size() > 16) c.error("product_id", "String should have at most 16 characters");
  }
  TNAS_SIM_VERRORS_CHECK(v);

  Json rec = update ? state_.extents[id] : Json::object();
  if (!update) {
    rec.set("id", int64_t{0});
    rec.set("name", "");
    rec.set("type", "DISK");
    rec.set("disk", nullptr);
    rec.set("serial", nullptr);
    rec.set("path", nullptr);
    rec.set("filesize", "0");
    rec.set("blocksize", 512);
    rec.set("pblocksize", false);
    rec.set("avail_threshold", nullptr);
    rec.set("comment", "");
    rec.set("naa", "");
    rec.set("insecure_tpc", true);
    rec.set("xen", false);
    rec.set("rpm", "SSD");
    rec.set("ro", false);
    rec.set("enabled", true);
    if (p.extentProductId) rec.set("product_id", nullptr);
  }
  for (const auto& [k, val] : data.asObject()) rec.set(k, val);
  const std::string name = rec.value("name").asString();
  if (p.extentNameMax64 && name.size() > 64) {
    c.error("name", "Extent name must be 64 characters or less");
  }
  if (name.find('"') != std::string::npos) c.error("name", "Double quotes are not allowed");
  for (const auto& [eid, e] : state_.extents) {
    if (eid != id && e.value("name").asString() == name) {
      c.error("name", "Extent name must be unique");
    }
  }
  if (rec.value("serial").isString()) {
    const std::string serial = rec.value("serial").asString();
    if (serial.size() > 20) c.error("serial", "Serial number must be 20 characters or less");
    for (const auto& [eid, e] : state_.extents) {
      if (eid != id && e.value("serial").asString() == serial) {
        c.error("serial", "Serial number must be unique");
      }
    }
  }
  if (rec.value("type").asString() == "DISK") {
    const std::string disk = rec.value("disk").asString();
    if (!rec.value("disk").isString() || disk.empty()) {
      c.error("disk", "This field is required");
    } else if (disk.rfind("zvol/", 0) != 0) {
      c.error("disk", "Disk name must start with \"zvol/\"");
    } else {
      const std::string zname = disk.substr(5);
      const size_t at = zname.find('@');
      bool exists = at == std::string::npos
                        ? state_.datasets.count(zname) &&
                              state_.datasets.at(zname).value("type").asString() == "VOLUME"
                        : state_.snapshots.count(zname) > 0;
      if (!exists) {
        c.error("disk", "Device '/dev/" + disk + "' for volume '" + zname + "' does not exist");
      } else if (at != std::string::npos && !rec.value("ro").asBool()) {
        c.error("ro", "Must be set when disk is a ZFS Snapshot");
      }
      for (const auto& [eid, e] : state_.extents) {
        if (eid != id && e.value("disk").asString() == disk) {
          c.error("disk", "Disk currently in use by extent " + e.value("name").asString());
        }
      }
    }
  } else {
    const std::string path = rec.value("path").asString();
    if (path.rfind("/mnt/", 0) != 0) c.error("path", "File path must reside within a pool");
    int64_t fs = rec.value("filesize").isString()
                     ? std::atoll(rec.value("filesize").asString().c_str())
                     : rec.value("filesize").asInt();
    if (fs % rec.value("blocksize").asInt() != 0) {
      c.error("filesize", "File size must be a multiple of block size");
    }
  }
  TNAS_SIM_VERRORS_CHECK(v);
  if (!update) {
    rec.set("id", nextId("extent"));
    if (!rec.value("serial").isString()) rec.set("serial", newSerial());
    rec.set("naa", newNaa());
  }
  if (rec.value("type").asString() == "DISK") rec.set("path", rec.value("disk"));
  state_.extents[rec.value("id").asInt()] = rec;
  markIscsiChanged();
  return extentEntry(rec);
}

StatusOr<Json> Model::extentDelete(const Json& params) {
  const int64_t id = params.at(0).asInt();
  if (!state_.extents.count(id)) return instanceNotFound("iSCSITargetExtent", params.at(0).dump());
  for (auto te = state_.targetextents.begin(); te != state_.targetextents.end();) {
    te = te->second.value("extent").asInt() == id ? state_.targetextents.erase(te) : std::next(te);
  }
  state_.extents.erase(id);
  markIscsiChanged();
  return Json(true);
}

StatusOr<Json> Model::targetExtentCreateOrUpdate(const Json& params, bool update) {
  const int64_t id = update ? params.at(0).asInt() : 0;
  const Json data = update ? params.at(1) : params.at(0);
  if (update && !state_.targetextents.count(id)) {
    return instanceNotFound("iSCSITargetToExtent", params.at(0).dump());
  }
  Verrors v;
  ArgCheck c(data, update ? "iscsi_targetextent_update" : "iscsi_targetextent_create",
             personality_.strictModels, v);
  TNAS_SIM_VERRORS_CHECK(v);
  c.allowOnly({"target", "extent", "lunid"});
  c.integer("target", !update);
  c.integer("extent", !update);
  c.integer("lunid", false, true);
  TNAS_SIM_VERRORS_CHECK(v);
  Json rec = update ? state_.targetextents[id] : Json::object();
  for (const auto& [k, val] : data.asObject()) rec.set(k, val);
  const int64_t target = rec.value("target").asInt();
  const int64_t extent = rec.value("extent").asInt();
  if (!state_.targets.count(target)) c.error("target", "Target not found");
  if (!state_.extents.count(extent)) c.error("extent", "Extent not found");
  for (const auto& [tid, te] : state_.targetextents) {
    if (tid != id && te.value("extent").asInt() == extent) {
      c.error("extent", "Extent is already in use.");
    }
  }
  if (rec.value("lunid").isNull()) {
    std::set<int64_t> used;
    for (const auto& [tid, te] : state_.targetextents) {
      if (tid != id && te.value("target").asInt() == target) used.insert(te.value("lunid").asInt());
    }
    int64_t lun = 0;
    while (used.count(lun)) ++lun;
    rec.set("lunid", lun);
  } else {
    const int64_t lun = rec.value("lunid").asInt();
    if (lun < 0 || lun > 16382) {
      c.error("lunid", "LUN ID must be a positive integer and lower than 16382");
    }
    for (const auto& [tid, te] : state_.targetextents) {
      if (tid != id && te.value("target").asInt() == target && te.value("lunid").asInt() == lun) {
        c.error("lunid", "LUN ID is already being used for this target.");
      }
    }
  }
  TNAS_SIM_VERRORS_CHECK(v);
  if (!update) {
    Json ordered = Json::object();
    ordered.set("id", nextId("targetextent"));
    ordered.set("target", target);
    ordered.set("lunid", rec.value("lunid"));
    ordered.set("extent", extent);
    rec = std::move(ordered);
  }
  state_.targetextents[rec.value("id").asInt()] = rec;
  markIscsiChanged();
  return rec;
}

}  // namespace tnascsi::sim
