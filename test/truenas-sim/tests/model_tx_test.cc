// Model transactions (issue #15): a failed mutating call leaves the whole state exactly as it
// was (the tables journal their writes instead of the model copying itself), a backing that does
// not consume events changes nothing but the cost, and TxMap's journal on its own. The model is
// driven directly (no server) with a fixed clock so two models can be compared byte for byte.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test/truenas-sim/model/api_error.h"
#include "test/truenas-sim/model/model.h"
#include "test/truenas-sim/model/tx_map.h"
#include "test/truenas-sim/tests/sim_client.h"

namespace tnascsi::sim::testing {
namespace {

class FixedClock final : public common::Clock {
 public:
  TimePoint now() const override { return TimePoint{}; }
  std::chrono::system_clock::time_point wallNow() const override {
    return std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
  }
  void sleepFor(Duration) override {}
};

// Records every event; fails the first one named `failOn`.
class ScriptedBacking final : public Backing {
 public:
  Status apply(const Json& event) override {
    events.push_back(event);
    if (event.value("event").asString() == failOn) return absl::InternalError("backing says no");
    return absl::OkStatus();
  }
  std::vector<Json> events;
  std::string failOn;
};

class ModelTxTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<Model> makeModel(Backing& backing) {
    auto model = std::make_unique<Model>(*personalityFor(GetParam()), backing, clock_);
    model->addPool("tank", int64_t{1} << 40);
    return model;
  }
  static Json ok(Model& m, const std::string& method, Json params) {
    StatusOr<Json> r = m.call(method, params);
    EXPECT_TRUE(r.ok()) << method << ": " << r.status().message();
    return r.ok() ? *r : Json();
  }
  // A parent with a zvol exported over iSCSI (with a snapshot) and a filesystem shared over NFS.
  void populate(Model& m) {
    const bool core = GetParam() == "13.0";
    const std::string snapNs = GetParam() == "25.10" ? "pool.snapshot" : "zfs.snapshot";
    ok(m, "pool.dataset.create", arr({obj({{"name", "tank/p"}})}));
    ok(m, "pool.dataset.create",
       arr({obj({{"name", "tank/p/v"}, {"type", "VOLUME"}, {"volsize", int64_t{1} << 30}})}));
    ok(m, "pool.dataset.create", arr({obj({{"name", "tank/p/fs"}})}));
    ok(m, snapNs + ".create", arr({obj({{"dataset", "tank/p/v"}, {"name", "s1"}})}));
    Json portal =
        ok(m, "iscsi.portal.create", arr({obj({{"listen", arr({obj({{"ip", "0.0.0.0"}})})}})}));
    Json target =
        ok(m, "iscsi.target.create",
           arr({obj({{"name", "t1"}, {"groups", arr({obj({{"portal", portal.value("id")}})})}})}));
    Json extent = ok(m, "iscsi.extent.create",
                     arr({obj({{"name", "e1"}, {"type", "DISK"}, {"disk", "zvol/tank/p/v"}})}));
    ok(m, "iscsi.targetextent.create",
       arr({obj({{"target", target.value("id")}, {"extent", extent.value("id")}})}));
    Json share = Json::object();
    share.set(core ? "paths" : "path", core ? arr({"/mnt/tank/p/fs"}) : Json("/mnt/tank/p/fs"));
    ok(m, "sharing.nfs.create", arr({share}));
    portalId_ = portal.value("id");
  }

  FixedClock clock_;
  Json portalId_;
};

TEST_P(ModelTxTest, FailedBackingRollsBackACascade) {
  for (const char* failOn : {"zvol.delete", "iscsi.config", "nfs.config"}) {
    ScriptedBacking backing;
    auto m = makeModel(backing);
    populate(*m);
    const std::string before = m->save().dump();
    backing.failOn = failOn;
    StatusOr<Json> r = m->call("pool.dataset.delete", arr({"tank/p", obj({{"recursive", true}})}));
    ASSERT_FALSE(r.ok()) << failOn;
    EXPECT_EQ(m->save().dump(), before) << "a failure at " << failOn << " leaves no trace";
    backing.failOn.clear();
    ASSERT_TRUE(m->call("pool.dataset.delete", arr({"tank/p", obj({{"recursive", true}})})).ok());
    EXPECT_NE(m->save().dump(), before) << "the same call succeeds once the backing does";
  }
}

TEST_P(ModelTxTest, FailedBackingRollsBackInPlaceEdits) {
  ScriptedBacking backing;
  auto m = makeModel(backing);
  populate(*m);
  ok(*m, "iscsi.portal.create", arr({obj({{"listen", arr({obj({{"ip", "127.0.0.1"}})})}})}));
  const std::string before = m->save().dump();
  backing.failOn = "iscsi.config";
  // Deleting the first portal edits every target's groups and renumbers the other portal's tag.
  EXPECT_FALSE(m->call("iscsi.portal.delete", arr({portalId_})).ok());
  EXPECT_EQ(m->save().dump(), before);
  backing.failOn.clear();
  ASSERT_TRUE(m->call("iscsi.portal.delete", arr({portalId_})).ok());
  EXPECT_NE(m->save().dump(), before);
}

TEST_P(ModelTxTest, FailedHandlerLeavesStateUntouched) {
  NullBacking backing;
  auto m = makeModel(backing);
  populate(*m);
  const std::string before = m->save().dump();
  EXPECT_FALSE(m->call("pool.dataset.delete", arr({"tank/p"})).ok()) << "has children";
  EXPECT_FALSE(m->call("iscsi.extent.create",
                       arr({obj({{"name", "e1"}, {"type", "DISK"}, {"disk", "zvol/tank/p/v"}})}))
                   .ok())
      << "duplicate name";
  EXPECT_EQ(m->save().dump(), before);
}

TEST_P(ModelTxTest, BackingWithoutEventsReachesTheSameState) {
  ScriptedBacking recording;
  NullBacking null;
  auto a = makeModel(recording);
  auto b = makeModel(null);
  for (Model* m : {a.get(), b.get()}) {
    populate(*m);
    ok(*m, "pool.dataset.delete", arr({"tank/p/fs"}));
  }
  EXPECT_EQ(a->save().dump(), b->save().dump());
  bool sawIscsi = false, sawNfs = false;
  for (const Json& e : recording.events) {
    sawIscsi |= e.value("event").asString() == "iscsi.config";
    sawNfs |= e.value("event").asString() == "nfs.config";
  }
  EXPECT_TRUE(sawIscsi && sawNfs) << "a consuming backing still gets the whole-config events";
  const Json& last = recording.events.back();
  EXPECT_EQ(last.value("event").asString(), "nfs.config") << last.dump();
  EXPECT_EQ(last.value("config").value("shares").size(), 0u) << last.dump();
}

INSTANTIATE_TEST_SUITE_P(Personalities, ModelTxTest, ::testing::ValuesIn(allPersonalities()),
                         personalityTestName);

TEST(TxMapTest, RollbackUndoesInsertsEditsAndErasesNewestFirst) {
  TxMap<int64_t> m;
  m[1] = Json("one");
  m[2] = Json("two");
  m.beginTx();
  m[3] = Json("three");
  m.edit(m.find(1)) = Json("uno");
  m.erase(2);
  m[2] = Json("dos");
  m.erase(m.find(3));
  m.rollback();
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m.at(1).asString(), "one");
  EXPECT_EQ(m.at(2).asString(), "two");
  m.beginTx();
  m[4] = Json("four");
  m.commit();
  m.rollback();  // nothing journalled after commit
  EXPECT_EQ(m.count(4), 1u);
}

}  // namespace
}  // namespace tnascsi::sim::testing
