// IscsiProvisioner: iSCSI volumes on TrueNAS. One volume is a zvol, its own initiator group (LUN
// masking, see iscsi_masking.h), optionally its own CHAP credential (auth tag), one target named
// after the volume leaf and one DISK extent on the zvol mapped to it (LUN auto-assigned, 0).
//
// Create order, chosen so a fresh create costs 5 calls and an interrupted one is resumable:
//   initiator group -> zvol (records group id and auth tag in user properties) -> target ->
//   extent -> target/extent mapping.
// A retry after a failure at any step re-reads what exists (the zvol's properties, the target by
// name, the extent by disk, the mapping) and creates only what is missing; a group made by the
// retry itself is dropped in favour of the recorded one. See provisioner.h for the contract.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "controller/provision/provisioner.h"

namespace tnascsi::controller::provision {

class IscsiProvisioner final : public Provisioner {
 public:
  StatusOr<VolumeInfo> create(const CreatePlan& plan) override;
  uint64_t capacityOf(const truenas::Dataset& dataset) const override;
  StatusOr<std::map<std::string, std::string>> context(Backend& backend,
                                                       const truenas::Dataset& dataset,
                                                       const VolumeParameters& params) override;
  Status removeExports(Backend& backend, const truenas::Dataset& dataset) override;
  Status cleanupAfterDelete(Backend& backend, const truenas::Dataset& dataset) override;
  Status cleanupMissing(Backend& backend, const std::string& dataset) override;
  StatusOr<uint64_t> expand(Backend& backend, const truenas::Dataset& dataset, uint64_t required,
                            uint64_t limit) override;
  StatusOr<VolumeHealth> inspect(Backend& backend, const truenas::Dataset& dataset) override;

  // Adds `node` to the volume's initiator group (replacing the placeholder). OK when already
  // there. FailedPrecondition when `multiNode` is false and another node holds the volume;
  // NotFound when the node has no initiator IQN.
  Status publish(Backend& backend, const truenas::Dataset& dataset, const NodeId& node,
                 bool multiNode);
  // Removes `node` (matched by node id or IQN; an empty name matches every node); the
  // placeholder returns when none is left. OK when the node was not there.
  Status unpublish(Backend& backend, const truenas::Dataset& dataset, const NodeId& node);
  // Published node ids per initiator group id (one query), for ListVolumes.
  StatusOr<std::map<int64_t, std::vector<std::string>>> publishedByGroup(Backend& backend);

 private:
  // The steps after the zvol (group record, clone growth, target, extent, LUN); create() rolls
  // back what it made when they fail permanently.
  StatusOr<VolumeInfo> finish(const CreatePlan& plan, const IscsiSetup& setup,
                              DatasetOutcome& outcome, int64_t groupId,
                              std::optional<int64_t> authTag);
};

}  // namespace tnascsi::controller::provision
