// The guest backing's event handlers (docs/simulator-backing.md): zvols as sparse files under
// <root>/zvol, datasets as directories under /mnt exported by kernel nfsd, snapshots/clones/
// rollbacks as copies under <root>/snap, and iscsi.config reconciled into LIO through configfs.
//
// Every handler is idempotent: the same event twice leaves the same state. Errors come back as a
// Status whose message names what failed (never a secret). Not thread-safe (one event at a time).
#pragma once

#include <Poco/JSON/Object.h>

#include <string>
#include <vector>

#include "common/base/status.h"
#include "test/guest/backing/configfs_ops.h"

namespace tnascsi::sim {

struct BackingOptions {
  std::string configfsRoot = "/sys/kernel/config/target";  // LIO root
  TreeKind configfsKind = TreeKind::kConfigfs;             // kStandIn in tests
  std::string exportsFile = "/etc/exports";
  std::vector<std::string> exportfsCommand = {"exportfs", "-ra"};  // empty: do not run
  std::string mountRoot = "/mnt";  // dataset directories must live below it
};

// Dispatches one event object (with "event" and "root"). InvalidArgument for an unknown event or
// missing fields; errors of the underlying operation otherwise.
Status handleEvent(const Poco::JSON::Object& event, const BackingOptions& options);

// /etc/exports content for an nfs.config "config" object (pure; see events.cc for the options).
StatusOr<std::string> renderExports(const Poco::JSON::Object& config);

// Runs argv (no shell), returns Internal with the command's first stderr line on failure.
Status runCommand(const std::vector<std::string>& argv);

}  // namespace tnascsi::sim
