// IdentityService implementation (see identity_service.h).
#include "common/csi/identity_service.h"

#include "common/log/log.h"
#include "common/rpc/rpc_handler.h"

namespace tnascsi::common {

Status validateDriverName(const std::string& name) {
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  bool ok = !name.empty() && name.size() <= 63 && alnum(name.front()) && alnum(name.back());
  for (char c : name) ok = ok && (alnum(c) || c == '-' || c == '.' || c == '_');
  if (!ok) {
    return absl::InvalidArgumentError(
        "driver name '" + name +
        "' is not valid: use at most 63 lower-case letters, digits, '-', '.' or '_', starting and "
        "ending with a letter or digit (e.g. csi.truenas-csi.io)");
  }
  return absl::OkStatus();
}

IdentityService::IdentityService(IdentityConfig config, ReadinessCheck& readiness)
    : config_(std::move(config)), readiness_(readiness) {}

grpc::Status IdentityService::GetPluginInfo(grpc::ServerContext*,
                                            const csi::v1::GetPluginInfoRequest* request,
                                            csi::v1::GetPluginInfoResponse* response) {
  return handleRpc("GetPluginInfo", *request,
                   [&] {
                     response->set_name(config_.driverName);
                     response->set_vendor_version(config_.version);
                     for (const auto& [k, v] : config_.manifest)
                       (*response->mutable_manifest())[k] = v;
                     return absl::OkStatus();
                   },
                   {LogLevel::kDebug});
}

grpc::Status IdentityService::GetPluginCapabilities(
    grpc::ServerContext*, const csi::v1::GetPluginCapabilitiesRequest* request,
    csi::v1::GetPluginCapabilitiesResponse* response) {
  return handleRpc("GetPluginCapabilities", *request,
                   [&] {
                     for (const auto& cap : config_.capabilities)
                       *response->add_capabilities() = cap;
                     return absl::OkStatus();
                   },
                   {LogLevel::kDebug});
}

grpc::Status IdentityService::Probe(grpc::ServerContext*, const csi::v1::ProbeRequest* request,
                                    csi::v1::ProbeResponse* response) {
  return handleRpc("Probe", *request,
                   [&] {
                     Status ready = readiness_.ready();
                     response->mutable_ready()->set_value(ready.ok());
                     std::string reason = ready.ok() ? "" : std::string(ready.message());
                     std::lock_guard<std::mutex> lock(mu_);
                     if (reason != lastReason_) {
                       if (ready.ok()) {
                         TNAS_LOG(Info) << "ready";
                       } else {
                         TNAS_LOG(Warn).kv("reason", reason) << "not ready";
                       }
                       lastReason_ = reason;
                     }
                     return absl::OkStatus();
                   },
                   {LogLevel::kDebug});
}

csi::v1::PluginCapability serviceCapability(csi::v1::PluginCapability::Service::Type type) {
  csi::v1::PluginCapability cap;
  cap.mutable_service()->set_type(type);
  return cap;
}

csi::v1::PluginCapability expansionCapability(
    csi::v1::PluginCapability::VolumeExpansion::Type type) {
  csi::v1::PluginCapability cap;
  cap.mutable_volume_expansion()->set_type(type);
  return cap;
}

}  // namespace tnascsi::common
