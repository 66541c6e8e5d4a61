// Shared assertions for the conformance suites: TrueNAS validation errors and call errors as
// they appear on JSON-RPC (25.x) and on the legacy protocol (24.10, 13.0).
#pragma once

#include "test/truenas-sim/tests/sim_client.h"

namespace tnascsi::sim::testing {

class ConformanceTest : public SimFixture {
 protected:
  void expectValidation(const Reply& r, const std::string& attr, const std::string& msg) {
    ASSERT_FALSE(r.ok) << r.describe();
    if (client_->legacy()) {
      EXPECT_EQ(r.error.value("type").asString(), "VALIDATION") << r.describe();
    } else {
      EXPECT_EQ(r.code, -32602) << r.describe();
      EXPECT_EQ(r.errnum, 22) << r.describe();
    }
    EXPECT_TRUE(r.hasItem(attr, msg)) << "want [" << attr << ", " << msg << "] in " << r.describe();
  }
  void expectCallError(const Reply& r, int errnum, const std::string& msg) {
    ASSERT_FALSE(r.ok) << r.describe();
    if (!client_->legacy()) {
      EXPECT_EQ(r.code, -32001) << r.describe();
    }
    EXPECT_EQ(r.errnum, errnum) << r.describe();
    EXPECT_NE(r.reason.find(msg), std::string::npos) << r.describe();
  }
  Json portal(const std::string& ip = "0.0.0.0") {
    return ok("iscsi.portal.create", arr({obj({{"listen", arr({obj({{"ip", ip}})})}})}));
  }
  Json target(const std::string& name, const Json& portalId) {
    return ok("iscsi.target.create",
              arr({obj({{"name", name}, {"groups", arr({obj({{"portal", portalId}})})}})}));
  }
  Json extent(const std::string& name, const std::string& zvol) {
    return ok("iscsi.extent.create",
              arr({obj({{"name", name}, {"type", "DISK"}, {"disk", "zvol/" + zvol}})}));
  }
  Json nfsShare(const std::string& path, Json extra = Json::object()) {
    if (core()) {
      extra.set("paths", arr({path}));
    } else {
      extra.set("path", path);
    }
    return extra;
  }
};

}  // namespace tnascsi::sim::testing
