// Conformance: NFS shares (reference §5) and snapshots (§3.8) on every personality.
#include <cerrno>
#include <chrono>
#include <thread>

#include "test/truenas-sim/tests/conformance.h"

namespace tnascsi::sim::testing {
namespace {

class NfsTest : public ConformanceTest {};

TEST_P(NfsTest, CreateQueryDeleteShapePerVersion) {
  createFs("tank/s");
  Json s = ok("sharing.nfs.create",
              arr({nfsShare("/mnt/tank/s", obj({{"comment", "csi"},
                                                {"maproot_user", "root"},
                                                {"maproot_group", core() ? "wheel" : "root"}}))}));
  EXPECT_EQ(s.contains("paths"), core());
  EXPECT_EQ(s.contains("path"), !core());
  EXPECT_EQ(s.contains("expose_snapshots"), scale25());
  EXPECT_FALSE(s.value("locked").asBool());
  Json q = ok("sharing.nfs.query", arr({arr({core() ? arr({"paths", "rin", "/mnt/tank/s"})
                                                    : arr({"path", "=", "/mnt/tank/s"})})}));
  ASSERT_EQ(q.size(), 1u);
  Json del = ok("sharing.nfs.delete", arr({s.value("id")}));
  if (scale25()) {
    EXPECT_EQ(del, Json(true));
  } else {
    EXPECT_TRUE(del.isNull()) << del.dump();
  }
}

TEST_P(NfsTest, PathMustBeInsideAPoolAndExist) {
  const std::string attr = core() ? "sharing_nfs_create.paths" : "sharing_nfs_create.path";
  Reply r = client_->call("sharing.nfs.create", arr({nfsShare("/srv/x")}));
  expectValidation(r, attr, "The path must reside within a pool mount point");
  r = client_->call("sharing.nfs.create", arr({nfsShare("/mnt/tank/missing")}));
  expectValidation(r, attr, "does not exist");
}

TEST_P(NfsTest, HostAndNetworkLimit) {
  createFs("tank/s");
  Json hosts = Json::array();
  for (int i = 0; i < 43; ++i) hosts.push("host" + std::to_string(i));
  Reply r =
      client_->call("sharing.nfs.create", arr({nfsShare("/mnt/tank/s", obj({{"hosts", hosts}}))}));
  if (personality() == "25.10") {  // 25.04.2.6 reverted the limiter
    expectValidation(r, "sharing_nfs_create.hosts", "at most 42 items");
  } else {
    EXPECT_TRUE(r.ok) << r.describe();
  }
  Json nets = Json::array();
  for (int i = 0; i < 43; ++i) nets.push("10.0." + std::to_string(i) + ".0/24");
  r = client_->call(
      "sharing.nfs.create",
      arr({nfsShare("/mnt/tank/s", obj({{"networks", nets}, {"hosts", arr({"z"})}}))}));
  if (personality() == "25.10") {
    expectValidation(r, "sharing_nfs_create.networks", "at most 42 items");
  } else {
    EXPECT_TRUE(r.ok) << r.describe();
  }
}

// What per-node exports (nfsExportPerNode) do: update hosts and enabled together, one host at a
// time up to the cap; duplicates and blanks are refused per version (CORE does not check them).
TEST_P(NfsTest, UpdateHostsAndEnabledPerVersion) {
  createFs("tank/s");
  Json s = ok("sharing.nfs.create", arr({nfsShare("/mnt/tank/s", obj({{"enabled", false}}))}));
  EXPECT_FALSE(s.value("enabled").asBool());
  Json id = s.value("id");
  Json u = ok("sharing.nfs.update",
              arr({id, obj({{"hosts", arr({"192.0.2.1", "2001:db8::1"})}, {"enabled", true}})}));
  EXPECT_TRUE(u.value("enabled").asBool());
  EXPECT_EQ(u.value("hosts").size(), 2u);
  EXPECT_EQ(u.value("comment").asString(), "") << "fields not given are kept";
  Reply dup = client_->call("sharing.nfs.update",
                            arr({id, obj({{"hosts", arr({"192.0.2.1", "192.0.2.1"})}})}));
  Reply blank = client_->call("sharing.nfs.update", arr({id, obj({{"hosts", arr({"a b"})}})}));
  if (core()) {
    EXPECT_TRUE(dup.ok) << dup.describe();
    EXPECT_TRUE(blank.ok) << blank.describe();
  } else {
    expectValidation(dup, "sharing_nfs_update.hosts", scale25() ? "must be unique" : "not unique");
    expectValidation(blank, "sharing_nfs_update.hosts", "spaces or quotes");
  }
  Json hosts = Json::array();
  for (int i = 0; i < 43; ++i) hosts.push("10.0.0." + std::to_string(i));
  Reply r = client_->call("sharing.nfs.update", arr({id, obj({{"hosts", hosts}})}));
  if (personality() == "25.10") {
    expectValidation(r, "sharing_nfs_update.hosts", "at most 42 items");
  } else {
    EXPECT_TRUE(r.ok) << r.describe();
  }
  u = ok("sharing.nfs.update", arr({id, obj({{"hosts", Json::array()}, {"enabled", false}})}));
  EXPECT_FALSE(u.value("enabled").asBool());
  EXPECT_EQ(u.value("hosts").size(), 0u);
}

TEST_P(NfsTest, ExportConflicts) {
  createFs("tank/s");
  ok("sharing.nfs.create",
     arr({nfsShare("/mnt/tank/s", obj({{"networks", arr({"10.0.0.0/24"})}}))}));
  Reply r =
      client_->call("sharing.nfs.create",
                    arr({nfsShare("/mnt/tank/s", obj({{"networks", arr({"10.0.0.0/24"})}}))}));
  expectValidation(r, "sharing_nfs_create.networks", "Export conflict");
  ok("sharing.nfs.create",
     arr({nfsShare("/mnt/tank/s", obj({{"networks", arr({"10.1.0.0/24"})}}))}));
  r = client_->call("sharing.nfs.create",
                    arr({nfsShare("/mnt/tank/s", obj({{"networks", arr({"not-a-net"})}}))}));
  expectValidation(r, "sharing_nfs_create.networks", "Invalid IP network");
}

TEST_P(NfsTest, MaprootAndMapall) {
  createFs("tank/s");
  Reply r = client_->call(
      "sharing.nfs.create",
      arr({nfsShare("/mnt/tank/s", obj({{"maproot_user", "root"}, {"mapall_user", "nobody"}}))}));
  expectValidation(r, "sharing_nfs_create.mapall_user", "maproot_user disqualifies mapall_user");
  r = client_->call("sharing.nfs.create",
                    arr({nfsShare("/mnt/tank/s", obj({{"maproot_group", "wheel"}}))}));
  expectValidation(r, "sharing_nfs_create.maproot_user", "map group");
  r = client_->call("sharing.nfs.create",
                    arr({nfsShare("/mnt/tank/s", obj({{"mapall_user", "nosuchuser"}}))}));
  expectValidation(r, "sharing_nfs_create.mapall_user", "not found");
}

TEST_P(NfsTest, StrictModelsRejectUnknownKeys) {
  createFs("tank/s");
  Reply r =
      client_->call("sharing.nfs.create", arr({nfsShare("/mnt/tank/s", obj({{"bogus", 1}}))}));
  expectValidation(r, "sharing_nfs_create.bogus",
                   scale25() ? "Extra inputs are not permitted" : "Field was not expected");
  r = client_->call("sharing.nfs.create", arr({nfsShare("/mnt/tank/s", obj({{"ro", "yes"}}))}));
  expectValidation(r, "sharing_nfs_create.ro", scale25() ? "valid boolean" : "Not a boolean");
}

class SnapshotTest : public ConformanceTest {};

TEST_P(SnapshotTest, NamespacePerVersion) {
  createFs("tank/d");
  Reply r =
      client_->call("pool.snapshot.create", arr({obj({{"dataset", "tank/d"}, {"name", "s"}})}));
  if (personality() == "25.10") {
    EXPECT_TRUE(r.ok) << r.describe();
    // zfs.snapshot.* is private on 25.10 but still executes.
    EXPECT_EQ(ok("zfs.snapshot.query", arr({})).size(), 1u);
  } else {
    ASSERT_FALSE(r.ok);
    if (client_->legacy()) {
      EXPECT_EQ(r.errnum, 201) << r.describe();
    } else {
      EXPECT_EQ(r.code, -32601) << r.describe();
    }
  }
}

TEST_P(SnapshotTest, CreateQueryDelete) {
  createZvol("tank/v", kGiB);
  Json s = ok(snapNs() + ".create", arr({obj({{"dataset", "tank/v"}, {"name", "snap-1"}})}));
  EXPECT_EQ(s.value("id").asString(), "tank/v@snap-1");
  EXPECT_EQ(s.value("snapshot_name").asString(), "snap-1");
  EXPECT_EQ(s.value("dataset").asString(), "tank/v");
  EXPECT_EQ(s.value("type").asString(), "SNAPSHOT");
  Json q = ok(snapNs() + ".query",
              arr({arr({arr({"dataset", "=", "tank/v"})}), obj({{"select", arr({"name"})}})}));
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q.at(0).value("name").asString(), "tank/v@snap-1");
  Reply r =
      client_->call(snapNs() + ".create", arr({obj({{"dataset", "tank/v"}, {"name", "snap-1"}})}));
  expectCallError(r, EEXIST, "Failed to snapshot tank/v@snap-1");
  r = client_->call(
      snapNs() + ".create",
      arr({obj({{"dataset", "tank/v"}, {"name", "a"}, {"naming_schema", "auto-%Y"}})}));
  expectValidation(r, "snapshot_create.naming_schema",
                   "You can't specify name and naming schema at the same time");
  r = client_->call(snapNs() + ".create", arr({obj({{"dataset", "tank/v"}})}));
  expectValidation(r, "snapshot_create.naming_schema",
                   "You must specify either name or naming schema");
  r = client_->call(snapNs() + ".create",
                    arr({obj({{"dataset", "tank/v"}, {"name", "bad name"}})}));
  expectValidation(r, "snapshot_create.name", "Invalid snapshot name");
  Json byschema = ok(snapNs() + ".create",
                     arr({obj({{"dataset", "tank/v"}, {"naming_schema", "auto-%Y%m%d"}})}));
  EXPECT_EQ(byschema.value("snapshot_name").asString().rfind("auto-20", 0), 0u);
  EXPECT_EQ(ok(snapNs() + ".delete", arr({"tank/v@snap-1"})), Json(true));
  r = client_->call(snapNs() + ".get_instance", arr({"tank/v@snap-1"}));
  EXPECT_TRUE(r.hasItem("", "does not exist")) << r.describe();
}

TEST_P(SnapshotTest, DependentClonesBlockDeleteUnlessDefer) {
  createZvol("tank/v", kGiB);
  ok(snapNs() + ".create", arr({obj({{"dataset", "tank/v"}, {"name", "s"}})}));
  ok(snapNs() + ".clone", arr({obj({{"snapshot", "tank/v@s"}, {"dataset_dst", "tank/c"}})}));
  Reply r = client_->call(snapNs() + ".delete", arr({"tank/v@s"}));
  expectValidation(r, "options.defer", "snapshot has dependent clones: tank/c");
  r = client_->call("pool.dataset.delete", arr({"tank/v", obj({{"recursive", true}})}));
  expectCallError(r, EFAULT, "dependent clones");
  EXPECT_EQ(ok(snapNs() + ".delete", arr({"tank/v@s", obj({{"defer", true}})})), Json(true));
  Json c = ok("pool.dataset.get_instance", arr({"tank/c"}));
  EXPECT_EQ(c.value("origin").value("value").asString(), "tank/v@s");
  Json deferred = ok(snapNs() + ".get_instance", arr({"tank/v@s"}));
  EXPECT_EQ(deferred.value("properties").value("defer_destroy").value("value").asString(), "on");
  ok("pool.dataset.delete", arr({"tank/c"}));
  EXPECT_EQ(ok(snapNs() + ".query", arr({})).size(), 0u) << "destroyed with its last clone";
  r = client_->call(snapNs() + ".clone",
                    arr({obj({{"snapshot", "tank/v@nope"}, {"dataset_dst", "tank/d"}})}));
  expectCallError(r, EFAULT, "Failed to clone snapshot");
}

TEST_P(SnapshotTest, DatasetDeleteNeedsRecursiveForSnapshots) {
  createFs("tank/d");
  ok(snapNs() + ".create", arr({obj({{"dataset", "tank/d"}, {"name", "s"}})}));
  Reply r = client_->call("pool.dataset.delete", arr({"tank/d"}));
  expectCallError(r, EFAULT, "Failed to delete dataset");
  ok("pool.dataset.delete", arr({"tank/d", obj({{"recursive", true}})}));
  EXPECT_EQ(ok(snapNs() + ".query", arr({})).size(), 0u);
}

TEST_P(SnapshotTest, RollbackToOlderSnapshotNeedsRecursive) {
  createZvol("tank/v", kGiB);
  ok(snapNs() + ".create", arr({obj({{"dataset", "tank/v"}, {"name", "s1"}})}));
  ok("pool.dataset.update", arr({"tank/v", obj({{"volsize", 2 * kGiB}})}));
  ok(snapNs() + ".create", arr({obj({{"dataset", "tank/v"}, {"name", "s2"}})}));
  Reply r = client_->call(snapNs() + ".rollback", arr({"tank/v@s1"}));
  expectCallError(r, EFAULT, "more recent snapshots");
  EXPECT_TRUE(ok(snapNs() + ".rollback", arr({"tank/v@s1", obj({{"recursive", true}})})).isNull());
  EXPECT_EQ(ok(snapNs() + ".query", arr({})).size(), 1u);
  Json v = ok("pool.dataset.get_instance", arr({"tank/v"}));
  EXPECT_EQ(v.value("volsize").value("parsed").asInt(), kGiB);
}

TEST_P(SnapshotTest, CloneIsQueryableAndMountedForFilesystems) {
  createFs("tank/d");
  ok(snapNs() + ".create", arr({obj({{"dataset", "tank/d"}, {"name", "s"}})}));
  EXPECT_EQ(
      ok(snapNs() + ".clone", arr({obj({{"snapshot", "tank/d@s"}, {"dataset_dst", "tank/e"}})})),
      Json(true));
  Json e = ok("pool.dataset.get_instance", arr({"tank/e"}));
  EXPECT_EQ(e.value("mountpoint").asString(), "/mnt/tank/e");
  Reply r = client_->call(snapNs() + ".clone",
                          arr({obj({{"snapshot", "tank/d@s"}, {"dataset_dst", "tank/e"}})}));
  expectCallError(r, EFAULT, "already exists");
}

// destroy_snapshots validation and ranges (TS-24.10.2.4:src/middlewared/middlewared/plugins/
// pool_/dataset.py:1037-1048; py-libzfs delete_snapshots): `all` with a list is refused, an empty
// range entry is refused on 24.10 (25.x's model fills it in as the whole range), a range covers
// both ends in creation order, and a missing endpoint fails the job.
TEST_P(SnapshotTest, DestroySnapshotsRangesAndConflicts) {
  if (core()) GTEST_SKIP() << "CORE 13.0 has no destroy_snapshots";
  createFs("tank/r");
  for (const char* n : {"s1", "s2", "s3", "s4", "s5"}) {
    ok(snapNs() + ".create", arr({obj({{"dataset", "tank/r"}, {"name", n}})}));
  }
  // Runs the job to its end: the job's final entry (core.get_jobs) or, where the call waits
  // (legacy_jobs off), the reply.
  auto run = [&](const Json& spec) -> Json {
    Reply r = client_->call("pool.dataset.destroy_snapshots", arr({"tank/r", spec}));
    if (!r.ok || !r.result.isInt()) {
      Json out = Json::object();
      out.set("state", r.ok ? "SUCCESS" : "FAILED");
      out.set("error", r.ok ? Json() : Json(r.reason + " " + r.extra.dump()));
      out.set("result", r.result);
      return out;
    }
    for (int i = 0; i < 200; ++i) {
      Json jobs = ok("core.get_jobs", arr({arr({arr({"id", "=", r.result})})}));
      const std::string state = jobs.at(0).value("state").asString();
      if (state == "SUCCESS" || state == "FAILED") {
        Json j = jobs.at(0);
        if (state == "FAILED")
          j.set("error",
                j.value("error").asString() + " " + j.value("exc_info").value("extra").dump());
        return j;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return Json::object();
  };
  auto left = [&] {
    std::vector<std::string> out;
    Json q = ok(snapNs() + ".query", arr({arr({}), obj({{"order_by", arr({"name"})}})}));
    for (const Json& s : q.asArray()) out.push_back(s.value("snapshot_name").asString());
    return out;
  };
  Json conflict = run(obj({{"all", true}, {"snapshots", arr({"s1"})}}));
  EXPECT_EQ(conflict.value("state").asString(), "FAILED");
  EXPECT_NE(conflict.value("error").asString().find(
                "Must not be specified when all snapshots are specified for removal"),
            std::string::npos)
      << conflict.dump();
  Json missing = run(obj({{"all", false}, {"snapshots", arr({obj({{"start", "nope"}})})}}));
  EXPECT_EQ(missing.value("state").asString(), "FAILED");
  EXPECT_NE(missing.value("error").asString().find("nope snapshot(s) could not be located"),
            std::string::npos)
      << missing.dump();
  EXPECT_EQ(left().size(), 5u);
  Json range =
      run(obj({{"all", false}, {"snapshots", arr({obj({{"start", "s2"}, {"end", "s3"}}), "s5"})}}));
  EXPECT_EQ(range.value("state").asString(), "SUCCESS") << range.dump();
  EXPECT_EQ(left(), (std::vector<std::string>{"s1", "s4"}));
  Json empty = run(obj({{"all", false}, {"snapshots", arr({obj({})})}}));
  if (scale25()) {
    EXPECT_EQ(empty.value("state").asString(), "SUCCESS") << empty.dump();
    EXPECT_TRUE(left().empty());
  } else {
    EXPECT_EQ(empty.value("state").asString(), "FAILED");
    EXPECT_NE(empty.value("error").asString().find("Either \"start\" or \"end\" must be specified"),
              std::string::npos)
        << empty.dump();
    Json openEnd = run(obj({{"all", false}, {"snapshots", arr({obj({{"start", "s4"}})})}}));
    EXPECT_EQ(openEnd.value("state").asString(), "SUCCESS") << openEnd.dump();
    EXPECT_EQ(left(), (std::vector<std::string>{"s1"}));
  }
}

TEST_P(SnapshotTest, DestroySnapshotsIsAJob) {
  if (core()) {
    EXPECT_EQ(client_->call("pool.dataset.destroy_snapshots", arr({"tank/d", obj({})})).errnum, 201)
        << "CORE 13.0 has no destroy_snapshots";
    return;
  }
  createFs("tank/d");
  createFs("tank/d/c");
  for (const char* n : {"a", "b"}) {
    ok(snapNs() + ".create", arr({obj({{"dataset", "tank/d"}, {"name", n}, {"recursive", true}})}));
  }
  EXPECT_EQ(ok(snapNs() + ".query", arr({})).size(), 4u);
  if (client_->legacy()) {
    client_->sendText(R"({"msg":"sub","id":"jobs-1","name":"core.get_jobs"})");
  } else {
    ASSERT_TRUE(client_->call("core.subscribe", arr({"core.get_jobs"})).ok);
  }
  Json id =
      ok("pool.dataset.destroy_snapshots",
         arr({"tank/d", obj({{"all", false}, {"snapshots", arr({"a"})}, {"recursive", true}})}));
  ASSERT_TRUE(id.isInt()) << "a job method returns the job id: " << id.dump();
  bool done = false;
  for (int i = 0; i < 10 && !done; ++i) {
    auto n = client_->nextNotification(3000);
    ASSERT_TRUE(n.has_value());
    const Json& ev = client_->legacy() ? *n : n->value("params");
    if (ev.value("collection").asString() != "core.get_jobs") continue;
    done = ev.value("id") == id && ev.value("fields").value("state").asString() == "SUCCESS";
  }
  EXPECT_TRUE(done);
  Json left = ok(snapNs() + ".query", arr({arr({}), obj({{"order_by", arr({"name"})}})}));
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left.at(0).value("name").asString(), "tank/d/c@b");
  EXPECT_EQ(left.at(1).value("name").asString(), "tank/d@b");
  // `all` defaults to true on 24.10, false on 25.04+.
  Json id2 = ok("pool.dataset.destroy_snapshots", arr({"tank/d", obj({{"recursive", true}})}));
  ASSERT_TRUE(id2.isInt());
  size_t remaining = 99;  // stays 99 if the job never finishes
  for (int i = 0; i < 50; ++i) {
    Json jobs = ok("core.get_jobs", arr({arr({arr({"id", "=", id2})})}));
    if (jobs.at(0).value("state").asString() == "SUCCESS") {
      remaining = ok(snapNs() + ".query", arr({})).size();
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(remaining, scale25() ? 2u : 0u);
}

INSTANTIATE_TEST_SUITE_P(AllVersions, NfsTest, ::testing::ValuesIn(allPersonalities()),
                         personalityTestName);
INSTANTIATE_TEST_SUITE_P(AllVersions, SnapshotTest, ::testing::ValuesIn(allPersonalities()),
                         personalityTestName);

}  // namespace
}  // namespace tnascsi::sim::testing
