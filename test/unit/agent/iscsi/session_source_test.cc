// Tests for the sysfs and libopeniscsiusr session sources.
#include "agent/iscsi/session_source.h"

#include <gtest/gtest.h>

#include "test/fakes/agent/iscsid/fake_sysfs.h"

namespace tnascsi::agent {
namespace {

using testing::FakeSysfs;

TEST(SysfsSessionSourceTest, ReadsSessionsWithHostAndPortal) {
  FakeSysfs sysfs;
  sysfs.addSession(2, 5, "iqn.a:one", "10.0.0.5", 3260);
  sysfs.addSession(11, 6, "iqn.a:two", "fd00::5", 3261, "FAILED", 3);
  SysfsSessionSource source(sysfs.root());
  auto all = source.list();
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].sid, 2);
  EXPECT_EQ((*all)[0].hostNo, 5);
  EXPECT_EQ((*all)[0].targetIqn, "iqn.a:one");
  EXPECT_EQ((*all)[0].address, "10.0.0.5");
  EXPECT_EQ((*all)[0].port, 3260);
  EXPECT_EQ((*all)[0].state, "LOGGED_IN");
  EXPECT_EQ((*all)[1].sid, 11);
  EXPECT_EQ((*all)[1].hostNo, 6);
  EXPECT_EQ((*all)[1].state, "FAILED");
  EXPECT_EQ((*all)[1].tpgt, 3);
  EXPECT_EQ((*all)[1].initiatorName, "iqn.2004-10.org.example:fake-node");
}

TEST(SysfsSessionSourceTest, NoTransportClassMeansNoSessions) {
  FakeSysfs sysfs;
  SysfsSessionSource source(sysfs.root());
  auto all = source.list();
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty());
  EXPECT_EQ(source.read(1).status().code(), StatusCode::kNotFound);
}

TEST(SysfsSessionSourceTest, NormalizesAddresses) {
  EXPECT_EQ(normalizeAddress("[FD00::5]"), "fd00::5");
  EXPECT_EQ(normalizeAddress("10.0.0.5"), "10.0.0.5");
}

// On this host (no iscsi_tcp loaded) libopeniscsiusr must report no sessions, not an error.
TEST(OpeniscsiusrSessionSourceTest, HostWithoutSessionsListsNone) {
  OpeniscsiusrSessionSource source;
  auto all = source.list();
  ASSERT_TRUE(all.ok()) << all.status();
  if (!all->empty()) {
    GTEST_SKIP() << "this host has live iSCSI sessions";
  }
  EXPECT_TRUE(all->empty());
}

}  // namespace
}  // namespace tnascsi::agent
