// TrueNasClient::replicateLocal: an independent local copy of one snapshot through the job
// replication.run_onetime (facts and citations: test/truenas-sim/model/replication.cc).
#include <Poco/JSON/Object.h>

#include <string_view>

#include "common/log/log.h"
#include "controller/truenas/json_util.h"
#include "controller/truenas/truenas_client.h"

namespace tnascsi::controller::truenas {
namespace {

// name_regex must match the whole snapshot name (zettarepl compiles "(<regex>)$" and uses
// re.match); escape what Python's re treats as special so the name matches only itself.
std::string exactRegex(const std::string& name) {
  std::string out;
  for (char ch : name) {
    if (std::string(".^$*+?{}[]\\|()").find(ch) != std::string::npos) out += '\\';
    out += ch;
  }
  return out;
}

}  // namespace

Status TrueNasClient::replicateLocal(const LocalReplicationSpec& spec) {
  if (spec.sourceDataset.empty() || spec.snapshotName.empty() || spec.targetDataset.empty()) {
    return absl::InvalidArgumentError("replicateLocal needs a source dataset, snapshot and target");
  }
  TNAS_ASSIGN_OR_RETURN(Capabilities c, caps());
  if (!c.datasetUserProperties) {
    return absl::UnimplementedError(
        "this TrueNAS version (CORE) has no replication.run_onetime for local copies");
  }
  json::ObjectPtr body = new Poco::JSON::Object();
  body->set("direction", "PUSH");
  body->set("transport", "LOCAL");
  body->set("source_datasets", json::makeArray({spec.sourceDataset}));
  body->set("target_dataset", spec.targetDataset);
  body->set("recursive", false);
  body->set("name_regex", exactRegex(spec.snapshotName));
  body->set("retention_policy", "NONE");
  body->set("readonly", "IGNORE");
  body->set("properties", false);
  body->set("only_from_scratch", true);
  TNAS_LOG(Info)
          .kv("source", spec.sourceDataset + "@" + spec.snapshotName)
          .kv("target", spec.targetDataset)
      << "copying snapshot with replication.run_onetime";
  auto job = write("replication.run_onetime", json::makeArray({body}));
  Status status = job.status();
  if (job.ok()) status = waitJob(*job).status();
  if (status.ok()) return status;
  const std::string m(status.message());
  if (status.code() != StatusCode::kAlreadyExists &&
      (m.find("does not have any matching snapshots") != std::string::npos ||
       m.find("does not exist") != std::string::npos)) {
    return absl::NotFoundError(m);
  }
  return status;
}

}  // namespace tnascsi::controller::truenas
