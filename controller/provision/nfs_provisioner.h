// NfsProvisioner: NFS volumes on TrueNAS. One volume is a filesystem dataset with refquota =
// capacity (TrueNAS minimum 1 GiB; optional refreservation) and one NFS share of its mountpoint.
// A fresh create costs 2 calls (dataset, share); a retry looks the share up by path. The volume
// context names the server, the export path and the NFS version. See provisioner.h.
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

 private:
  // The steps after the dataset (clone growth, share); create() rolls the dataset back when they
  // fail permanently and it made the dataset.
  StatusOr<VolumeInfo> finish(const CreatePlan& plan, DatasetOutcome& outcome);
};

// "/mnt/<dataset>" unless TrueNAS reported another mountpoint.
std::string exportPath(const truenas::Dataset& dataset);

}  // namespace tnascsi::controller::provision
