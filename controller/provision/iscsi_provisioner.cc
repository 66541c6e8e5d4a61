// iSCSI volumes: zvol, initiator group, CHAP, target, extent, LUN (see iscsi_provisioner.h).
#include "controller/provision/iscsi_provisioner.h"

#include <algorithm>
#include <shared_mutex>

#include "absl/strings/str_join.h"
#include "common/log/log.h"
#include "controller/provision/iscsi_detail.h"
#include "controller/provision/iscsi_masking.h"
#include "controller/provision/metadata.h"
#include "controller/provision/naming.h"

namespace tnascsi::controller::provision {
namespace {

using truenas::TrueNasApi;
using namespace iscsi_detail;  // NOLINT(google-build-using-namespace): this module's helpers

// Deterministic CHAP tag for a volume: large, so it does not meet the small tags administrators
// use; a clash with a foreign tag moves to the next number.
int64_t baseAuthTag(const std::string& dataset) {
  return 100000 + static_cast<int64_t>(std::stoull(shortHash(dataset).substr(0, 7), nullptr, 16));
}

truenas::IscsiAuthSpec authSpec(int64_t tag, const ChapCredentials& chap) {
  truenas::IscsiAuthSpec spec;
  spec.tag = tag;
  spec.user = chap.user;
  spec.secret = chap.secret;
  spec.peeruser = chap.mutualUser;
  spec.peersecret = chap.mutualSecret;
  return spec;
}

StatusOr<int64_t> ensureAuth(TrueNasApi& api, const std::string& dataset,
                             const ChapCredentials& chap) {
  int64_t tag = baseAuthTag(dataset);
  for (int attempt = 0; attempt < 8; ++attempt, ++tag) {
    TNAS_ASSIGN_OR_RETURN(std::vector<truenas::IscsiAuth> existing, api.queryIscsiAuthByTag(tag));
    if (existing.empty()) {
      TNAS_RETURN_IF_ERROR(common::annotate(api.createIscsiAuth(authSpec(tag, chap)).status(),
                                            "creating the CHAP credential of " + dataset));
      return tag;
    }
    if (existing.size() == 1 && existing.front().user == chap.user) {
      // Ours, from an interrupted earlier attempt: make sure it carries the current secrets.
      TNAS_RETURN_IF_ERROR(
          common::annotate(api.updateIscsiAuth(existing.front().id, authSpec(tag, chap)).status(),
                           "updating the CHAP credential of " + dataset));
      return tag;
    }
  }
  return absl::ResourceExhaustedError("no free iSCSI auth tag near " +
                                      std::to_string(baseAuthTag(dataset)) + " for " + dataset);
}

// TrueNAS refuses a zvol on a dRAID pool with a volblocksize below 32K ("Volume block size must be
// greater than or equal to 32K for dRAID pools", TS-24.10.2.4:src/middlewared/middlewared/plugins/
// pool_/dataset.py:377-382; TS-25.04.2.6 :386-391; TS-25.10.0 :315-320). Checked before anything
// is made so the refusal names the StorageClass parameter.
Status checkVolblocksizeForPool(Backend& backend, uint64_t volblocksize) {
  constexpr uint64_t kDraidMinimum = 32 * 1024;
  if (volblocksize >= kDraidMinimum) return absl::OkStatus();
  TNAS_ASSIGN_OR_RETURN(bool draid, backend.poolIsDraid());
  if (!draid) return absl::OkStatus();
  const std::string& parent = backend.config().parentDataset;
  return absl::InvalidArgumentError(
      "StorageClass parameter volblocksize " + std::to_string(volblocksize / 1024) +
      "K is below 32K, the smallest TrueNAS accepts for zvols on the dRAID pool " +
      parent.substr(0, parent.find('/')) +
      "; set volblocksize to 32K or more (the TrueNAS default there is 128K)");
}

void sweepUnrecordedGroups(TrueNasApi& api, const std::string& dataset) {
  std::optional<int64_t> recorded;
  auto zvol = api.getDataset(dataset);
  if (zvol.ok()) {
    recorded = propInt(*zvol, props::kInitiatorGroup);
  } else if (zvol.status().code() != StatusCode::kNotFound) {
    return;
  }
  std::string key = props::initiatorGroupKey(dataset);
  auto groups = api.queryIscsiInitiatorGroups(
      truenas::QueryFilter::where("comment", truenas::FilterOp::kEq, key), {});
  if (!groups.ok()) return;
  for (const auto& group : *groups) {
    if (group.comment != key || (recorded && *recorded == group.id)) continue;
    Status s = okIfNotFound(api.deleteIscsiInitiatorGroup(group.id));
    if (!s.ok()) {
      TNAS_LOG(Warn).kv("group", std::to_string(group.id)).kv("error", s.ToString())
          << "could not remove an unrecorded initiator group";
    }
  }
}

truenas::IscsiTargetSpec targetSpec(const CreatePlan& plan, const IscsiSetup& setup, int64_t group,
                                    std::optional<int64_t> authTag) {
  truenas::IscsiTargetSpec spec;
  spec.name = plan.leaf;
  spec.alias = std::string(props::kTargetAliasPrefix) + plan.csiName;
  truenas::IscsiTargetGroup g;
  g.portal = setup.portalId;
  g.initiator = group;
  if (authTag) {
    g.authMethod = plan.chap.mutual() ? truenas::IscsiAuthMethod::kChapMutual
                                      : truenas::IscsiAuthMethod::kChap;
    g.auth = *authTag;
  }
  spec.groups.push_back(g);
  return spec;
}

StatusOr<truenas::IscsiTarget> ensureTarget(TrueNasApi& api, const truenas::IscsiTargetSpec& spec,
                                            bool fresh) {
  if (fresh) {
    auto created = api.createIscsiTarget(spec);
    if (created.ok()) return created;
    if (created.status().code() != StatusCode::kAlreadyExists) {
      return common::annotate(created.status(), "creating iSCSI target " + spec.name);
    }
  }
  auto found = api.findIscsiTargetByName(spec.name);
  if (found.status().code() == StatusCode::kNotFound) {
    auto created = api.createIscsiTarget(spec);
    if (!created.ok())
      return common::annotate(created.status(), "creating iSCSI target " + spec.name);
    return created;
  }
  if (!found.ok()) return found.status();
  if (!isOurTarget(*found)) {
    return absl::AlreadyExistsError("iSCSI target " + spec.name +
                                    " already exists and is not managed by this driver");
  }
  bool same = found->groups.size() == spec.groups.size();
  for (size_t i = 0; same && i < spec.groups.size(); ++i) {
    same = found->groups[i].portal == spec.groups[i].portal &&
           found->groups[i].initiator == spec.groups[i].initiator &&
           found->groups[i].authMethod == spec.groups[i].authMethod &&
           found->groups[i].auth == spec.groups[i].auth;
  }
  if (same) return found;
  truenas::IscsiTargetUpdateSpec update;
  update.groups = spec.groups;
  return api.updateIscsiTarget(found->id, update);
}

StatusOr<truenas::IscsiExtent> ensureExtent(TrueNasApi& api, const CreatePlan& plan, bool fresh) {
  truenas::IscsiExtentCreateSpec spec;
  spec.name = plan.leaf;
  spec.disk = diskOf(plan.id.dataset);
  spec.blocksize = plan.params.iscsi.extentBlocksize;
  spec.insecureTpc = plan.params.iscsi.extentInsecureTpc;
  spec.xen = plan.params.iscsi.extentXen;
  spec.rpm = plan.params.iscsi.extentRpm;
  spec.comment = std::string(props::kTargetAliasPrefix) + plan.csiName;
  if (fresh) {
    auto created = api.createIscsiExtent(spec);
    if (created.ok()) return created;
    if (created.status().code() != StatusCode::kAlreadyExists) {
      return common::annotate(created.status(), "creating iSCSI extent " + spec.name);
    }
  }
  auto found = api.findIscsiExtentByDisk(spec.disk);
  if (found.ok()) return found;
  if (found.status().code() != StatusCode::kNotFound) return found.status();
  auto created = api.createIscsiExtent(spec);
  if (created.status().code() == StatusCode::kAlreadyExists) {
    return absl::AlreadyExistsError("iSCSI extent name " + spec.name +
                                    " is taken by an extent on another disk");
  }
  if (!created.ok())
    return common::annotate(created.status(), "creating iSCSI extent " + spec.name);
  return created;
}

StatusOr<int64_t> ensureMapping(TrueNasApi& api, int64_t target, int64_t extent, bool fresh) {
  truenas::IscsiTargetExtentSpec spec;
  spec.target = target;
  spec.extent = extent;
  if (fresh) {
    auto created = api.createIscsiTargetExtent(spec);
    if (created.ok()) return created->lunid;
    if (created.status().code() != StatusCode::kAlreadyExists) {
      return common::annotate(created.status(), "mapping the extent to its target");
    }
  }
  TNAS_ASSIGN_OR_RETURN(
      auto mappings,
      api.queryIscsiTargetExtents(
          truenas::QueryFilter::where("extent", truenas::FilterOp::kEq, extent), {}));
  for (const auto& m : mappings) {
    if (m.target == target) return m.lunid;
    return absl::AlreadyExistsError("the volume's iSCSI extent is mapped to another target (id " +
                                    std::to_string(m.target) + ")");
  }
  auto created = api.createIscsiTargetExtent(spec);
  if (!created.ok()) return common::annotate(created.status(), "mapping the extent to its target");
  return created->lunid;
}

}  // namespace

uint64_t IscsiProvisioner::capacityOf(const truenas::Dataset& dataset) const {
  return dataset.volsize.value_or(0);
}

StatusOr<VolumeInfo> IscsiProvisioner::create(const CreatePlan& plan) {
  Backend& backend = *plan.backend;
  TrueNasApi& api = backend.api();
  // No leftover sweep while this create's group or target has nothing referencing it yet.
  std::shared_lock<std::shared_mutex> gate(backend.exportsGate());
  if (!plan.cloneSnapshot) {  // a clone or copy keeps its source's volblocksize
    TNAS_RETURN_IF_ERROR(checkVolblocksizeForPool(backend, plan.params.iscsi.volblocksize));
  }
  TNAS_ASSIGN_OR_RETURN(IscsiSetup setup, backend.iscsiSetup());
  std::string iqn = setup.basename + ":" + plan.leaf;
  if (iqn.size() > kMaxIqnLength) {
    return absl::FailedPreconditionError("target IQN " + iqn + " would exceed 223 characters");
  }
  std::optional<int64_t> authTag;
  if (plan.chap.enabled()) {
    TNAS_ASSIGN_OR_RETURN(authTag, ensureAuth(api, plan.id.dataset, plan.chap));
  }
  // The initiator group comes first so the zvol can record its id; it admits nobody yet.
  auto group = api.createIscsiInitiatorGroup(initiatorGroupSpec(plan.id.dataset, {}));
  if (!group.ok()) {
    if (group.status().code() == StatusCode::kUnavailable ||
        group.status().code() == StatusCode::kDeadlineExceeded) {
      // The group may exist although the reply was lost: remove unrecorded ones while we can.
      sweepUnrecordedGroups(api, plan.id.dataset);
    }
    return common::annotate(group.status(), "creating the initiator group");
  }
  int64_t groupId = group->id;

  truenas::DatasetCreateSpec spec;
  spec.name = plan.id.dataset;
  spec.type = truenas::DatasetType::kVolume;
  spec.volsize = plan.capacity;
  spec.volblocksize = plan.params.iscsi.volblocksize;
  spec.sparse = plan.params.iscsi.sparse;
  spec.compression = plan.params.iscsi.compression;
  spec.dedup = plan.params.iscsi.dedup;
  spec.sync = plan.params.iscsi.sync;
  spec.userProperties = plan.userProperties;
  spec.userProperties[props::kInitiatorGroup] = std::to_string(groupId);
  if (authTag) spec.userProperties[props::kAuthTag] = std::to_string(*authTag);
  auto outcome = createOrAdoptDataset(plan, spec, spec.userProperties);
  if (!outcome.ok()) {
    Status cleanup = okIfNotFound(api.deleteIscsiInitiatorGroup(groupId));
    if (!cleanup.ok()) {
      TNAS_LOG(Warn).kv("group", std::to_string(groupId)).kv("error", cleanup.ToString())
          << "could not remove the initiator group of a failed create; the retry or DeleteVolume "
             "removes it";
    }
    if (authTag && isPermanent(outcome.status())) (void)deleteAuthTag(api, *authTag);
    return outcome.status();
  }
  auto info = finish(plan, setup, *outcome, groupId, authTag);
  if (!info.ok() && outcome->created && isPermanent(info.status())) {
    // Refused after the zvol was made (e.g. a target or extent TrueNAS will not take): remove
    // everything this call made, exports first.
    truenas::Dataset made = outcome->dataset;
    made.userProperties = spec.userProperties;
    Status removed = removeExports(backend, made);
    if (!removed.ok()) {
      TNAS_LOG(Warn).kv("dataset", made.name).kv("error", removed.ToString())
          << "could not remove the exports of a refused create";
    }
    rollbackDataset(api, made.name);
  }
  return info;
}

StatusOr<VolumeInfo> IscsiProvisioner::finish(const CreatePlan& plan, const IscsiSetup& setup,
                                              DatasetOutcome& outcome, int64_t groupId,
                                              std::optional<int64_t> authTag) {
  Backend& backend = *plan.backend;
  TrueNasApi& api = backend.api();
  truenas::Dataset& dataset = outcome.dataset;
  if (!outcome.created) {
    // Resuming: the zvol records the group an earlier attempt made; keep that one.
    auto recorded = propInt(dataset, props::kInitiatorGroup);
    bool useRecorded = false;
    if (recorded && *recorded != groupId) {
      auto existing = api.getIscsiInitiatorGroup(*recorded);
      if (existing.ok()) {
        useRecorded = true;
      } else if (existing.status().code() != StatusCode::kNotFound) {
        (void)api.deleteIscsiInitiatorGroup(groupId);
        return existing.status();
      }
    }
    if (useRecorded) {
      (void)okIfNotFound(api.deleteIscsiInitiatorGroup(groupId));
      groupId = *recorded;
    } else {
      truenas::DatasetUpdateSpec update;
      update.setUserProperties[props::kInitiatorGroup] = std::to_string(groupId);
      TNAS_RETURN_IF_ERROR(api.updateDataset(dataset.name, update).status());
    }
  }
  uint64_t capacity = dataset.volsize.value_or(plan.capacity);
  // A clone of a smaller source grows to the requested size (also when resuming that step);
  // an existing volume is never resized by CreateVolume.
  bool growClone = plan.cloneSnapshot &&
                   (outcome.created || props::get(dataset.userProperties, props::kCapacity) ==
                                           std::to_string(plan.capacity));
  if (growClone && capacity < plan.capacity) {
    truenas::DatasetUpdateSpec grow;
    grow.volsize = plan.capacity;
    TNAS_RETURN_IF_ERROR(common::annotate(api.updateDataset(dataset.name, grow).status(),
                                          "growing clone " + dataset.name));
    capacity = plan.capacity;
  }
  TNAS_ASSIGN_OR_RETURN(
      truenas::IscsiTarget target,
      ensureTarget(api, targetSpec(plan, setup, groupId, authTag), outcome.created));
  TNAS_ASSIGN_OR_RETURN(truenas::IscsiExtent extent, ensureExtent(api, plan, outcome.created));
  TNAS_ASSIGN_OR_RETURN(int64_t lun, ensureMapping(api, target.id, extent.id, outcome.created));
  VolumeInfo info;
  info.capacity = capacity;
  info.context = buildContext(backend, plan.params, setup, target.name, lun, extent);
  return info;
}

StatusOr<std::map<std::string, std::string>> IscsiProvisioner::context(
    Backend& backend, const truenas::Dataset& dataset, const VolumeParameters& params) {
  TrueNasApi& api = backend.api();
  TNAS_ASSIGN_OR_RETURN(IscsiSetup setup, backend.iscsiSetup());
  TNAS_ASSIGN_OR_RETURN(auto target, api.findIscsiTargetByName(leafOf(dataset.name)));
  TNAS_ASSIGN_OR_RETURN(auto extent, api.findIscsiExtentByDisk(diskOf(dataset.name)));
  TNAS_ASSIGN_OR_RETURN(
      auto mappings,
      api.queryIscsiTargetExtents(
          truenas::QueryFilter::where("extent", truenas::FilterOp::kEq, extent.id), {}));
  int64_t lun = mappings.empty() ? 0 : mappings.front().lunid;
  return buildContext(backend, params, setup, target.name, lun, extent);
}

}  // namespace tnascsi::controller::provision
