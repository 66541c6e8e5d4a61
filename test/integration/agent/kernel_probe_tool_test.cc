// Runs the tnas-agent-kernel-probe binary against the fake iscsid and a fake sysfs tree: probe
// output, login with CHAP from a file (the secret reaches iscsid's record but never the tool's
// output), sessions, logout with LUN removal.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <fstream>

#include "agent/iscsi/iscsid_records.h"
#include "agent/iscsi/iscsid_wire.h"
#include "test/fakes/agent/iscsid/fake_iscsid.h"
#include "test/fakes/agent/iscsid/fake_sysfs.h"

#ifndef TNAS_PROBE_TOOL
#error "TNAS_PROBE_TOOL must name the tool binary"
#endif

namespace tnascsi::agent {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct ToolRun {
  int exitCode;
  std::string output;  // stdout + stderr
};

ToolRun runTool(const std::string& args) {
  const std::string cmd = std::string(TNAS_PROBE_TOOL) + " " + args + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  ToolRun r{-1, ""};
  if (p == nullptr) {
    return r;
  }
  char buf[4096];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) {
    r.output.append(buf, n);
  }
  const int status = ::pclose(p);
  r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

class ProbeToolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fake_.start().ok());
    common_ = " --socket " + fake_.socketName() + " --sysfs " + sysfs_.root();
  }
  testing::FakeSysfs sysfs_;
  testing::FakeIscsid fake_{16112};
  std::string common_;
};

TEST_F(ProbeToolTest, ProbePrintsLayoutAndInitiator) {
  ToolRun r = runTool("probe" + common_);
  EXPECT_EQ(r.exitCode, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("request_size=16112"));
  EXPECT_THAT(r.output, HasSubstr("initiator=iqn.2004-10.org.example:fake-node"));
}

TEST_F(ProbeToolTest, LoginWithChapFileThenLogout) {
  fake_.setOnRequest([this](const std::string& req) {
    int32_t cmd = 0;
    std::memcpy(&cmd, req.data(), sizeof(cmd));
    if (cmd == wire::kSessionLogin) {
      sysfs_.addSession(4, 9, "iqn.2005-10.org.freenas.ctl:t", "10.1.2.3", 3260);
      sysfs_.addLun(4, 9, 0, 0, "sdq");
    }
  });
  const std::string chapFile = sysfs_.root() + "/chap";
  std::ofstream(chapFile) << "user=alice\nsecret=ToolS3cretValue\n";
  ToolRun r = runTool(
      "login --target iqn.2005-10.org.freenas.ctl:t --portal 10.1.2.3:3260 "
      "--chap-file " +
      chapFile + common_);
  EXPECT_EQ(r.exitCode, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("session sid=4 host=9"));
  EXPECT_THAT(r.output, Not(HasSubstr("ToolS3cretValue")));
  auto d = decodeRequest(IscsidLayout::k2_1_11, fake_.requests().back());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->username, "alice");
  EXPECT_EQ(d->password, "ToolS3cretValue");

  ToolRun s = runTool("sessions" + common_);
  EXPECT_THAT(s.output, HasSubstr("target=iqn.2005-10.org.freenas.ctl:t address=10.1.2.3"));

  ToolRun out =
      runTool("logout --target iqn.2005-10.org.freenas.ctl:t --portal 10.1.2.3" + common_);
  EXPECT_EQ(out.exitCode, 0) << out.output;
  EXPECT_THAT(out.output, HasSubstr("removed scsi=9:0:0:0"));
  EXPECT_THAT(out.output, HasSubstr("logout sid=4"));
  EXPECT_EQ(sysfs_.read(testing::FakeSysfs::sessionDevice(4, 9) + "/target9:0:0/9:0:0:0/delete"),
            "1");
}

TEST_F(ProbeToolTest, BadUsage) {
  EXPECT_EQ(runTool("login" + common_).exitCode, 2);
  EXPECT_EQ(runTool("frobnicate").exitCode, 2);
}

}  // namespace
}  // namespace tnascsi::agent
