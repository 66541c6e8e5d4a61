// Tests for IscsidInitiator against the fake iscsid and a fake sysfs tree: the layout probe,
// access denied, iscsid absent, re-probe, login (idempotency, CHAP placement, no secrets in logs,
// deadline), logout codes.
#include "agent/iscsi/iscsid_initiator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <mutex>

#include "agent/iscsi/iscsid_wire.h"
#include "common/log/log.h"
#include "test/fakes/agent/iscsid/fake_iscsid.h"
#include "test/fakes/agent/iscsid/fake_sysfs.h"

namespace tnascsi::agent {
namespace {

using testing::FakeIscsid;
using testing::FakeSysfs;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kIqn[] = "iqn.2005-10.org.freenas.ctl:pvc-1";

class LogCapture {
 public:
  LogCapture() {
    common::setLogSinkForTest([this](const std::string& line) {
      std::lock_guard<std::mutex> lock(mu_);
      text_ += line;
    });
  }
  ~LogCapture() { common::setLogSinkForTest(nullptr); }
  std::string text() {
    std::lock_guard<std::mutex> lock(mu_);
    return text_;
  }

 private:
  std::mutex mu_;
  std::string text_;
};

class InitiatorTest : public ::testing::Test {
 protected:
  void startFake(size_t size) {
    fake_ = std::make_unique<FakeIscsid>(size);
    ASSERT_TRUE(fake_->start().ok());
  }
  std::unique_ptr<IscsidInitiator> make(IscsidInitiatorOptions options = {}) {
    options.socketName = fake_ ? fake_->socketName() : "tnas-test-nobody-listens";
    return std::make_unique<IscsidInitiator>(options,
                                             std::make_unique<SysfsSessionSource>(sysfs_.root()));
  }
  LoginRequest request() {
    LoginRequest r;
    r.targetIqn = kIqn;
    r.address = "10.0.0.5";
    r.port = 3260;
    return r;
  }
  // Makes the fake create the kernel session when it receives a LOGIN.
  void createSessionOnLogin(int sid, int host) {
    fake_->setOnRequest([this, sid, host](const std::string& req) {
      int32_t cmd = 0;
      std::memcpy(&cmd, req.data(), sizeof(cmd));
      if (cmd == wire::kSessionLogin) {
        sysfs_.addSession(sid, host, kIqn, "10.0.0.5", 3260);
      }
    });
  }
  IscsidLayout lastLayout() { return *layoutForRequestSize(fake_->requests().back().size()); }

  FakeSysfs sysfs_;
  std::unique_ptr<FakeIscsid> fake_;
};

class ProbeSizeTest : public InitiatorTest, public ::testing::WithParamInterface<size_t> {};

TEST_P(ProbeSizeTest, FirstAnsweredSizeWins) {
  startFake(GetParam());
  auto initiator = make();
  ASSERT_TRUE(initiator->probe().ok());
  auto layout = initiator->layout();
  ASSERT_TRUE(layout.ok());
  EXPECT_EQ(requestSize(*layout), GetParam());
  // Every smaller size was tried and starved the fake's read (no answer).
  int smaller = 0;
  for (size_t s : {16088u, 16104u, 16112u, 16128u}) {
    smaller += s < GetParam() ? 1 : 0;
  }
  EXPECT_EQ(fake_->shortReads(), smaller);
  auto name = initiator->initiatorName();
  ASSERT_TRUE(name.ok()) << name.status();
  EXPECT_EQ(*name, "iqn.2004-10.org.example:fake-node");
}

INSTANTIATE_TEST_SUITE_P(Sizes, ProbeSizeTest, ::testing::Values(16104u, 16112u, 16128u));

TEST_F(InitiatorTest, UnknownSizeIsAClearError) {
  startFake(16200);
  Status st = make()->probe();
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(st.message()), HasSubstr("did not answer any known request size"));
}

TEST_F(InitiatorTest, OldLayoutIsRefused) {
  startFake(16088);
  Status st = make()->probe();
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(st.message()), HasSubstr("2.1.1 or later"));
}

TEST_F(InitiatorTest, AccessDenied) {
  startFake(16104);
  fake_->setAccessDenied(true);
  Status st = make()->probe();
  EXPECT_EQ(st.code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(st.message()), HasSubstr("uid 0"));
}

TEST_F(InitiatorTest, IscsidAbsentSaysWhatToDo) {
  Status st = make()->probe();
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_THAT(std::string(st.message()), HasSubstr("iscsid is not running"));
  EXPECT_THAT(std::string(st.message()), HasSubstr("start iscsid"));
}

TEST_F(InitiatorTest, EmptyInitiatorNameIsNotFound) {
  startFake(16104);
  fake_->setResponse(wire::kConfigIname, {0, "", {}});
  EXPECT_EQ(make()->initiatorName().status().code(), StatusCode::kNotFound);
}

TEST_F(InitiatorTest, ReprobesWhenIscsidIsUpgradedInPlace) {
  startFake(16104);
  auto initiator = make();
  ASSERT_EQ(*initiator->layout(), IscsidLayout::k2_1_1);
  fake_->setRequestSize(16112);
  auto name = initiator->initiatorName();
  ASSERT_TRUE(name.ok()) << name.status();
  EXPECT_EQ(*initiator->layout(), IscsidLayout::k2_1_11);
}

TEST_F(InitiatorTest, ReprobesAfterIscsidRestart) {
  startFake(16104);
  auto initiator = make();
  ASSERT_EQ(*initiator->layout(), IscsidLayout::k2_1_1);
  fake_->stop();
  EXPECT_EQ(initiator->initiatorName().status().code(), StatusCode::kUnavailable);
  fake_->setRequestSize(16128);
  ASSERT_TRUE(fake_->start().ok());
  ASSERT_TRUE(initiator->initiatorName().ok());
  EXPECT_EQ(*initiator->layout(), IscsidLayout::k2_1_12);
}

TEST_F(InitiatorTest, LoginSendsTheRecordAndFindsTheSession) {
  startFake(16128);
  createSessionOnLogin(3, 7);
  IscsidInitiatorOptions options;
  options.record.replacementTimeoutSec = 30;
  auto initiator = make(options);
  auto session = initiator->login(request());
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_EQ(session->sid, 3);
  EXPECT_EQ(session->hostNo, 7);
  EXPECT_EQ(session->state, "LOGGED_IN");
  auto reqs = fake_->requests();
  auto d = decodeRequest(IscsidLayout::k2_1_12, reqs.back());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->command, wire::kSessionLogin);
  EXPECT_EQ(d->targetName, kIqn);
  EXPECT_EQ(d->address, "10.0.0.5");
  EXPECT_EQ(d->replacementTimeout, 30);
  EXPECT_EQ(d->loginTimeout, 15);
  EXPECT_EQ(d->discType, 3);
  EXPECT_EQ(d->authmethod, 0);
}

TEST_F(InitiatorTest, LoginReprobesSoADowngradedIscsidGetsItsLayout) {
  startFake(16128);
  createSessionOnLogin(3, 7);
  auto initiator = make();
  ASSERT_EQ(*initiator->layout(), IscsidLayout::k2_1_12);
  fake_->setRequestSize(16104);  // iscsid replaced by 2.1.8: a 16128-byte request would be misread
  ASSERT_TRUE(initiator->login(request()).ok());
  EXPECT_EQ(fake_->requests().back().size(), 16104u);
  auto d = decodeRequest(IscsidLayout::k2_1_1, fake_->requests().back());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->address, "10.0.0.5");
  EXPECT_EQ(d->discType, 4);
}

TEST_F(InitiatorTest, LoginTreatsSessionExistsAsSuccess) {
  startFake(16104);
  createSessionOnLogin(4, 2);
  fake_->setResponse(wire::kSessionLogin, {wire::kErrSessExists, "", {}});
  auto session = make()->login(request());
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_EQ(session->sid, 4);
}

TEST_F(InitiatorTest, LoginWithExistingSessionDoesNotAskIscsid) {
  startFake(16104);
  sysfs_.addSession(5, 2, kIqn, "10.0.0.5", 3260);
  auto initiator = make();
  auto session = initiator->login(request());
  ASSERT_TRUE(session.ok());
  EXPECT_EQ(session->sid, 5);
  for (const auto& r : fake_->requests()) {
    int32_t cmd = 0;
    std::memcpy(&cmd, r.data(), sizeof(cmd));
    EXPECT_NE(cmd, wire::kSessionLogin);
  }
}

TEST_F(InitiatorTest, ChapIsPlacedInTheRecordAndNeverLogged) {
  LogCapture logs;
  common::setLogLevel(common::LogLevel::kDebug);
  startFake(16112);
  createSessionOnLogin(6, 3);
  LoginRequest r = request();
  r.chap = {"chapuser", "Sup3rS3cretOut", "tgtuser", "Sup3rS3cretIn"};
  auto session = make()->login(r);
  ASSERT_TRUE(session.ok()) << session.status();
  auto d = decodeRequest(IscsidLayout::k2_1_11, fake_->requests().back());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->authmethod, 1);
  EXPECT_EQ(d->username, "chapuser");
  EXPECT_EQ(d->password, "Sup3rS3cretOut");
  EXPECT_EQ(d->usernameIn, "tgtuser");
  EXPECT_EQ(d->passwordIn, "Sup3rS3cretIn");
  EXPECT_THAT(logs.text(), HasSubstr("logged in"));
  EXPECT_THAT(logs.text(), Not(HasSubstr("Sup3rS3cret")));
  common::setLogLevel(common::LogLevel::kInfo);
}

TEST_F(InitiatorTest, AuthFailureIsUnauthenticatedWithoutSecret) {
  LogCapture logs;
  startFake(16104);
  fake_->setResponse(wire::kSessionLogin, {wire::kErrLoginAuthFailed, "", {}});
  LoginRequest r = request();
  r.chap = {"chapuser", "Sup3rS3cretOut", "", ""};
  Status st = make()->login(r).status();
  EXPECT_EQ(st.code(), StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(st.message()), Not(HasSubstr("Sup3rS3cret")));
  EXPECT_THAT(logs.text(), Not(HasSubstr("Sup3rS3cret")));
}

TEST_F(InitiatorTest, LoginDeadlineExpires) {
  startFake(16104);
  fake_->setResponse(wire::kSessionLogin, {0, "", std::chrono::milliseconds(1500)});
  IscsidInitiatorOptions options;
  options.loginTimeout = std::chrono::milliseconds(200);
  auto initiator = make(options);
  const auto start = std::chrono::steady_clock::now();
  Status st = initiator->login(request()).status();
  EXPECT_EQ(st.code(), StatusCode::kDeadlineExceeded) << st;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1400));
}

struct LogoutCase {
  int32_t err;
  StatusCode code;
};

class LogoutTest : public InitiatorTest, public ::testing::WithParamInterface<LogoutCase> {};

TEST_P(LogoutTest, MapsIscsidAnswer) {
  startFake(16112);
  fake_->setResponse(wire::kSessionLogout, {GetParam().err, "", {}});
  Status st = make()->logout(9);
  EXPECT_EQ(st.code(), GetParam().code) << st;
  auto d = decodeRequest(IscsidLayout::k2_1_11, fake_->requests().back());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->command, wire::kSessionLogout);
  EXPECT_EQ(d->sid, 9);
}

INSTANTIATE_TEST_SUITE_P(Codes, LogoutTest,
                         ::testing::Values(LogoutCase{0, StatusCode::kOk},
                                           LogoutCase{2, StatusCode::kOk},
                                           LogoutCase{32, StatusCode::kUnavailable},
                                           LogoutCase{9, StatusCode::kUnavailable},
                                           LogoutCase{28, StatusCode::kUnavailable}));

// A restarted iscsid answers SESS_NOT_FOUND for a kernel session it has not adopted yet: that
// must not count as logged out while sysfs still lists the session (found by the fault suite).
TEST_F(InitiatorTest, LogoutNotFoundWhileTheKernelHasTheSessionIsUnavailable) {
  startFake(16112);
  sysfs_.addSession(9, 3, kIqn, "10.0.0.5", 3260);
  fake_->setResponse(wire::kSessionLogout, {2, "", {}});
  Status st = make()->logout(9);
  EXPECT_EQ(st.code(), StatusCode::kUnavailable) << st;
  EXPECT_THAT(std::string(st.message()), HasSubstr("kernel still has it"));
  sysfs_.addSession(10, 4, kIqn, "10.0.0.6", 3260);  // another session does not matter
  EXPECT_EQ(make()->logout(11).code(), StatusCode::kOk);
}

}  // namespace
}  // namespace tnascsi::agent
