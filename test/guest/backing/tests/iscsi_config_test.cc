// iscsi.config -> desired LIO state (iscsi_config.h).
#include "test/guest/backing/iscsi_config.h"

#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <string>

namespace tnascsi::sim {
namespace {

Poco::JSON::Object::Ptr parse(const std::string& json) {
  return Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
}

std::string config(const std::string& initiatorId, const std::string& initiators,
                   const std::string& authmethod, const std::string& auth) {
  return R"({"basename":"iqn.2005-10.org.freenas.ctl","listen_port":3260,
    "portals":[{"id":1,"tag":1,"listen":[{"ip":"127.0.0.1","port":3260}]}],
    "initiators":[{"id":1,"initiators":)" +
         initiators + R"(,"comment":""}],
    "auths":[{"id":1,"tag":7,"user":"u","secret":"s3cr3t-abcdef","peeruser":"pu","peersecret":"ps3cr3t-abcdef"}],
    "targets":[{"id":1,"name":"pvc-1","iqn":"iqn.2005-10.org.freenas.ctl:pvc-1",
      "groups":[{"portal":1,"initiator":)" +
         initiatorId + R"(,"authmethod":")" + authmethod + R"(","auth":)" + auth + R"(}]}],
    "extents":[{"id":1,"name":"pvc-1","type":"DISK","disk":"zvol/tank/k8s/pvc-1",
      "serial":"3f1a9c0b2d7e4a1","naa":"0x6589cfc000000abc","blocksize":512,"ro":false,
      "enabled":true}],
    "targetextents":[{"id":1,"target":1,"extent":1,"lunid":3}]})";
}

uint64_t fakeSize(const std::string&) {
  return 4096;
}

TEST(IscsiConfigTest, MaskedTargetGetsOneAclPerInitiator) {
  auto cfg = parse(config("1", R"(["iqn.a:1","iqn.b:2"])", "NONE", "null"));
  auto st = desiredLioState(*cfg, "/srv/tnas", fakeSize);
  ASSERT_TRUE(st.ok()) << st.status();
  ASSERT_EQ(st->backstores.count("pvc-1"), 1u);
  const Backstore& bs = st->backstores.at("pvc-1");
  EXPECT_EQ(bs.file, "/srv/tnas/zvol/tank/k8s/pvc-1");
  EXPECT_EQ(bs.size, 4096u);
  EXPECT_EQ(bs.unitSerial, "3f1a9c0b2d7e4a1");
  EXPECT_EQ(bs.companyId, "0x589cfc");
  const Target& t = st->targets.at("iqn.2005-10.org.freenas.ctl:pvc-1");
  EXPECT_FALSE(t.demoMode);
  EXPECT_FALSE(t.chap);
  EXPECT_EQ(t.portals, std::set<std::string>{"127.0.0.1:3260"});
  EXPECT_EQ(t.luns.at(3), "pvc-1");
  ASSERT_EQ(t.acls.size(), 2u);
  EXPECT_EQ(t.acls.at("iqn.a:1").luns, std::set<int>{3});
}

TEST(IscsiConfigTest, NullOrEmptyGroupMeansDemoMode) {
  for (auto [id, list] : {std::pair{"null", "[\"iqn.a:1\"]"}, std::pair{"1", "[]"}}) {
    auto st = desiredLioState(*parse(config(id, list, "NONE", "null")), "/r", fakeSize);
    ASSERT_TRUE(st.ok()) << st.status();
    const Target& t = st->targets.begin()->second;
    EXPECT_TRUE(t.demoMode) << id;
    EXPECT_TRUE(t.acls.empty());
  }
}

TEST(IscsiConfigTest, ChapAndMutualChapCredentials) {
  auto one = desiredLioState(*parse(config("1", R"(["iqn.a:1"])", "CHAP", "7")), "/r", fakeSize);
  ASSERT_TRUE(one.ok()) << one.status();
  const Target& t1 = one->targets.begin()->second;
  EXPECT_TRUE(t1.chap);
  EXPECT_EQ(t1.acls.at("iqn.a:1").chap, (ChapCredentials{"u", "s3cr3t-abcdef", "", ""}));

  auto mutual = desiredLioState(*parse(config("null", "[]", "CHAP_MUTUAL", "7")), "/r", fakeSize);
  ASSERT_TRUE(mutual.ok()) << mutual.status();
  const Target& t2 = mutual->targets.begin()->second;
  EXPECT_TRUE(t2.demoMode);
  EXPECT_EQ(t2.demoChap, (ChapCredentials{"u", "s3cr3t-abcdef", "pu", "ps3cr3t-abcdef"}));
}

TEST(IscsiConfigTest, ChapWithUnknownTagIsRejectedWithoutTheSecret) {
  auto st = desiredLioState(*parse(config("1", "[]", "CHAP", "99")), "/r", fakeSize);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.status().message().find("s3cr3t"), std::string::npos);
}

TEST(IscsiConfigTest, NamesAndNaa) {
  EXPECT_EQ(backstoreName("tank/k8s pvc"), "tank_k8s_pvc");
  EXPECT_EQ(companyIdFromNaa("0x6589CFC0000001"), "0x589cfc");
  EXPECT_EQ(companyIdFromNaa("0x5001"), "");
  EXPECT_EQ(companyIdFromNaa(""), "");
}

}  // namespace
}  // namespace tnascsi::sim
