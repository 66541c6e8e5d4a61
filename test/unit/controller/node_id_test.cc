// Node id parsing and IQN validation.
#include "controller/provision/node_id.h"

#include <gtest/gtest.h>

#include "controller/provision/iscsi_masking.h"

namespace tnascsi::controller::provision {
namespace {

TEST(NodeId, ParsesTheAgentsFormat) {
  auto id = parseNodeId("worker-1,iqn.2004-10.com.ubuntu:01:abcdef");
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->name, "worker-1");
  EXPECT_EQ(id->iqn, "iqn.2004-10.com.ubuntu:01:abcdef");
  EXPECT_EQ(id->str(), "worker-1,iqn.2004-10.com.ubuntu:01:abcdef");
  auto nfsOnly = parseNodeId("worker-2.example.com,");
  ASSERT_TRUE(nfsOnly.has_value());
  EXPECT_TRUE(nfsOnly->iqn.empty());
  EXPECT_TRUE(parseNodeId("n,eui.0123456789abcdef").has_value());
  EXPECT_TRUE(parseNodeId("n,naa.60014051234").has_value());
}

TEST(NodeId, ParsesVersion2WithTheNfsAddress) {
  auto id = parseNodeId("worker-1,iqn.2004-10.com.ubuntu:01:abcdef,10.0.0.5");
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->iqn, "iqn.2004-10.com.ubuntu:01:abcdef");
  EXPECT_EQ(id->address, "10.0.0.5");
  EXPECT_EQ(id->str(), "worker-1,iqn.2004-10.com.ubuntu:01:abcdef,10.0.0.5");
  auto nfsOnly = parseNodeId("worker-2,,2001:db8::5");
  ASSERT_TRUE(nfsOnly.has_value());
  EXPECT_TRUE(nfsOnly->iqn.empty());
  EXPECT_EQ(nfsOnly->address, "2001:db8::5");
  EXPECT_EQ(parseNodeId("worker-1,iqn.2004-10.com.x:1")->address, "") << "version 1";
  for (const char* bad : {"n,,", "n,,10.0.0.5,", "n,,2001:DB8::5", "n,,010.0.0.5", "n,,a.b",
                          "n,,10.0.0.5 ", "n,iqn.2004-10.com.x:1,"}) {
    EXPECT_FALSE(parseNodeId(bad).has_value()) << bad;
  }
}

TEST(Masking, RecordsTheNfsAddressOfVersion2Ids) {
  NodeId a{"a", "iqn.2004-10.com.x:a", "10.0.0.5"}, b{"b", "iqn.2004-10.com.x:b", ""};
  auto spec = initiatorGroupSpec("tank/k8s/v", {a, b});
  truenas::IscsiInitiatorGroup group;
  group.initiators = spec.initiators;
  group.comment = spec.comment;
  auto nodes = publishedNodes(group);
  ASSERT_EQ(nodes.size(), 2u);
  EXPECT_EQ(nodes[0].str(), "a,iqn.2004-10.com.x:a,10.0.0.5") << group.comment;
  EXPECT_EQ(nodes[1].str(), "b,iqn.2004-10.com.x:b");
}

TEST(NodeId, RejectsMalformed) {
  for (const char* bad : {"", "some-fake-node-id", ",iqn.2004-10.com.x:1", "Node,iqn.2004-10.com.x",
                          "-node,iqn.2004-10.com.x", "node,iqn", "node,bad.2004-10.com.x",
                          "node,iqn.2004-10.com.x,extra", "no de,iqn.2004-10.com.x",
                          "node,iqn.2004 10", "node,iqn.2000-01.invalid.truenas-csi:no-node",
                          "node,IQN.2000-01.INVALID.truenas-csi:no-node"}) {
    EXPECT_FALSE(parseNodeId(bad).has_value()) << bad;
  }
  EXPECT_FALSE(isValidIqn("iqn.2004-10.com.x:" + std::string(220, 'a')));
  EXPECT_FALSE(parseNodeId(std::string(250, 'a') + ",iqn.2004-10.com.x:1").has_value());
}

TEST(Masking, PlaceholderWhenNobodyIsPublishedAndNodeIdsInTheComment) {
  auto empty = initiatorGroupSpec("tank/k8s/v", {});
  ASSERT_EQ(empty.initiators.size(), 1u);
  EXPECT_EQ(empty.initiators[0], kPlaceholderIqn);
  EXPECT_TRUE(isValidIqn(kPlaceholderIqn)) << "a syntactically valid IQN, so TrueNAS accepts it";
  NodeId a{"a", "iqn.2004-10.com.x:a", ""}, b{"b", "iqn.2004-10.com.x:b", ""};
  auto two = initiatorGroupSpec("tank/k8s/v", {a, b});
  EXPECT_EQ(two.initiators, (std::vector<std::string>{a.iqn, b.iqn}));
  truenas::IscsiInitiatorGroup group;
  group.initiators = two.initiators;
  group.comment = two.comment;
  auto nodes = publishedNodes(group);
  ASSERT_EQ(nodes.size(), 2u);
  EXPECT_EQ(nodes[0].str(), a.str());
  EXPECT_EQ(nodes[1].str(), b.str());
  EXPECT_TRUE(isRestrictive(group));
  group.initiators.clear();
  EXPECT_FALSE(isRestrictive(group));
}

}  // namespace
}  // namespace tnascsi::controller::provision
