// TrueNasClient: iSCSI, NFS and services.
#include <Poco/JSON/Object.h>

#include "common/log/log.h"
#include "controller/truenas/entity_parse.h"
#include "controller/truenas/request_build.h"
#include "controller/truenas/truenas_client.h"

namespace tnascsi::controller::truenas {
namespace {

Status rejectShapeFlags(const QueryOptions& options) {
  if (options.count || options.get) {
    return absl::InvalidArgumentError("query methods do not take count/get; use count() or get*()");
  }
  return absl::OkStatus();
}

bool truthy(const json::Var& v) {
  try {
    if (v.isBoolean()) return v.extract<bool>();
  } catch (const std::exception&) {
  }
  return false;
}

}  // namespace

// ---- iSCSI global and portals ---------------------------------------------------------------

StatusOr<IscsiGlobal> TrueNasClient::getIscsiGlobal() {
  TNAS_ASSIGN_OR_RETURN(json::Var v, read("iscsi.global.config", json::makeArray()));
  return parseIscsiGlobal(v);
}

StatusOr<std::vector<IscsiPortal>> TrueNasClient::listIscsiPortals() {
  TNAS_ASSIGN_OR_RETURN(json::Var rows, query("iscsi.portal.query", QueryFilter(), QueryOptions()));
  return parseList<IscsiPortal>(rows, parseIscsiPortal);
}

StatusOr<IscsiPortal> TrueNasClient::createIscsiPortal(const IscsiPortalCreateSpec& spec) {
  TNAS_ASSIGN_OR_RETURN(json::Var v,
                        write("iscsi.portal.create", json::makeArray({buildPortalCreate(spec)})));
  return parseIscsiPortal(v);
}

// ---- Initiator groups -----------------------------------------------------------------------

StatusOr<IscsiInitiatorGroup> TrueNasClient::createIscsiInitiatorGroup(
    const IscsiInitiatorGroupSpec& spec) {
  TNAS_ASSIGN_OR_RETURN(
      json::Var v, write("iscsi.initiator.create", json::makeArray({buildInitiatorGroup(spec)})));
  return parseIscsiInitiatorGroup(v);
}

StatusOr<IscsiInitiatorGroup> TrueNasClient::updateIscsiInitiatorGroup(
    int64_t id, const IscsiInitiatorGroupSpec& spec) {
  TNAS_ASSIGN_OR_RETURN(json::Var v, write("iscsi.initiator.update",
                                           json::makeArray({id, buildInitiatorGroup(spec)})));
  return parseIscsiInitiatorGroup(v);
}

Status TrueNasClient::deleteIscsiInitiatorGroup(int64_t id) {
  return write("iscsi.initiator.delete", json::makeArray({id})).status();
}

StatusOr<IscsiInitiatorGroup> TrueNasClient::getIscsiInitiatorGroup(int64_t id) {
  TNAS_ASSIGN_OR_RETURN(json::Var row, getOne("iscsi.initiator.query", "id", id,
                                              "iSCSI initiator group " + std::to_string(id)));
  return parseIscsiInitiatorGroup(row);
}

StatusOr<std::vector<IscsiInitiatorGroup>> TrueNasClient::queryIscsiInitiatorGroups(
    const QueryFilter& filter, const QueryOptions& options) {
  TNAS_RETURN_IF_ERROR(rejectShapeFlags(options));
  TNAS_ASSIGN_OR_RETURN(json::Var rows, query("iscsi.initiator.query", filter, options));
  return parseList<IscsiInitiatorGroup>(rows, parseIscsiInitiatorGroup);
}

// ---- CHAP -----------------------------------------------------------------------------------

StatusOr<IscsiAuth> TrueNasClient::createIscsiAuth(const IscsiAuthSpec& spec) {
  TNAS_ASSIGN_OR_RETURN(json::Var v,
                        write("iscsi.auth.create", json::makeArray({buildAuth(spec)})));
  return parseIscsiAuth(v);
}

StatusOr<IscsiAuth> TrueNasClient::updateIscsiAuth(int64_t id, const IscsiAuthSpec& spec) {
  TNAS_ASSIGN_OR_RETURN(json::Var v,
                        write("iscsi.auth.update", json::makeArray({id, buildAuth(spec)})));
  return parseIscsiAuth(v);
}

Status TrueNasClient::deleteIscsiAuth(int64_t id) {
  return write("iscsi.auth.delete", json::makeArray({id})).status();
}

StatusOr<std::vector<IscsiAuth>> TrueNasClient::queryIscsiAuthByTag(int64_t tag) {
  TNAS_ASSIGN_OR_RETURN(
      json::Var rows,
      query("iscsi.auth.query", QueryFilter::where("tag", FilterOp::kEq, tag), QueryOptions()));
  return parseList<IscsiAuth>(rows, parseIscsiAuth);
}

// ---- Targets --------------------------------------------------------------------------------

StatusOr<IscsiTarget> TrueNasClient::createIscsiTarget(const IscsiTargetSpec& spec) {
  TNAS_ASSIGN_OR_RETURN(Capabilities c, caps());
  TNAS_ASSIGN_OR_RETURN(
      json::Var v, write("iscsi.target.create", json::makeArray({buildTargetCreate(spec, c)})));
  return parseIscsiTarget(v);
}

StatusOr<IscsiTarget> TrueNasClient::updateIscsiTarget(int64_t id,
                                                       const IscsiTargetUpdateSpec& spec) {
  TNAS_ASSIGN_OR_RETURN(Capabilities c, caps());
  TNAS_ASSIGN_OR_RETURN(
      json::Var v, write("iscsi.target.update", json::makeArray({id, buildTargetUpdate(spec, c)})));
  return parseIscsiTarget(v);
}

Status TrueNasClient::deleteIscsiTarget(int64_t id, const IscsiTargetDeleteOptions& options) {
  TNAS_ASSIGN_OR_RETURN(Capabilities c, caps());
  if (c.targetDeleteExtents) {
    return write("iscsi.target.delete", json::makeArray({id, options.force, options.deleteExtents}))
        .status();
  }
  // Before 25.04: no delete_extents argument. Remember the mapped extents, delete the target
  // (which removes its mappings), then the extents.
  std::vector<int64_t> extents;
  if (options.deleteExtents) {
    TNAS_ASSIGN_OR_RETURN(
        std::vector<IscsiTargetExtent> maps,
        queryIscsiTargetExtents(QueryFilter::where("target", FilterOp::kEq, id), QueryOptions()));
    for (const auto& m : maps) extents.push_back(m.extent);
  }
  TNAS_RETURN_IF_ERROR(write("iscsi.target.delete", json::makeArray({id, options.force})).status());
  for (int64_t extent : extents) {
    IscsiExtentDeleteOptions eo;
    eo.force = options.force;
    Status st = deleteIscsiExtent(extent, eo);
    if (!st.ok() && st.code() != StatusCode::kNotFound) return st;
  }
  return absl::OkStatus();
}

StatusOr<IscsiTarget> TrueNasClient::getIscsiTarget(int64_t id) {
  TNAS_ASSIGN_OR_RETURN(
      json::Var row, getOne("iscsi.target.query", "id", id, "iSCSI target " + std::to_string(id)));
  return parseIscsiTarget(row);
}

StatusOr<IscsiTarget> TrueNasClient::findIscsiTargetByName(const std::string& name) {
  TNAS_ASSIGN_OR_RETURN(json::Var row,
                        getOne("iscsi.target.query", "name", name, "iSCSI target " + name));
  return parseIscsiTarget(row);
}

StatusOr<std::vector<IscsiTarget>> TrueNasClient::queryIscsiTargets(const QueryFilter& filter,
                                                                    const QueryOptions& options) {
  TNAS_RETURN_IF_ERROR(rejectShapeFlags(options));
  TNAS_ASSIGN_OR_RETURN(json::Var rows, query("iscsi.target.query", filter, options));
  return parseList<IscsiTarget>(rows, parseIscsiTarget);
}

// ---- Extents --------------------------------------------------------------------------------

StatusOr<IscsiExtent> TrueNasClient::createIscsiExtent(const IscsiExtentCreateSpec& spec) {
  TNAS_ASSIGN_OR_RETURN(Capabilities c, caps());
  TNAS_ASSIGN_OR_RETURN(
      json::Var v, write("iscsi.extent.create", json::makeArray({buildExtentCreate(spec, c)})));
  return parseIscsiExtent(v);
}

StatusOr<IscsiExtent> TrueNasClient::updateIscsiExtent(int64_t id,
                                                       const IscsiExtentUpdateSpec& spec) {
  TNAS_ASSIGN_OR_RETURN(
      json::Var v, write("iscsi.extent.update", json::makeArray({id, buildExtentUpdate(spec)})));
  return parseIscsiExtent(v);
}

Status TrueNasClient::deleteIscsiExtent(int64_t id, const IscsiExtentDeleteOptions& options) {
  return write("iscsi.extent.delete", json::makeArray({id, options.remove, options.force}))
      .status();
}

StatusOr<IscsiExtent> TrueNasClient::getIscsiExtent(int64_t id) {
  TNAS_ASSIGN_OR_RETURN(
      json::Var row, getOne("iscsi.extent.query", "id", id, "iSCSI extent " + std::to_string(id)));
  return parseIscsiExtent(row);
}

StatusOr<IscsiExtent> TrueNasClient::findIscsiExtentByName(const std::string& name) {
  TNAS_ASSIGN_OR_RETURN(json::Var row,
                        getOne("iscsi.extent.query", "name", name, "iSCSI extent " + name));
  return parseIscsiExtent(row);
}

StatusOr<IscsiExtent> TrueNasClient::findIscsiExtentByDisk(const std::string& disk) {
  TNAS_ASSIGN_OR_RETURN(
      json::Var row, getOne("iscsi.extent.query", "disk", disk, "iSCSI extent for disk " + disk));
  return parseIscsiExtent(row);
}

StatusOr<std::vector<IscsiExtent>> TrueNasClient::queryIscsiExtents(const QueryFilter& filter,
                                                                    const QueryOptions& options) {
  TNAS_RETURN_IF_ERROR(rejectShapeFlags(options));
  TNAS_ASSIGN_OR_RETURN(json::Var rows, query("iscsi.extent.query", filter, options));
  return parseList<IscsiExtent>(rows, parseIscsiExtent);
}

// ---- Target-extent mappings -----------------------------------------------------------------

StatusOr<IscsiTargetExtent> TrueNasClient::createIscsiTargetExtent(
    const IscsiTargetExtentSpec& spec) {
  TNAS_ASSIGN_OR_RETURN(
      json::Var v, write("iscsi.targetextent.create", json::makeArray({buildTargetExtent(spec)})));
  return parseIscsiTargetExtent(v);
}

Status TrueNasClient::deleteIscsiTargetExtent(int64_t id, bool force) {
  return write("iscsi.targetextent.delete", json::makeArray({id, force})).status();
}

StatusOr<std::vector<IscsiTargetExtent>> TrueNasClient::queryIscsiTargetExtents(
    const QueryFilter& filter, const QueryOptions& options) {
  TNAS_RETURN_IF_ERROR(rejectShapeFlags(options));
  TNAS_ASSIGN_OR_RETURN(json::Var rows, query("iscsi.targetextent.query", filter, options));
  return parseList<IscsiTargetExtent>(rows, parseIscsiTargetExtent);
}

// ---- NFS ------------------------------------------------------------------------------------

StatusOr<NfsShare> TrueNasClient::createNfsShare(const NfsShareSpec& spec) {
  TNAS_ASSIGN_OR_RETURN(Capabilities c, caps());
  NfsShareSpec s = spec;
  if (c.maxNfsHostsPerShare > 0 &&
      (s.hosts.size() > c.maxNfsHostsPerShare || s.networks.size() > c.maxNfsHostsPerShare)) {
    // 25.10: hosts and networks are lists of at most 42 (TS-25.10.0:src/middlewared/middlewared/
    // api/v25_04_0/nfs.py:21-22,95-102); 24.10, CORE and 25.04.2.6 (which reverted the limiter)
    // have no cap.
    return absl::InvalidArgumentError(
        "an NFS share on this TrueNAS takes at most " + std::to_string(c.maxNfsHostsPerShare) +
        " hosts and at most " + std::to_string(c.maxNfsHostsPerShare) + " networks");
  }
  if (c.nfsSecurityNeedsV4 && s.security == std::vector<std::string>{"SYS"}) {
    // CORE refuses any `security` while NFSv4 is off, its default (TN-13.0-U6.8:src/middlewared/
    // middlewared/plugins/nfs.py:416-419). Plain SYS is what an export without `security` uses
    // anyway, so it is not sent; a Kerberos flavour is, and TrueNAS answers whether NFSv4 allows
    // it (InvalidArgument when not).
    s.security.clear();
  }
  TNAS_ASSIGN_OR_RETURN(json::Var v,
                        write("sharing.nfs.create", json::makeArray({buildNfsCreate(s, c)})));
  return parseNfsShare(v);
}

StatusOr<NfsShare> TrueNasClient::updateNfsShare(int64_t id, const NfsShareUpdateSpec& spec) {
  TNAS_ASSIGN_OR_RETURN(json::Var v,
                        write("sharing.nfs.update", json::makeArray({id, buildNfsUpdate(spec)})));
  return parseNfsShare(v);
}

Status TrueNasClient::deleteNfsShare(int64_t id) {
  return write("sharing.nfs.delete", json::makeArray({id})).status();
}

StatusOr<NfsShare> TrueNasClient::findNfsShareByPath(const std::string& path) {
  TNAS_ASSIGN_OR_RETURN(json::Var row,
                        getOne("sharing.nfs.query", "path", path, "NFS share for " + path));
  return parseNfsShare(row);
}

StatusOr<std::vector<NfsShare>> TrueNasClient::queryNfsShares(const QueryFilter& filter,
                                                              const QueryOptions& options) {
  TNAS_RETURN_IF_ERROR(rejectShapeFlags(options));
  TNAS_ASSIGN_OR_RETURN(json::Var rows, query("sharing.nfs.query", filter, options, nullptr, true));
  return parseList<NfsShare>(rows, parseNfsShare);
}

// ---- Services -------------------------------------------------------------------------------

StatusOr<ServiceState> TrueNasClient::getService(const std::string& name) {
  TNAS_ASSIGN_OR_RETURN(json::Var row, getOne("service.query", "service", name, "service " + name));
  return parseService(row);
}

Status TrueNasClient::ensureServiceRunning(const std::string& name) {
  TNAS_ASSIGN_OR_RETURN(Capabilities c, caps());
  TNAS_ASSIGN_OR_RETURN(ServiceState state, getService(name));
  if (!state.enabled) {
    json::ObjectPtr o = new Poco::JSON::Object();
    o->set("enable", true);
    TNAS_RETURN_IF_ERROR(write("service.update", json::makeArray({name, o})).status());
  }
  if (state.running) return absl::OkStatus();
  TNAS_LOG(Info).kv("service", name) << "starting TrueNAS service";
  if (c.serviceControl) {
    TNAS_ASSIGN_OR_RETURN(json::Var job,
                          write("service.control", json::makeArray({std::string("START"), name})));
    // The job succeeds with result false when the service is not running afterwards (`silent`
    // defaults to true: TS-25.10.0:src/middlewared/middlewared/api/v25_10_0/service.py:32,
    // plugins/service.py:209-213), exactly like service.start on older versions.
    TNAS_ASSIGN_OR_RETURN(json::Var started, waitJob(job));
    if (!truthy(started)) return absl::InternalError("TrueNAS could not start service " + name);
    return absl::OkStatus();
  }
  TNAS_ASSIGN_OR_RETURN(json::Var started, write("service.start", json::makeArray({name})));
  if (!truthy(started)) return absl::InternalError("TrueNAS could not start service " + name);
  return absl::OkStatus();
}

Status TrueNasClient::reloadService(const std::string& name) {
  TNAS_ASSIGN_OR_RETURN(Capabilities c, caps());
  if (c.serviceControl) {
    TNAS_ASSIGN_OR_RETURN(json::Var job,
                          write("service.control", json::makeArray({std::string("RELOAD"), name})));
    return waitJob(job).status();
  }
  return write("service.reload", json::makeArray({name})).status();
}

}  // namespace tnascsi::controller::truenas
