// Conformance: behaviours of the real middleware that the driver once got wrong (issue #10), each
// cited in the model where it is implemented: the per-version walk of pool.dataset.query with
// retrieve_children:false, snapshot option schemas on CORE, user properties a snapshot inherits
// from its dataset, NFS share rules on CORE, service starts that fail quietly.
#include <cerrno>

#include "test/truenas-sim/tests/conformance.h"

namespace tnascsi::sim::testing {
namespace {

class FidelityTest : public ConformanceTest {
 protected:
  std::vector<std::string> ids(const Json& rows) {
    std::vector<std::string> out;
    for (const Json& r : rows.asArray()) out.push_back(r.value("id").asString());
    return out;
  }
  Json noChildren() { return obj({{"extra", obj({{"retrieve_children", false}})}}); }
};

TEST_P(FidelityTest, RetrieveChildrenFalseWalksPerVersion) {
  createFs("tank/k8s");
  createZvol("tank/k8s/v1", kGiB, obj({{"sparse", true}}));
  // A lone `id =` filter finds the dataset on every version.
  Json byId = ok("pool.dataset.query", arr({arr({arr({"id", "=", "tank/k8s/v1"})}), noChildren()}));
  EXPECT_EQ(ids(byId), std::vector<std::string>{"tank/k8s/v1"});
  // Any other filter: 24.10 and 25.04 search only the pool roots; 25.10 descends; CORE ignores
  // the flag.
  Json byPrefix =
      ok("pool.dataset.query", arr({arr({arr({"id", "^", "tank/k8s/"})}), noChildren()}));
  const bool rootsOnly = personality() == "24.10" || personality() == "25.04";
  EXPECT_EQ(ids(byPrefix),
            rootsOnly ? std::vector<std::string>{} : std::vector<std::string>{"tank/k8s/v1"});
  // No filter: the roots only (CORE: everything).
  Json all = ok("pool.dataset.query", arr({arr({}), noChildren()}));
  EXPECT_EQ(ids(all).size(), core() ? 3u : 1u);
  // Without the flag every version walks everything.
  Json plain = ok("pool.dataset.query", arr({arr({arr({"id", "^", "tank/k8s/"})}), obj({})}));
  EXPECT_EQ(ids(plain), std::vector<std::string>{"tank/k8s/v1"});
}

TEST_P(FidelityTest, SnapshotDeleteOptionsPerVersion) {
  createFs("tank/a");
  ok(snapNs() + ".create", arr({obj({{"dataset", "tank/a"}, {"name", "s1"}})}));
  ok(snapNs() + ".create", arr({obj({{"dataset", "tank/a"}, {"name", "s2"}})}));
  Reply r = client_->call(snapNs() + ".delete",
                          arr({"tank/a@s1", obj({{"defer", false}, {"recursive", false}})}));
  if (core()) {
    expectValidation(r, "options.recursive", "Field was not expected");
  } else {
    EXPECT_TRUE(r.ok) << r.describe();
  }
  ok(snapNs() + ".delete", arr({"tank/a@s2", obj({{"defer", false}})}));
}

TEST_P(FidelityTest, SnapshotsInheritUserPropertiesOfTheirDataset) {
  if (core()) GTEST_SKIP() << "CORE has no user_properties in pool.dataset.create";
  createFs("tank/k8s",
           obj({{"user_properties", arr({obj({{"key", "csi:owner"}, {"value", "d"}})})}}));
  createZvol("tank/k8s/v1", kGiB, obj({{"sparse", true}}));
  ok(snapNs() + ".create", arr({obj({{"dataset", "tank/k8s/v1"}, {"name", "admin"}})}));
  ok(snapNs() + ".create", arr({obj({{"dataset", "tank/k8s/v1"},
                                     {"name", "own"},
                                     {"properties", obj({{"csi:owner", "other"}})}})}));
  Json admin = ok(snapNs() + ".get_instance", arr({"tank/k8s/v1@admin"}));
  EXPECT_EQ(admin.value("properties").value("csi:owner").value("value").asString(), "d");
  EXPECT_EQ(admin.value("properties").value("csi:owner").value("source").asString(), "INHERITED");
  Json own = ok(snapNs() + ".get_instance", arr({"tank/k8s/v1@own"}));
  EXPECT_EQ(own.value("properties").value("csi:owner").value("value").asString(), "other");
  EXPECT_EQ(own.value("properties").value("csi:owner").value("source").asString(), "LOCAL");
}

TEST_P(FidelityTest, CoreNfsSharesNeedFreeBsdGroupsAndNfsV4ForSecurity) {
  createFs("tank/s");
  Reply r = client_->call(
      "sharing.nfs.create",
      arr({nfsShare("/mnt/tank/s", obj({{"maproot_user", "root"}, {"maproot_group", "root"}}))}));
  if (core()) {
    expectValidation(r, "sharing_nfs_create.maproot_group", "Group not found");
  } else {
    EXPECT_TRUE(r.ok) << r.describe();
    ok("sharing.nfs.delete", arr({r.result.value("id")}));
  }
  r = client_->call("sharing.nfs.create",
                    arr({nfsShare("/mnt/tank/s", obj({{"security", arr({"SYS"})}}))}));
  if (!core()) {
    EXPECT_TRUE(r.ok) << r.describe();
    return;
  }
  expectValidation(r, "sharing_nfs_create.security", "This is not allowed when NFS v4 is disabled");
  ok("nfs.update", arr({obj({{"v4", true}})}));
  ok("sharing.nfs.create", arr({nfsShare("/mnt/tank/s", obj({{"security", arr({"SYS"})}}))}));
}

TEST_P(FidelityTest, MethodLookupComesBeforeAuthentication) {
  SimClient anon(server_->port(), scale25() ? "/api/current" : "/websocket");
  Reply r = anon.call("pool.dataset.nosuch");
  ASSERT_FALSE(r.ok);
  if (anon.legacy()) {
    EXPECT_EQ(r.errnum, 201) << r.describe();
    EXPECT_NE(r.reason.find("Method 'nosuch' not found in 'pool.dataset'"), std::string::npos)
        << r.describe();
    r = anon.call("nosuch.service.x");
    EXPECT_NE(r.reason.find("Service 'nosuch.service' not found"), std::string::npos)
        << r.describe();
  } else {
    EXPECT_EQ(r.code, -32601) << r.describe();
  }
  // The official client asks for the mechanisms before logging in: 25.04.2.6/25.10.0 fail on
  // the missing credentials (the client falls back to API_KEY_PLAIN), older versions lack it.
  r = anon.call("auth.mechanism_choices");
  ASSERT_FALSE(r.ok);
  if (scale25()) {
    EXPECT_EQ(r.errnum, EINVAL) << r.describe();
    EXPECT_NE(r.reason.find("'NoneType' object has no attribute 'may_create_auth_token'"),
              std::string::npos)
        << r.describe();
    ASSERT_TRUE(anon.loginWithKey());
    r = anon.call("auth.mechanism_choices");
    ASSERT_TRUE(r.ok) << r.describe();
    EXPECT_EQ(r.result.at(0).asString(), "API_KEY_PLAIN");
  } else {
    EXPECT_EQ(r.errnum, 201) << r.describe();
    EXPECT_NE(r.reason.find("[ENOMETHOD] Method 'mechanism_choices' not found in 'auth'"),
              std::string::npos)
        << r.describe();
  }
  if (scale25()) return;  // logged in above
  r = anon.call("pool.query");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.errnum, core() ? EACCES : 207) << r.describe();
}

TEST_P(FidelityTest, GetWithoutMatchIsMatchNotFoundEinval) {
  Reply r = client_->call("pool.dataset.query",
                          arr({arr({arr({"id", "=", "tank/none"})}), obj({{"get", true}})}));
  expectCallError(r, EINVAL, "MatchNotFound()");
}

TEST_P(FidelityTest, LegacySchemasCoerceNumericStrings) {
  Reply r = client_->call("pool.dataset.create", arr({obj({{"name", "tank/v"},
                                                           {"type", "VOLUME"},
                                                           {"volsize", std::to_string(kGiB)},
                                                           {"sparse", true}})}));
  if (personality() == "25.10") {  // pydantic strict=True
    expectValidation(r, "pool_dataset_create.volsize", "Input should be a valid integer");
    return;
  }
  ASSERT_TRUE(r.ok) << r.describe();
  EXPECT_EQ(r.result.value("volsize").value("parsed").asInt(), kGiB);
}

TEST_P(FidelityTest, CreateFieldsPerVersion) {
  Reply r = client_->call("pool.dataset.create", arr({obj({{"name", "tank/x"}, {"xattr", "SA"}})}));
  if (core()) {
    EXPECT_TRUE(r.ok) << r.describe();
  } else {
    expectValidation(
        r, "pool_dataset_create.xattr",
        personality() == "25.10" ? "Extra inputs are not permitted" : "Field was not expected");
  }
  r = client_->call("pool.dataset.create", arr({obj({{"name", "tank/v"},
                                                     {"type", "VOLUME"},
                                                     {"volsize", kGiB},
                                                     {"volblocksize", "512B"},
                                                     {"sparse", true}})}));
  if (core()) {
    expectValidation(r, "pool_dataset_create.volblocksize", "Invalid choice: 512B");
  } else {
    EXPECT_TRUE(r.ok) << r.describe();
  }
  // CORE takes no `exclude` on snapshot create (TN-13.0-U6.8 plugins/zfs.py:975-983).
  r = client_->call(snapNs() + ".create",
                    arr({obj({{"dataset", "tank"}, {"name", "s"}, {"exclude", arr({})}})}));
  if (core()) {
    expectValidation(r, "snapshot_create.exclude", "Field was not expected");
  } else {
    EXPECT_TRUE(r.ok) << r.describe();
  }
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Personalities, FidelityTest, ::testing::ValuesIn(allPersonalities()),
                         personalityTestName);

}  // namespace tnascsi::sim::testing
