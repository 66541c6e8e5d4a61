// IdentityService: the CSI Identity service both binaries serve. Each binary passes its driver
// name, the capabilities it really implements, and a ReadinessCheck that Probe consults
// (controller: TrueNAS connection; node agent: iscsid). Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/base/status.h"
#include "proto/csi.grpc.pb.h"

namespace tnascsi::common {

// What Probe asks. OK when the binary can do its job; otherwise a Status whose message tells the
// operator what is missing ("no TrueNAS backend configured: set --truenas-url …").
class ReadinessCheck {
 public:
  virtual ~ReadinessCheck() = default;
  virtual Status ready() = 0;
};

// CSI driver names: at most 63 characters, domain-like: lower-case alphanumerics, '-', '.', '_',
// beginning and ending with an alphanumeric (CSI spec, GetPluginInfo).
Status validateDriverName(const std::string& name);

struct IdentityConfig {
  std::string driverName;
  std::string version;
  std::map<std::string, std::string> manifest;
  std::vector<csi::v1::PluginCapability> capabilities;
};

class IdentityService final : public csi::v1::Identity::Service {
 public:
  IdentityService(IdentityConfig config, ReadinessCheck& readiness);

  grpc::Status GetPluginInfo(grpc::ServerContext* context,
                             const csi::v1::GetPluginInfoRequest* request,
                             csi::v1::GetPluginInfoResponse* response) override;
  grpc::Status GetPluginCapabilities(grpc::ServerContext* context,
                                     const csi::v1::GetPluginCapabilitiesRequest* request,
                                     csi::v1::GetPluginCapabilitiesResponse* response) override;
  // ready=true when the ReadinessCheck passes; otherwise ready=false, and the reason is logged
  // (once per change of reason, so a kubelet/livenessprobe polling loop does not flood the log).
  grpc::Status Probe(grpc::ServerContext* context, const csi::v1::ProbeRequest* request,
                     csi::v1::ProbeResponse* response) override;

 private:
  IdentityConfig config_;
  ReadinessCheck& readiness_;
  std::mutex mu_;
  std::string lastReason_;  // guarded by mu_
};

// Capability builders for IdentityConfig::capabilities.
csi::v1::PluginCapability serviceCapability(csi::v1::PluginCapability::Service::Type type);
csi::v1::PluginCapability expansionCapability(
    csi::v1::PluginCapability::VolumeExpansion::Type type);

}  // namespace tnascsi::common
