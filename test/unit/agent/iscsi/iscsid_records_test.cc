// Tests for the iscsid wire layouts and login-record building at each supported layout.
#include "agent/iscsi/iscsid_records.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

#include "agent/iscsi/iscsid_wire.h"

namespace tnascsi::agent {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

int32_t intAt(const std::string& bytes, size_t offset) {
  int32_t v = 0;
  std::memcpy(&v, bytes.data() + offset, sizeof(v));
  return v;
}

std::string strAt(const std::string& bytes, size_t offset) {
  return std::string(bytes.data() + offset);
}

LoginRequest chapRequest() {
  LoginRequest r;
  r.targetIqn = "iqn.2005-10.org.freenas.ctl:pvc-1234";
  r.address = "10.0.0.5";
  r.port = 3261;
  r.chap = {"alice", "s3cret-Alice-123", "target", "s3cret-Target-456"};
  return r;
}

// Offsets inside the request (node_rec offset + 16) from the reference table.
struct LayoutCase {
  IscsidLayout layout;
  size_t size;
  size_t connAddress;
  size_t connPort;
  size_t loginTimeout;
  size_t ifaceName;
  size_t transportName;
  size_t discType;
  int32_t staticType;
};

class RecordsTest : public ::testing::TestWithParam<LayoutCase> {};

TEST_P(RecordsTest, LoginRecordFieldsSitAtTheReferenceOffsets) {
  const LayoutCase& c = GetParam();
  RecordSettings settings;
  settings.replacementTimeoutSec = 33;
  auto bytes = buildLoginRequest(c.layout, chapRequest(), settings);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  ASSERT_EQ(bytes->size(), c.size);
  EXPECT_EQ(requestSize(c.layout), c.size);
  EXPECT_EQ(intAt(*bytes, 0), wire::kSessionLogin);
  EXPECT_EQ(strAt(*bytes, 16 + 16), "iqn.2005-10.org.freenas.ctl:pvc-1234");
  EXPECT_EQ(intAt(*bytes, 16 + 272), -1);  // tpgt unknown
  EXPECT_EQ(intAt(*bytes, 16 + 316), 1);   // scan auto
  EXPECT_EQ(intAt(*bytes, 16 + 320), 1);   // authmethod CHAP
  EXPECT_EQ(strAt(*bytes, 16 + 324), "alice");
  EXPECT_EQ(std::string(bytes->data() + 16 + 580, 16), "s3cret-Alice-123");
  EXPECT_EQ(intAt(*bytes, 16 + 836), 16);
  EXPECT_EQ(strAt(*bytes, 16 + 840), "target");
  EXPECT_EQ(std::string(bytes->data() + 16 + 1096, 17), "s3cret-Target-456");
  EXPECT_EQ(intAt(*bytes, 16 + 1352), 17);
  EXPECT_EQ(intAt(*bytes, 16 + 1356), 5);   // CHAP MD5
  EXPECT_EQ(intAt(*bytes, 16 + 1360), -1);  // unused slots ~0
  EXPECT_EQ(intAt(*bytes, 16 + 1376), 33);  // replacement_timeout
  EXPECT_EQ(strAt(*bytes, c.connAddress), "10.0.0.5");
  EXPECT_EQ(intAt(*bytes, c.connPort), 3261);
  EXPECT_EQ(intAt(*bytes, c.loginTimeout), 15);
  EXPECT_EQ(strAt(*bytes, c.ifaceName), "default");
  EXPECT_EQ(strAt(*bytes, c.transportName), "tcp");
  EXPECT_EQ(intAt(*bytes, c.discType), c.staticType);
}

TEST_P(RecordsTest, DecodeReadsBackWhatWasBuilt) {
  const LayoutCase& c = GetParam();
  auto bytes = buildLoginRequest(c.layout, chapRequest(), RecordSettings{});
  ASSERT_TRUE(bytes.ok());
  auto d = decodeRequest(c.layout, *bytes);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->targetName, "iqn.2005-10.org.freenas.ctl:pvc-1234");
  EXPECT_EQ(d->address, "10.0.0.5");
  EXPECT_EQ(d->port, 3261);
  EXPECT_EQ(d->password, "s3cret-Alice-123");
  EXPECT_EQ(d->passwordIn, "s3cret-Target-456");
  EXPECT_EQ(d->replacementTimeout, 120);
  EXPECT_EQ(d->loginTimeout, 15);
  EXPECT_EQ(d->initialLoginRetryMax, 8);
  EXPECT_EQ(d->queueDepth, 32);
  EXPECT_EQ(d->firstBurstLength, 262144);
  EXPECT_EQ(d->maxRecvDataSegmentLength, 262144);
  EXPECT_EQ(d->discType, c.staticType);
  EXPECT_FALSE(decodeRequest(c.layout, bytes->substr(1)).ok());
}

TEST_P(RecordsTest, SimpleRequestCarriesCommandAndSid) {
  const LayoutCase& c = GetParam();
  const std::string bytes = buildSimpleRequest(c.layout, wire::kSessionLogout, 42);
  ASSERT_EQ(bytes.size(), c.size);
  EXPECT_EQ(intAt(bytes, 0), wire::kSessionLogout);
  EXPECT_EQ(intAt(bytes, 8), 42);
}

INSTANTIATE_TEST_SUITE_P(
    Layouts, RecordsTest,
    ::testing::Values(LayoutCase{IscsidLayout::k2_1_1, 16104, 16 + 2236, 16 + 3264, 16 + 3276,
                                 16 + 3344, 16 + 14518, 16 + 15048, 4},
                      LayoutCase{IscsidLayout::k2_1_11, 16112, 16 + 2244, 16 + 3272, 16 + 3284,
                                 16 + 3352, 16 + 14526, 16 + 15056, 4},
                      LayoutCase{IscsidLayout::k2_1_12, 16128, 16 + 2244, 16 + 3272, 16 + 3300,
                                 16 + 3368, 16 + 14542, 16 + 15072, 3}));

TEST(RecordsTest, LayoutForRequestSize) {
  EXPECT_EQ(layoutForRequestSize(16104), IscsidLayout::k2_1_1);
  EXPECT_EQ(layoutForRequestSize(16112), IscsidLayout::k2_1_11);
  EXPECT_EQ(layoutForRequestSize(16128), IscsidLayout::k2_1_12);
  EXPECT_FALSE(layoutForRequestSize(16088).has_value());
  EXPECT_THAT(layoutName(IscsidLayout::k2_1_11), HasSubstr("2.1.11"));
}

TEST(RecordsTest, NoChapLeavesAuthEmpty) {
  LoginRequest r = chapRequest();
  r.chap = {};
  auto bytes = buildLoginRequest(IscsidLayout::k2_1_1, r, RecordSettings{});
  ASSERT_TRUE(bytes.ok());
  auto d = decodeRequest(IscsidLayout::k2_1_1, *bytes);
  EXPECT_EQ(d->authmethod, 0);
  EXPECT_EQ(d->username, "");
  EXPECT_EQ(d->password, "");
}

TEST(RecordsTest, InvalidInputsAreRejectedWithoutEchoingSecrets) {
  LoginRequest r = chapRequest();
  r.targetIqn = std::string(255, 'x');
  EXPECT_EQ(buildLoginRequest(IscsidLayout::k2_1_1, r, {}).status().code(),
            StatusCode::kInvalidArgument);

  r = chapRequest();
  r.chap.secret = std::string(300, 'Q') + "TOPSECRET";
  auto st = buildLoginRequest(IscsidLayout::k2_1_12, r, {}).status();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(st.message()), Not(HasSubstr("TOPSECRET")));

  r = chapRequest();
  r.chap.user.clear();  // mutual without outgoing
  r.chap.secret.clear();
  EXPECT_EQ(buildLoginRequest(IscsidLayout::k2_1_1, r, {}).status().code(),
            StatusCode::kInvalidArgument);

  r = chapRequest();
  r.port = 0;
  EXPECT_FALSE(buildLoginRequest(IscsidLayout::k2_1_1, r, {}).ok());
}

}  // namespace
}  // namespace tnascsi::agent
