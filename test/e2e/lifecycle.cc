// The end-to-end lifecycle (see lifecycle.h).
#include "test/e2e/lifecycle.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/URI.h>
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <sstream>

#include "test/e2e/node_checks.h"

namespace tnascsi::e2e {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
constexpr size_t kDataBytes = 4 << 20;
constexpr const char* kSimCollections[] = {"datasets", "snapshots", "initiators",    "auths",
                                           "targets",  "extents",   "targetextents", "nfs_shares"};

std::chrono::system_clock::time_point deadline(int seconds) {
  return std::chrono::system_clock::now() + std::chrono::seconds(seconds);
}

std::string grpcError(const char* what, const grpc::Status& s) {
  return std::string(what) + ": code " + std::to_string(s.error_code()) + ": " + s.error_message();
}

// Counts of every simulator collection, from its control plane.
bool simCounts(const std::string& simUrl, std::map<std::string, size_t>* out, std::string* error) {
  if (simUrl.empty()) return true;
  try {
    Poco::URI uri(simUrl);
    Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
    session.setTimeout(Poco::Timespan(10, 0));
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, "/_sim/state");
    session.sendRequest(req);
    Poco::Net::HTTPResponse resp;
    std::istream& body = session.receiveResponse(resp);
    std::stringstream ss;
    ss << body.rdbuf();
    if (resp.getStatus() != Poco::Net::HTTPResponse::HTTP_OK) {
      *error = "simulator state: HTTP " + std::to_string(resp.getStatus());
      return false;
    }
    auto state = Poco::JSON::Parser().parse(ss.str()).extract<Poco::JSON::Object::Ptr>();
    for (const char* c : kSimCollections) {
      auto arr = state->getArray(c);
      (*out)[c] = arr.isNull() ? 0 : arr->size();
    }
    return true;
  } catch (const Poco::Exception& e) {
    *error = "simulator state: " + e.displayText();
    return false;
  }
}

uint64_t sizeOf(const std::string& path, bool block) {
  if (block) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    off_t end = ::lseek(fd, 0, SEEK_END);
    ::close(fd);
    return end < 0 ? 0 : static_cast<uint64_t>(end);
  }
  struct statvfs st {};
  if (::statvfs(path.c_str(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.f_blocks) * st.f_frsize;
}

class Runner {
 public:
  explicit Runner(const LifecycleConfig& c)
      : cfg_(c),
        controller_(csi::v1::Controller::NewStub(
            grpc::CreateChannel(c.controllerEndpoint, grpc::InsecureChannelCredentials()))),
        node_(csi::v1::Node::NewStub(
            grpc::CreateChannel(c.nodeEndpoint, grpc::InsecureChannelCredentials()))) {}

  LifecycleResult run();

 private:
  struct Vol {
    std::string name, id, staging, target;
    google::protobuf::Map<std::string, std::string> volumeContext, publishContext;
  };

  bool step(const std::string& name, const std::function<bool(std::string*)>& body) {
    auto t0 = Clock::now();
    StepResult r;
    r.name = name;
    r.ok = body(&r.detail);
    r.ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    std::printf("  %-34s %8.0f ms  %s%s\n", name.c_str(), r.ms, r.ok ? "ok" : "FAILED",
                r.detail.empty() ? "" : ("  " + r.detail).c_str());
    std::fflush(stdout);
    result_.steps.push_back(r);
    return r.ok;
  }

  csi::v1::VolumeCapability capability() const {
    csi::v1::VolumeCapability cap;
    if (cfg_.block) {
      cap.mutable_block();
    } else {
      cap.mutable_mount()->set_fs_type(cfg_.protocol == "iscsi" ? cfg_.fsType : "");
    }
    cap.mutable_access_mode()->set_mode(
        cfg_.protocol == "nfs" ? csi::v1::VolumeCapability::AccessMode::MULTI_NODE_MULTI_WRITER
                               : csi::v1::VolumeCapability::AccessMode::SINGLE_NODE_WRITER);
    return cap;
  }

  void paths(Vol& v) const {
    std::string plugin = cfg_.kubeletDir + "/plugins/kubernetes.io/csi/" + cfg_.driverName;
    std::string pod = cfg_.kubeletDir + "/pods/e2e-" + v.name;
    if (cfg_.block) {
      v.staging = cfg_.kubeletDir + "/plugins/kubernetes.io/csi/volumeDevices/staging/" + v.name;
      v.target = pod + "/volumeDevices/kubernetes.io~csi/" + v.name;
    } else {
      v.staging = plugin + "/" + v.name + "/globalmount";
      v.target = pod + "/volumes/kubernetes.io~csi/" + v.name + "/mount";
    }
    std::error_code ec;
    fs::create_directories(v.staging, ec);  // kubelet creates the staging dir
    fs::create_directories(fs::path(v.target).parent_path(), ec);  // and the target's parent
  }

  bool createVolume(Vol& v, const csi::v1::VolumeContentSource* source, std::string* d) {
    csi::v1::CreateVolumeRequest req;
    req.set_name(v.name);
    req.mutable_capacity_range()->set_required_bytes(cfg_.sizeBytes);
    *req.add_volume_capabilities() = capability();
    (*req.mutable_parameters())["protocol"] = cfg_.protocol;
    if (cfg_.protocol == "nfs") (*req.mutable_parameters())["nfsVersion"] = cfg_.nfsVersion;
    for (const auto& [k, val] : cfg_.parameters) (*req.mutable_parameters())[k] = val;
    (*req.mutable_parameters())["csi.storage.k8s.io/pvc/name"] = v.name;
    (*req.mutable_parameters())["csi.storage.k8s.io/pvc/namespace"] = "e2e";
    if (source != nullptr) *req.mutable_volume_content_source() = *source;
    grpc::ClientContext ctx;
    ctx.set_deadline(deadline(120));
    csi::v1::CreateVolumeResponse resp;
    grpc::Status s = controller_->CreateVolume(&ctx, req, &resp);
    if (!s.ok()) {
      *d = grpcError("CreateVolume", s);
      return false;
    }
    v.id = resp.volume().volume_id();
    v.volumeContext = resp.volume().volume_context();
    *d = v.id;
    return true;
  }

  bool attach(Vol& v, std::string* d) {
    paths(v);
    {
      csi::v1::ControllerPublishVolumeRequest req;
      req.set_volume_id(v.id);
      req.set_node_id(nodeId_);
      *req.mutable_volume_capability() = capability();
      *req.mutable_volume_context() = v.volumeContext;
      grpc::ClientContext ctx;
      ctx.set_deadline(deadline(60));
      csi::v1::ControllerPublishVolumeResponse resp;
      grpc::Status s = controller_->ControllerPublishVolume(&ctx, req, &resp);
      if (!s.ok() && s.error_code() != grpc::StatusCode::UNIMPLEMENTED) {
        *d = grpcError("ControllerPublishVolume", s);
        return false;
      }
      v.publishContext = resp.publish_context();
    }
    {
      csi::v1::NodeStageVolumeRequest req;
      req.set_volume_id(v.id);
      req.set_staging_target_path(v.staging);
      *req.mutable_volume_capability() = capability();
      *req.mutable_publish_context() = v.publishContext;
      *req.mutable_volume_context() = v.volumeContext;
      grpc::ClientContext ctx;
      ctx.set_deadline(deadline(180));
      csi::v1::NodeStageVolumeResponse resp;
      grpc::Status s = node_->NodeStageVolume(&ctx, req, &resp);
      if (!s.ok()) {
        *d = grpcError("NodeStageVolume", s);
        return false;
      }
    }
    csi::v1::NodePublishVolumeRequest req;
    req.set_volume_id(v.id);
    req.set_staging_target_path(v.staging);
    req.set_target_path(v.target);
    *req.mutable_volume_capability() = capability();
    *req.mutable_publish_context() = v.publishContext;
    *req.mutable_volume_context() = v.volumeContext;
    grpc::ClientContext ctx;
    ctx.set_deadline(deadline(60));
    csi::v1::NodePublishVolumeResponse resp;
    grpc::Status s = node_->NodePublishVolume(&ctx, req, &resp);
    if (!s.ok()) {
      *d = grpcError("NodePublishVolume", s);
      return false;
    }
    return true;
  }

  bool detach(Vol& v, std::string* d) {
    {
      csi::v1::NodeUnpublishVolumeRequest req;
      req.set_volume_id(v.id);
      req.set_target_path(v.target);
      grpc::ClientContext ctx;
      ctx.set_deadline(deadline(60));
      csi::v1::NodeUnpublishVolumeResponse resp;
      grpc::Status s = node_->NodeUnpublishVolume(&ctx, req, &resp);
      if (!s.ok()) {
        *d = grpcError("NodeUnpublishVolume", s);
        return false;
      }
    }
    {
      csi::v1::NodeUnstageVolumeRequest req;
      req.set_volume_id(v.id);
      req.set_staging_target_path(v.staging);
      grpc::ClientContext ctx;
      ctx.set_deadline(deadline(120));
      csi::v1::NodeUnstageVolumeResponse resp;
      grpc::Status s = node_->NodeUnstageVolume(&ctx, req, &resp);
      if (!s.ok()) {
        *d = grpcError("NodeUnstageVolume", s);
        return false;
      }
    }
    csi::v1::ControllerUnpublishVolumeRequest req;
    req.set_volume_id(v.id);
    req.set_node_id(nodeId_);
    grpc::ClientContext ctx;
    ctx.set_deadline(deadline(60));
    csi::v1::ControllerUnpublishVolumeResponse resp;
    grpc::Status s = controller_->ControllerUnpublishVolume(&ctx, req, &resp);
    if (!s.ok() && s.error_code() != grpc::StatusCode::UNIMPLEMENTED) {
      *d = grpcError("ControllerUnpublishVolume", s);
      return false;
    }
    return true;
  }

  bool deleteVolume(const Vol& v, std::string* d) {
    csi::v1::DeleteVolumeRequest req;
    req.set_volume_id(v.id);
    grpc::ClientContext ctx;
    ctx.set_deadline(deadline(120));
    csi::v1::DeleteVolumeResponse resp;
    grpc::Status s = controller_->DeleteVolume(&ctx, req, &resp);
    if (!s.ok()) *d = grpcError("DeleteVolume", s);
    return s.ok();
  }

  std::string dataPath(const Vol& v) const {
    return cfg_.block ? v.target : v.target + "/data.bin";
  }

  LifecycleConfig cfg_;
  std::unique_ptr<csi::v1::Controller::Stub> controller_;
  std::unique_ptr<csi::v1::Node::Stub> node_;
  LifecycleResult result_;
  std::string nodeId_;
};

LifecycleResult Runner::run() {
  Vol src{cfg_.name, "", "", "", {}, {}};
  Vol clone{cfg_.name + "-clone", "", "", "", {}, {}};
  std::string snapshotId;
  std::string sum;
  std::map<std::string, size_t> simBefore;
  std::vector<std::string> sessionsBefore, disksBefore;

  bool ok =
      step("baseline (node + simulator)",
           [&](std::string* d) {
             sessionsBefore = iscsiSessions();
             disksBefore = scsiDisks();
             *d = std::to_string(sessionsBefore.size()) + " sessions, " +
                  std::to_string(disksBefore.size()) + " SCSI disks";
             return simCounts(cfg_.simUrl, &simBefore, d);
           }) &&
      step("NodeGetInfo",
           [&](std::string* d) {
             grpc::ClientContext ctx;
             ctx.set_deadline(deadline(30));
             csi::v1::NodeGetInfoResponse resp;
             grpc::Status s = node_->NodeGetInfo(&ctx, {}, &resp);
             if (!s.ok()) {
               *d = grpcError("NodeGetInfo", s);
               return false;
             }
             nodeId_ = resp.node_id();
             *d = nodeId_;
             return !nodeId_.empty();
           }) &&
      step("CreateVolume", [&](std::string* d) { return createVolume(src, nullptr, d); }) &&
      step("publish + stage + publish", [&](std::string* d) { return attach(src, d); }) &&
      step("write 4 MiB + checksum",
           [&](std::string* d) {
             sum = writePattern(dataPath(src), kDataBytes, 42, d);
             if (!sum.empty()) *d = "fnv1a64 " + sum;
             return !sum.empty();
           }) &&
      step("CreateSnapshot",
           [&](std::string* d) {
             csi::v1::CreateSnapshotRequest req;
             req.set_source_volume_id(src.id);
             req.set_name("snap-" + cfg_.name);
             grpc::ClientContext ctx;
             ctx.set_deadline(deadline(60));
             csi::v1::CreateSnapshotResponse resp;
             grpc::Status s = controller_->CreateSnapshot(&ctx, req, &resp);
             if (!s.ok()) {
               *d = grpcError("CreateSnapshot", s);
               return false;
             }
             snapshotId = resp.snapshot().snapshot_id();
             *d = snapshotId + (resp.snapshot().ready_to_use() ? " ready" : " NOT ready");
             return resp.snapshot().ready_to_use();
           }) &&
      step("CreateVolume from snapshot",
           [&](std::string* d) {
             csi::v1::VolumeContentSource source;
             source.mutable_snapshot()->set_snapshot_id(snapshotId);
             return createVolume(clone, &source, d);
           }) &&
      step("clone: publish + stage + publish", [&](std::string* d) { return attach(clone, d); }) &&
      step("clone: verify checksum",
           [&](std::string* d) {
             std::string c = checksum(dataPath(clone), kDataBytes, d);
             if (c.empty()) return false;
             *d = c == sum ? "matches" : "MISMATCH " + c + " != " + sum;
             return c == sum;
           }) &&
      step("ControllerExpand + NodeExpand online", [&](std::string* d) {
        uint64_t before = sizeOf(src.target, cfg_.block);
        int64_t want = cfg_.sizeBytes * 2;
        bool nodeNeeded = false;
        {
          csi::v1::ControllerExpandVolumeRequest req;
          req.set_volume_id(src.id);
          req.mutable_capacity_range()->set_required_bytes(want);
          *req.mutable_volume_capability() = capability();
          grpc::ClientContext ctx;
          ctx.set_deadline(deadline(60));
          csi::v1::ControllerExpandVolumeResponse resp;
          grpc::Status s = controller_->ControllerExpandVolume(&ctx, req, &resp);
          if (!s.ok()) {
            *d = grpcError("ControllerExpandVolume", s);
            return false;
          }
          nodeNeeded = resp.node_expansion_required();
        }
        if (nodeNeeded) {
          csi::v1::NodeExpandVolumeRequest req;
          req.set_volume_id(src.id);
          req.set_volume_path(src.target);
          req.set_staging_target_path(src.staging);
          req.mutable_capacity_range()->set_required_bytes(want);
          *req.mutable_volume_capability() = capability();
          grpc::ClientContext ctx;
          ctx.set_deadline(deadline(120));
          csi::v1::NodeExpandVolumeResponse resp;
          grpc::Status s = node_->NodeExpandVolume(&ctx, req, &resp);
          if (!s.ok()) {
            *d = grpcError("NodeExpandVolume", s);
            return false;
          }
        }
        uint64_t after = sizeOf(src.target, cfg_.block);
        *d = std::to_string(before >> 20) + " MiB -> " + std::to_string(after >> 20) + " MiB";
        // NFS reports the export's filesystem, which a quota change need not alter.
        return cfg_.protocol == "nfs" || after > before;
      });

  if (ok) {
    ok = step("NodeGetVolumeStats", [&](std::string* d) {
      csi::v1::NodeGetVolumeStatsRequest req;
      req.set_volume_id(src.id);
      req.set_volume_path(src.target);
      req.set_staging_target_path(src.staging);
      grpc::ClientContext ctx;
      ctx.set_deadline(deadline(30));
      csi::v1::NodeGetVolumeStatsResponse resp;
      grpc::Status s = node_->NodeGetVolumeStats(&ctx, req, &resp);
      if (!s.ok()) {
        *d = grpcError("NodeGetVolumeStats", s);
        return false;
      }
      std::string u;
      for (const auto& usage : resp.usage()) {
        u += csi::v1::VolumeUsage::Unit_Name(usage.unit()) +
             " total=" + std::to_string(usage.total()) + " used=" + std::to_string(usage.used()) +
             "; ";
      }
      bool abnormal = resp.has_volume_condition() && resp.volume_condition().abnormal();
      *d = u + (abnormal ? "ABNORMAL: " + resp.volume_condition().message() : "condition ok");
      return resp.usage_size() > 0 && !abnormal;
    });
  }
  // Teardown runs even after a failure, so a failed run leaves as little as possible behind.
  bool torn = true;
  if (!clone.id.empty()) {
    torn &= step("clone: unpublish + unstage + unpublish",
                 [&](std::string* d) { return detach(clone, d); });
    torn &= step("clone: DeleteVolume", [&](std::string* d) { return deleteVolume(clone, d); });
  }
  if (!snapshotId.empty()) {
    torn &= step("DeleteSnapshot", [&](std::string* d) {
      csi::v1::DeleteSnapshotRequest req;
      req.set_snapshot_id(snapshotId);
      grpc::ClientContext ctx;
      ctx.set_deadline(deadline(60));
      csi::v1::DeleteSnapshotResponse resp;
      grpc::Status s = controller_->DeleteSnapshot(&ctx, req, &resp);
      if (!s.ok()) *d = grpcError("DeleteSnapshot", s);
      return s.ok();
    });
  }
  if (!src.id.empty()) {
    torn &= step("unpublish + unstage + unpublish", [&](std::string* d) { return detach(src, d); });
    torn &= step("DeleteVolume", [&](std::string* d) { return deleteVolume(src, d); });
  }
  torn &= step("nothing left on the node", [&](std::string* d) {
    auto sessions = iscsiSessions();
    auto disks = scsiDisks();
    auto mounts = mountsUnder(cfg_.kubeletDir);
    auto records = filesIn(cfg_.stateDir + "/volumes");
    std::string left;
    if (sessions.size() > sessionsBefore.size())
      left += std::to_string(sessions.size()) + " sessions; ";
    if (disks.size() > disksBefore.size()) left += std::to_string(disks.size()) + " SCSI disks; ";
    for (const auto& m : mounts) left += "mount " + m + "; ";
    for (const auto& r : records) left += "record " + r + "; ";
    *d = left.empty() ? "no sessions, disks, mounts or attach records" : left;
    return left.empty();
  });
  torn &= step("nothing left on TrueNAS", [&](std::string* d) {
    std::map<std::string, size_t> after;
    if (!simCounts(cfg_.simUrl, &after, d)) return false;
    std::string left;
    for (const auto& [k, n] : after) {
      if (n != simBefore[k]) {
        left += k + " " + std::to_string(simBefore[k]) + "->" + std::to_string(n) + "; ";
      }
    }
    *d = cfg_.simUrl.empty() ? "not checked (no --sim-url)"
         : left.empty()      ? "no objects left"
                             : left;
    return left.empty();
  });
  result_.ok = ok && torn;
  return result_;
}

}  // namespace

LifecycleResult runLifecycle(const LifecycleConfig& config) {
  return Runner(config).run();
}

}  // namespace tnascsi::e2e
