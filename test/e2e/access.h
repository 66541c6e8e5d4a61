// Access scenarios: who may reach an iSCSI volume and how it is mounted, driven over CSI gRPC
// against the real controller, node agent and the simulator's LIO backing (which enforces
// initiator ACLs and CHAP) on a real kernel:
//   masking      a volume ControllerPublished to another node's IQN cannot be staged here (the
//                target refuses the login, no session is left); after ControllerPublish to this
//                node it stages.
//   chap         one-way CHAP from the provisioner and node-stage secrets; data survives an
//                unstage/stage round trip (a second CHAP login).
//   chap-mutual  the same with mutual CHAP.
//   chap-wrong   a wrong node-stage secret: NodeStage fails saying authentication failed, without
//                the secret in the error; no session is left; the right secret then stages.
//   flags        NodePublish with mount flags and with readonly: /proc/self/mountinfo shows the
//                per-mount flags on the target, a repeat is OK, other flags are ALREADY_EXISTS,
//                writing to the read-only target fails with EROFS.
// Every scenario ends by tearing down and checking that no session, SCSI disk, mount or attach
// record is left and the simulator's object counts are back to the scenario's baseline.
// Not thread-safe; progress lines go to stdout.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "test/e2e/stack_flags.h"
#include "test/e2e/steps.h"

namespace tnascsi::e2e {

// CHAP values for the scenarios (12-16 characters each, as TrueNAS requires). Tests generate
// them at random and hand them over in a file, never on a command line.
struct AccessSecrets {
  std::string user = "e2e-initiator";
  std::string secret;
  std::string mutualUser = "e2e-target";
  std::string mutualSecret;
  std::string wrongSecret;
};

struct AccessConfig {
  StackEndpoints stack;
  int64_t sizeBytes = 64LL << 20;
  std::string fsType = "ext4";
  AccessSecrets secrets;
  // The node id ControllerPublish uses for "another node" (a different initiator IQN).
  std::string otherNodeId = "e2e-other,iqn.2026-11.io.truenas-csi.e2e:other-node";
};

struct AccessResult {
  std::string scenario;
  bool ok = false;
  std::vector<StepResult> steps;
};

// The scenario names, in their default order.
const std::vector<std::string>& accessScenarios();

// Runs one scenario; unknown names fail with one step saying so. Never throws.
AccessResult runAccessScenario(const AccessConfig& config, const std::string& scenario);

// Reads "key=value" lines (chapUser, chapSecret, chapMutualUser, chapMutualSecret, wrongSecret)
// into *out; false with *error when the file cannot be read or a secret is missing.
bool readAccessSecrets(const std::string& path, AccessSecrets* out, std::string* error);

// The per-mount options ("rw,nosuid,nodev,noexec,noatime") of the topmost mount at `target` in
// /proc/self/mountinfo, "" when nothing is mounted there.
std::string perMountOptions(const std::string& target);

}  // namespace tnascsi::e2e
