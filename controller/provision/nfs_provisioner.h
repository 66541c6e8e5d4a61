// NfsProvisioner: NFS volumes on TrueNAS. One volume is a filesystem dataset with refquota =
// capacity (TrueNAS minimum 1 GiB; optional refreservation) and one NFS share of its mountpoint.
// A fresh create costs 2 calls (dataset, share), 3 with nfsRootMode/Uid/Gid (filesystem.setperm
// or filesystem.chown on the dataset's root, a job, between the two); a retry looks the share up
// by path and, while it is missing, applies the root permissions again. Volumes with a content
// source keep the source's root. The volume context names the server, the export path and the
// NFS version. See provisioner.h.
//
// With nfsExportPerNode (nfs_publish.cc) the dataset carries props::kNfsExportPerNode, the share
// is created disabled with no hosts (nobody may mount), publish adds the node's NFS client
// address to its hosts and enables it, unpublish removes the address and disables the share when
// the last node leaves. Calls for one volume are serialized by VolumeManager's per-volume guard.
#pragma once

#include "controller/provision/provisioner.h"

namespace tnascsi::controller::provision {

class NfsProvisioner final : public Provisioner {
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

  // Per-node exports (no-ops for a volume without nfsExportPerNode). publish: FailedPrecondition
  // for a node id without an address (version 1) or a single-node volume held by another node;
  // ResourceExhausted past the version's host cap or the 1024-character comment.
  Status publish(Backend& backend, const truenas::Dataset& dataset, const NodeId& node,
                 bool multiNode);
  // `node` with an empty name: from every node.
  Status unpublish(Backend& backend, const truenas::Dataset& dataset, const NodeId& node);

 private:
  // The steps after the dataset (clone growth, share); create() rolls the dataset back when they
  // fail permanently and it made the dataset.
  StatusOr<VolumeInfo> finish(const CreatePlan& plan, DatasetOutcome& outcome);
};

// "/mnt/<dataset>" unless TrueNAS reported another mountpoint.
std::string exportPath(const truenas::Dataset& dataset);

// Whether the volume was created with nfsExportPerNode.
bool exportsPerNode(const truenas::Dataset& dataset);
// The comment of a new per-node share: `base` + the (empty) published-nodes marker.
std::string perNodeShareComment(const std::string& base);
// The nodes a per-node share records (node ids with name and address only).
std::vector<NodeId> perNodePublishedNodes(const truenas::NfsShare& share);

}  // namespace tnascsi::controller::provision
