// Conformance: replication.run_onetime (a job) as the simulator models it: a local PUSH of one
// snapshot into a new, independent dataset (see model/replication.cc for the cited facts).
#include <chrono>
#include <thread>

#include "test/truenas-sim/tests/conformance.h"

namespace tnascsi::sim::testing {
namespace {

class ReplicationTest : public ConformanceTest {
 protected:
  // Runs the job and returns its final core.get_jobs row (or, for an error the call itself
  // returned, a row {"state":"REJECTED","error":<reason>}).
  Json run(Json data) {
    Reply r = client_->call("replication.run_onetime", arr({std::move(data)}));
    if (!r.ok) return obj({{"state", "REJECTED"}, {"error", r.reason}});
    if (!r.result.isInt()) return obj({{"state", "SUCCESS"}, {"result", r.result}});
    for (int i = 0; i < 200; ++i) {
      Json jobs = ok("core.get_jobs", arr({arr({arr({"id", "=", r.result})})}));
      if (jobs.size() == 1 && jobs.at(0).value("state").asString() != "RUNNING") {
        return jobs.at(0);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return obj({{"state", "TIMEOUT"}});
  }
  static Json copyArgs(const std::string& src, const std::string& dst, const std::string& snap) {
    return obj({{"direction", "PUSH"},
                {"transport", "LOCAL"},
                {"source_datasets", arr({src})},
                {"target_dataset", dst},
                {"recursive", false},
                {"name_regex", snap},
                {"retention_policy", "NONE"},
                {"readonly", "IGNORE"},
                {"properties", false},
                {"only_from_scratch", true}});
  }
  void snapshot(const std::string& ds, const std::string& name, Json props = Json::object()) {
    ok(snapNs() + ".create",
       arr({obj({{"dataset", ds}, {"name", name}, {"properties", std::move(props)}})}));
  }
  Json dataset(const std::string& name) {
    return ok("pool.dataset.query", arr({arr({arr({"id", "=", name})})}));
  }
};

TEST_P(ReplicationTest, CopiesOneSnapshotIntoAnIndependentDataset) {
  if (core()) {
    Reply r = client_->call("replication.run_onetime", arr({copyArgs("tank/v", "tank/c", "s1")}));
    EXPECT_FALSE(r.ok) << "13.0 has no replication.run_onetime";
    return;
  }
  createZvol("tank/v", kGiB, obj({{"sparse", true}}));
  snapshot("tank/v", "s0");
  snapshot("tank/v", "s1");
  Json job = run(copyArgs("tank/v", "tank/c", "s1"));
  ASSERT_EQ(job.value("state").asString(), "SUCCESS") << job.dump();
  Json c = dataset("tank/c");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c.at(0).value("type").asString(), "VOLUME");
  EXPECT_EQ(c.at(0).value("volsize").value("parsed").asInt(), kGiB) << c.dump();
  EXPECT_EQ(c.at(0).value("origin").value("value").asString(), "") << c.dump();
  EXPECT_EQ(c.at(0).value("readonly").value("value").asString(), "OFF") << c.dump();
  // The received snapshot stays on the copy; only the matching one was sent.
  Json snaps = ok(snapNs() + ".query", arr({arr({arr({"dataset", "=", "tank/c"})})}));
  ASSERT_EQ(snaps.size(), 1u);
  EXPECT_EQ(snaps.at(0).value("name").asString(), "tank/c@s1");
  // The source can now go entirely: nothing depends on it.
  ok("pool.dataset.delete", arr({"tank/v", obj({{"recursive", true}})}));
  EXPECT_EQ(dataset("tank/c").size(), 1u);
}

TEST_P(ReplicationTest, PropertiesAndReadonlyPolicy) {
  if (core()) GTEST_SKIP() << "no replication.run_onetime on 13.0";
  createFs("tank/f",
           obj({{"user_properties", arr({obj({{"key", "csi:owner"}, {"value", "d"}})})}}));
  snapshot("tank/f", "s", obj({{"csi:snap", "yes"}}));
  Json args = copyArgs("tank/f", "tank/g", "s");
  args.set("properties", true);
  args.set("readonly", "SET");
  args.set("properties_override", obj({{"csi:owner", "e"}, {"csi:unset", "x"}}));
  Json job = run(args);
  ASSERT_EQ(job.value("state").asString(), "SUCCESS") << job.dump();
  Json g = dataset("tank/g");
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g.at(0).value("readonly").value("value").asString(), "ON") << g.dump();
  const Json& up = g.at(0).value("user_properties");
  EXPECT_EQ(up.value("csi:owner").value("value").asString(), "e") << g.dump();
  EXPECT_FALSE(up.contains("csi:unset")) << "an override of a property the source lacks is dropped";
  Json snaps = ok(snapNs() + ".query", arr({arr({arr({"id", "=", "tank/g@s"})})}));
  ASSERT_EQ(snaps.size(), 1u);
  EXPECT_EQ(snaps.at(0).value("properties").value("csi:snap").value("value").asString(), "yes")
      << snaps.dump();
}

TEST_P(ReplicationTest, ErrorsAsZettareplReportsThem) {
  if (core()) GTEST_SKIP() << "no replication.run_onetime on 13.0";
  createZvol("tank/v", kGiB, obj({{"sparse", true}}));
  snapshot("tank/v", "s1");
  ASSERT_EQ(run(copyArgs("tank/v", "tank/c", "s1")).value("state").asString(), "SUCCESS");
  Json again = run(copyArgs("tank/v", "tank/c", "s1"));
  EXPECT_EQ(again.value("state").asString(), "FAILED");
  EXPECT_NE(again.value("error").asString().find("Target dataset 'tank/c' already exists"),
            std::string::npos)
      << again.dump();
  Json none = run(copyArgs("tank/v", "tank/d", "nope"));
  EXPECT_EQ(none.value("state").asString(), "FAILED");
  EXPECT_NE(none.value("error").asString().find("does not have any matching snapshots"),
            std::string::npos)
      << none.dump();
  EXPECT_EQ(dataset("tank/d").size(), 0u) << "a failed run creates nothing";
  // Validation: push needs a way to pick snapshots; local forbids remote-only fields.
  Json bad = copyArgs("tank/v", "tank/e", "s1");
  bad.erase("name_regex");
  bad.set("compression", "LZ4");
  Json failed = run(bad);
  EXPECT_NE(failed.value("state").asString(), "SUCCESS");
  const std::string text = failed.dump();
  EXPECT_NE(text.find("Name Regex"), std::string::npos) << text;
  EXPECT_NE(text.find("Compression has no sense for local replication"), std::string::npos) << text;
}

INSTANTIATE_TEST_SUITE_P(AllVersions, ReplicationTest, ::testing::ValuesIn(allPersonalities()),
                         personalityTestName);

}  // namespace
}  // namespace tnascsi::sim::testing
