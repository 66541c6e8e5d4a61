// The access scenarios: LUN masking, CHAP, publish mount flags (see access.h).
#include "test/e2e/access.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "test/e2e/csi_calls.h"
#include "test/e2e/node_checks.h"
#include "test/e2e/sim_state.h"

namespace tnascsi::e2e {
namespace {

constexpr size_t kDataBytes = 1 << 20;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::set<std::string> splitCommas(const std::string& s) {
  std::set<std::string> out;
  std::istringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.insert(item);
  }
  return out;
}

class AccessRunner {
 public:
  explicit AccessRunner(const AccessConfig& c) : cfg_(c), csi_(c.stack) {
    spec_.protocol = "iscsi";
    spec_.fsType = c.fsType;
    spec_.sizeBytes = c.sizeBytes;
  }

  AccessResult run(const std::string& scenario);

 private:
  bool step(const std::string& name, const std::function<bool(std::string*)>& body) {
    return steps_.step(name, body);
  }

  bool baseline();
  bool create(E2eVolume& v, const Secrets& secrets);
  bool stage(E2eVolume& v, const VolumeSpec& spec, const Secrets& secrets, std::string* d);
  bool publish(const E2eVolume& v, const VolumeSpec& spec, std::string* d);
  bool unstage(const E2eVolume& v, std::string* d);
  bool writeData(const E2eVolume& v, std::string* sum, std::string* d);
  bool verifyData(const E2eVolume& v, const std::string& sum, std::string* d);
  // A NodeStage that must fail; *status keeps the answer. Also checks that no session, disk,
  // mount or record was left by the failed attempt.
  bool stageRefused(E2eVolume& v, const Secrets& secrets, grpc::Status* status, std::string* d);
  // Tears everything down whatever state it is in; then the leftover checks.
  bool teardown(const E2eVolume& v, const std::vector<std::string>& extraTargets,
                const std::vector<std::string>& nodeIds, const Secrets& secrets);
  std::string leftOnNode() const;

  bool masking();
  bool chap(bool mutual);
  bool chapWrong();
  bool flags();

  Secrets goodSecrets(bool mutual) const {
    const AccessSecrets& s = cfg_.secrets;
    Secrets out;
    out.provisioner = {{"chapUser", s.user}, {"chapSecret", s.secret}};
    if (mutual) {
      out.provisioner["chapMutualUser"] = s.mutualUser;
      out.provisioner["chapMutualSecret"] = s.mutualSecret;
    }
    out.nodeStage = out.provisioner;
    return out;
  }

  AccessConfig cfg_;
  CsiCalls csi_;
  VolumeSpec spec_;
  Steps steps_;
  std::string nodeId_;
  std::vector<std::string> sessionsBefore_, disksBefore_;
  SimCounts simBefore_;
};

bool AccessRunner::baseline() {
  return step("baseline (node + simulator)",
              [&](std::string* d) {
                sessionsBefore_ = iscsiSessions();
                disksBefore_ = scsiDisks();
                *d = std::to_string(sessionsBefore_.size()) + " sessions, " +
                     std::to_string(disksBefore_.size()) + " SCSI disks";
                return readSimCounts(cfg_.stack.simUrl, &simBefore_, d);
              }) &&
         step("NodeGetInfo", [&](std::string* d) {
           grpc::Status s = csi_.nodeGetInfo(&nodeId_);
           *d = s.ok() ? nodeId_ : CsiCalls::describe("NodeGetInfo", s);
           return s.ok() && !nodeId_.empty() && nodeId_ != cfg_.otherNodeId;
         });
}

bool AccessRunner::create(E2eVolume& v, const Secrets& secrets) {
  return step("CreateVolume " + v.name, [&](std::string* d) {
    grpc::Status s = csi_.createVolume(v, spec_, nullptr, secrets);
    *d = s.ok() ? v.id : CsiCalls::describe("CreateVolume", s);
    csi_.setPaths(v, spec_);
    return s.ok();
  });
}

bool AccessRunner::stage(E2eVolume& v, const VolumeSpec& spec, const Secrets& secrets,
                         std::string* d) {
  grpc::Status s = csi_.nodeStage(v, spec, secrets);
  if (!s.ok()) *d = CsiCalls::describe("NodeStageVolume", s);
  return s.ok();
}

bool AccessRunner::publish(const E2eVolume& v, const VolumeSpec& spec, std::string* d) {
  grpc::Status s = csi_.nodePublish(v, spec);
  if (!s.ok()) *d = CsiCalls::describe("NodePublishVolume", s);
  return s.ok();
}

bool AccessRunner::unstage(const E2eVolume& v, std::string* d) {
  grpc::Status s = csi_.nodeUnpublish(v);
  if (!s.ok()) {
    *d = CsiCalls::describe("NodeUnpublishVolume", s);
    return false;
  }
  s = csi_.nodeUnstage(v);
  if (!s.ok()) *d = CsiCalls::describe("NodeUnstageVolume", s);
  return s.ok();
}

bool AccessRunner::writeData(const E2eVolume& v, std::string* sum, std::string* d) {
  *sum = writePattern(v.target + "/data.bin", kDataBytes, 7, d);
  if (!sum->empty()) *d = "1 MiB, fnv1a64 " + *sum;
  return !sum->empty();
}

bool AccessRunner::verifyData(const E2eVolume& v, const std::string& sum, std::string* d) {
  std::string c = checksum(v.target + "/data.bin", kDataBytes, d);
  if (c.empty()) return false;
  *d = c == sum ? "checksum matches after a new login" : "MISMATCH " + c + " != " + sum;
  return c == sum;
}

bool AccessRunner::stageRefused(E2eVolume& v, const Secrets& secrets, grpc::Status* status,
                                std::string* d) {
  *status = csi_.nodeStage(v, spec_, secrets);
  if (status->ok()) {
    *d = "NodeStageVolume succeeded but should have been refused";
    return false;
  }
  *d = CsiCalls::describe("NodeStageVolume", *status);
  std::string left = leftOnNode();
  if (!left.empty()) *d += " | LEFT BEHIND: " + left;
  return left.empty();
}

std::string AccessRunner::leftOnNode() const {
  std::string left;
  auto sessions = iscsiSessions();
  auto disks = scsiDisks();
  if (sessions.size() > sessionsBefore_.size()) {
    left += std::to_string(sessions.size() - sessionsBefore_.size()) + " new sessions; ";
  }
  if (disks.size() > disksBefore_.size()) {
    left += std::to_string(disks.size() - disksBefore_.size()) + " new SCSI disks; ";
  }
  for (const auto& m : mountsUnder(cfg_.stack.kubeletDir)) left += "mount " + m + "; ";
  for (const auto& r : filesIn(cfg_.stack.stateDir + "/volumes")) left += "record " + r + "; ";
  return left;
}

bool AccessRunner::teardown(const E2eVolume& v, const std::vector<std::string>& extraTargets,
                            const std::vector<std::string>& nodeIds, const Secrets& secrets) {
  bool ok = true;
  if (!v.id.empty()) {
    ok &= step("teardown " + v.name, [&](std::string* d) {
      std::string errors;
      auto note = [&](const char* what, const grpc::Status& s) {
        if (!s.ok()) errors += CsiCalls::describe(what, s) + "; ";
      };
      for (const auto& t : extraTargets) {
        E2eVolume other = v;
        other.target = t;
        note("NodeUnpublishVolume", csi_.nodeUnpublish(other));
      }
      if (!v.target.empty()) note("NodeUnpublishVolume", csi_.nodeUnpublish(v));
      if (!v.staging.empty()) note("NodeUnstageVolume", csi_.nodeUnstage(v));
      for (const auto& n : nodeIds)
        note("ControllerUnpublishVolume", csi_.controllerUnpublish(v, n));
      note("DeleteVolume", csi_.deleteVolume(v.id, secrets));
      *d = errors.empty() ? "unpublished, unstaged, deleted" : errors;
      return errors.empty();
    });
  }
  ok &= step("nothing left on the node", [&](std::string* d) {
    std::string left = leftOnNode();
    *d = left.empty() ? "no sessions, disks, mounts or attach records" : left;
    return left.empty();
  });
  ok &= step("nothing left on TrueNAS", [&](std::string* d) {
    return simBackToBaseline(cfg_.stack.simUrl, simBefore_, kSweepWait, d);
  });
  return ok;
}

bool AccessRunner::masking() {
  E2eVolume v{"pvc-access-mask", "", "", "", {}, {}};
  bool ok = create(v, {}) &&
            step("ControllerPublish to another node",
                 [&](std::string* d) {
                   grpc::Status s = csi_.controllerPublish(v, spec_, cfg_.otherNodeId);
                   *d =
                       s.ok() ? cfg_.otherNodeId : CsiCalls::describe("ControllerPublishVolume", s);
                   return s.ok();
                 }) &&
            step("NodeStage here is refused",
                 [&](std::string* d) {
                   grpc::Status s;
                   if (!stageRefused(v, {}, &s, d)) return false;
                   // The target's answer is permanent (a retryable code would make kubelet spin on
                   // it without backing off) and the error names the target that refused.
                   auto code = s.error_code();
                   bool permanent = code == grpc::StatusCode::UNAUTHENTICATED ||
                                    code == grpc::StatusCode::PERMISSION_DENIED ||
                                    code == grpc::StatusCode::FAILED_PRECONDITION;
                   auto iqn = v.volumeContext.find("iqn");
                   std::string name = iqn == v.volumeContext.end() ? "iqn." : iqn->second;
                   return permanent && s.error_message().find(name) != std::string::npos;
                 }) &&
            step("ControllerUnpublish other, ControllerPublish here",
                 [&](std::string* d) {
                   grpc::Status s = csi_.controllerUnpublish(v, cfg_.otherNodeId);
                   if (!s.ok()) {
                     *d = CsiCalls::describe("ControllerUnpublishVolume", s);
                     return false;
                   }
                   s = csi_.controllerPublish(v, spec_, nodeId_);
                   *d = s.ok() ? nodeId_ : CsiCalls::describe("ControllerPublishVolume", s);
                   return s.ok();
                 }) &&
            step("NodeStage + NodePublish here",
                 [&](std::string* d) { return stage(v, spec_, {}, d) && publish(v, spec_, d); });
  std::string sum;
  ok = ok && step("write 1 MiB", [&](std::string* d) { return writeData(v, &sum, d); });
  return teardown(v, {}, {nodeId_, cfg_.otherNodeId}, {}) && ok;
}

bool AccessRunner::chap(bool mutual) {
  Secrets secrets = goodSecrets(mutual);
  E2eVolume v{mutual ? "pvc-access-chap-mutual" : "pvc-access-chap", "", "", "", {}, {}};
  std::string sum;
  bool ok =
      create(v, secrets) &&
      step("ControllerPublish + NodeStage + NodePublish",
           [&](std::string* d) {
             grpc::Status s = csi_.controllerPublish(v, spec_, nodeId_);
             if (!s.ok()) {
               *d = CsiCalls::describe("ControllerPublishVolume", s);
               return false;
             }
             return stage(v, spec_, secrets, d) && publish(v, spec_, d);
           }) &&
      step("session uses CHAP",
           [&](std::string* d) {
             // The kernel shows the negotiated credentials' user names (never the secrets).
             std::string found;
             std::error_code ec;
             for (const auto& entry :
                  std::filesystem::directory_iterator("/sys/class/iscsi_session", ec)) {
               std::ifstream in(entry.path() / "username");
               std::string user;
               std::getline(in, user);
               std::ifstream inIn(entry.path() / "username_in");
               std::string userIn;
               std::getline(inIn, userIn);
               found += entry.path().filename().string() + " user=" + user +
                        (userIn.empty() ? "" : " user_in=" + userIn) + "; ";
               if (user == cfg_.secrets.user && (!mutual || userIn == cfg_.secrets.mutualUser)) {
                 *d = found;
                 return true;
               }
             }
             *d = found.empty() ? "no iSCSI session" : found;
             return false;
           }) &&
      step("write 1 MiB", [&](std::string* d) { return writeData(v, &sum, d); }) &&
      step("unstage, stage again (new CHAP login)",
           [&](std::string* d) {
             return unstage(v, d) && stage(v, spec_, secrets, d) && publish(v, spec_, d);
           }) &&
      step("data round-trips", [&](std::string* d) { return verifyData(v, sum, d); });
  return teardown(v, {}, {nodeId_}, secrets) && ok;
}

bool AccessRunner::chapWrong() {
  Secrets good = goodSecrets(false);
  Secrets wrong = good;
  wrong.nodeStage["chapSecret"] = cfg_.secrets.wrongSecret;
  E2eVolume v{"pvc-access-chap-wrong", "", "", "", {}, {}};
  bool ok = create(v, good) &&
            step("ControllerPublish",
                 [&](std::string* d) {
                   grpc::Status s = csi_.controllerPublish(v, spec_, nodeId_);
                   *d = s.ok() ? nodeId_ : CsiCalls::describe("ControllerPublishVolume", s);
                   return s.ok();
                 }) &&
            step("NodeStage with a wrong secret is refused",
                 [&](std::string* d) {
                   grpc::Status s;
                   if (!stageRefused(v, wrong, &s, d)) return false;
                   std::string msg = s.error_message();
                   if (msg.find(cfg_.secrets.wrongSecret) != std::string::npos ||
                       msg.find(cfg_.secrets.secret) != std::string::npos) {
                     *d = "the error message contains a CHAP secret";
                     return false;
                   }
                   return s.error_code() == grpc::StatusCode::UNAUTHENTICATED &&
                          lower(msg).find("authentication failed") != std::string::npos;
                 }) &&
            step("NodeStage with the right secret works",
                 [&](std::string* d) { return stage(v, spec_, good, d) && publish(v, spec_, d); });
  return teardown(v, {}, {nodeId_}, good) && ok;
}

bool AccessRunner::flags() {
  E2eVolume v{"pvc-access-flags", "", "", "", {}, {}};
  VolumeSpec flagged = spec_;
  flagged.mountFlags = {"noexec", "nosuid", "nodev", "noatime"};
  VolumeSpec readOnly = spec_;
  readOnly.mountFlags = {"nosuid"};
  readOnly.readOnly = true;
  E2eVolume ro;
  std::string sum;
  auto hasAll = [](const std::string& opts, const std::vector<std::string>& want,
                   const std::vector<std::string>& absent) {
    auto have = splitCommas(opts);
    for (const auto& w : want) {
      if (have.count(w) == 0) return false;
    }
    for (const auto& a : absent) {
      if (have.count(a) != 0) return false;
    }
    return true;
  };
  bool ok = create(v, {}) &&
            step("ControllerPublish + NodeStage (no flags)",
                 [&](std::string* d) {
                   grpc::Status s = csi_.controllerPublish(v, spec_, nodeId_);
                   if (!s.ok()) {
                     *d = CsiCalls::describe("ControllerPublishVolume", s);
                     return false;
                   }
                   if (!stage(v, spec_, {}, d)) return false;
                   *d = "staging mount: " + perMountOptions(v.staging);
                   return true;
                 }) &&
            step("NodePublish noexec,nosuid,nodev,noatime",
                 [&](std::string* d) {
                   if (!publish(v, flagged, d)) return false;
                   std::string opts = perMountOptions(v.target);
                   *d = "target: " + opts;
                   return hasAll(opts, {"rw", "noexec", "nosuid", "nodev", "noatime"}, {"ro"});
                 }) &&
            step("noexec holds, writes work",
                 [&](std::string* d) {
                   if (!writeData(v, &sum, d)) return false;
                   std::string script = v.target + "/run.sh";
                   { std::ofstream(script) << "#!/bin/sh\nexit 0\n"; }
                   ::chmod(script.c_str(), 0755);
                   int rc = ::access(script.c_str(), X_OK);
                   int err = errno;
                   *d += rc == 0 ? "; executable on a noexec mount!"
                                 : std::string("; access(X_OK): ") + std::strerror(err);
                   return rc != 0 && err == EACCES;
                 }) &&
            step("NodePublish again, same flags: OK",
                 [&](std::string* d) {
                   if (!publish(v, flagged, d)) return false;
                   *d = "target: " + perMountOptions(v.target);
                   return true;
                 }) &&
            step("NodePublish other flags: ALREADY_EXISTS",
                 [&](std::string* d) {
                   VolumeSpec other = spec_;
                   other.mountFlags = {"nosuid"};
                   grpc::Status s = csi_.nodePublish(v, other);
                   *d = s.ok() ? "accepted" : CsiCalls::describe("NodePublishVolume", s);
                   return s.error_code() == grpc::StatusCode::ALREADY_EXISTS;
                 }) &&
            step("NodePublish readonly + nosuid at a second target",
                 [&](std::string* d) {
                   ro = v;
                   ro.target = cfg_.stack.kubeletDir + "/pods/e2e-" + v.name +
                               "-ro/volumes/kubernetes.io~csi/" + v.name + "/mount";
                   std::error_code ec;
                   std::filesystem::create_directories(
                       std::filesystem::path(ro.target).parent_path(), ec);
                   if (!publish(ro, readOnly, d)) return false;
                   std::string opts = perMountOptions(ro.target);
                   std::string first = perMountOptions(v.target);
                   *d = "target: " + opts + "; first target still: " + first;
                   return hasAll(opts, {"ro", "nosuid"}, {"rw", "noexec", "nodev"}) &&
                          hasAll(first, {"rw", "noexec", "nosuid", "nodev", "noatime"}, {"ro"});
                 }) &&
            step("read-only target: data readable, writes fail with EROFS", [&](std::string* d) {
              std::string c = checksum(ro.target + "/data.bin", kDataBytes, d);
              if (c != sum) {
                if (!c.empty()) *d = "MISMATCH " + c + " != " + sum;
                return false;
              }
              int fd = ::open((ro.target + "/new").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
              int err = errno;
              if (fd >= 0) ::close(fd);
              *d = fd >= 0 ? "created a file on a read-only target!"
                           : std::string("data matches; open(O_CREAT): ") + std::strerror(err);
              return fd < 0 && err == EROFS;
            });
  std::vector<std::string> extra;
  if (!ro.target.empty() && ro.target != v.target) extra.push_back(ro.target);
  return teardown(v, extra, {nodeId_}, {}) && ok;
}

AccessResult AccessRunner::run(const std::string& scenario) {
  AccessResult result;
  result.scenario = scenario;
  bool ok = false;
  if (baseline()) {
    if (scenario == "masking") {
      ok = masking();
    } else if (scenario == "chap") {
      ok = chap(false);
    } else if (scenario == "chap-mutual") {
      ok = chap(true);
    } else if (scenario == "chap-wrong") {
      ok = chapWrong();
    } else if (scenario == "flags") {
      ok = flags();
    } else {
      step("scenario", [&](std::string* d) {
        *d = "unknown scenario " + scenario;
        return false;
      });
    }
  }
  result.ok = ok && steps_.allOk();
  result.steps = steps_.results();
  return result;
}

}  // namespace

const std::vector<std::string>& accessScenarios() {
  static const std::vector<std::string> kAll = {"masking", "chap", "chap-mutual", "chap-wrong",
                                                "flags"};
  return kAll;
}

AccessResult runAccessScenario(const AccessConfig& config, const std::string& scenario) {
  return AccessRunner(config).run(scenario);
}

bool readAccessSecrets(const std::string& path, AccessSecrets* out, std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = "cannot read " + path;
    return false;
  }
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "chapUser") out->user = value;
    if (key == "chapSecret") out->secret = value;
    if (key == "chapMutualUser") out->mutualUser = value;
    if (key == "chapMutualSecret") out->mutualSecret = value;
    if (key == "wrongSecret") out->wrongSecret = value;
  }
  for (const std::string* s : {&out->secret, &out->mutualSecret, &out->wrongSecret}) {
    if (s->size() < 12 || s->size() > 16) {
      *error = path + ": chapSecret, chapMutualSecret and wrongSecret need 12-16 characters";
      return false;
    }
  }
  if (out->secret == out->wrongSecret || out->secret == out->mutualSecret) {
    *error = path + ": the secrets must differ";
    return false;
  }
  return true;
}

std::string perMountOptions(const std::string& target) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line, found;
  while (std::getline(in, line)) {
    std::istringstream ss(line);
    std::string id, parent, devno, root, mountPoint, options;
    ss >> id >> parent >> devno >> root >> mountPoint >> options;
    if (mountPoint == target) found = options;  // later lines are stacked on top
  }
  return found;
}

}  // namespace tnascsi::e2e
