// Checks the agent's iscsid IPC against the distribution's real iscsid (Debian 12: open-iscsi
// 2.1.8), started in a private network namespace (so its abstract socket is ours alone) with a
// netlink shim because this kernel has no scsi_transport_iscsi. Proves: the size probe finds the
// real request size, the initiator name is read, a login record is parsed up to the transport
// lookup (iscsid answers TRANS_NOT_FOUND for "tcp"), a non-root caller gets ACCESS. Root only;
// skipped when iscsid is not installed or namespaces are unavailable.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "agent/iscsi/iscsid_initiator.h"

#ifndef TNAS_NETLINK_SHIM
#error "TNAS_NETLINK_SHIM must name the shim library"
#endif

namespace tnascsi::agent {
namespace {

constexpr char kIscsid[] = "/usr/sbin/iscsid";

std::string configuredInitiatorName() {
  std::ifstream in("/etc/iscsi/initiatorname.iscsi");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("InitiatorName=", 0) == 0) {
      return line.substr(14);
    }
  }
  return {};
}

class RealIscsidTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() != 0 || ::access(kIscsid, X_OK) != 0) {
      return;
    }
    // A private network namespace for this whole test process: iscsid's abstract socket and ours
    // live only here.
    if (::unshare(CLONE_NEWNET) != 0) {
      return;
    }
    pid_ = ::fork();
    if (pid_ == 0) {
      // Its own process group: on SIGTERM iscsid signals its whole group (kill(0, …)).
      ::setpgid(0, 0);
      ::setenv("LD_PRELOAD", TNAS_NETLINK_SHIM, 1);
      const int devnull = ::open("/dev/null", O_WRONLY);
      ::dup2(devnull, 1);
      ::dup2(devnull, 2);
      ::execl(kIscsid, kIscsid, "-f", static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  static void TearDownTestSuite() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  void SetUp() override {
    if (::geteuid() != 0) {
      GTEST_SKIP() << "needs root";
    }
    if (::access(kIscsid, X_OK) != 0) {
      GTEST_SKIP() << "iscsid is not installed";
    }
    if (pid_ <= 0) {
      GTEST_SKIP() << "could not start iscsid in a private network namespace";
    }
    initiator_ = std::make_unique<IscsidInitiator>(
        IscsidInitiatorOptions{}, std::make_unique<SysfsSessionSource>("/nonexistent-sysfs"));
    // Wait (test-only polling) for iscsid to listen.
    Status st;
    for (int i = 0; i < 50; ++i) {
      st = initiator_->probe();
      if (st.code() != StatusCode::kUnavailable) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_TRUE(st.ok()) << st;
  }
  static pid_t pid_;
  std::unique_ptr<IscsidInitiator> initiator_;
};

pid_t RealIscsidTest::pid_ = -1;

TEST_F(RealIscsidTest, ProbeFindsTheInstalledLayout) {
  auto layout = initiator_->layout();
  ASSERT_TRUE(layout.ok());
  // Debian 12 ships 2.1.8: the 16104-byte request.
  EXPECT_EQ(requestSize(*layout), 16104u) << layoutName(*layout);
}

TEST_F(RealIscsidTest, InitiatorNameMatchesTheConfigFile) {
  auto name = initiator_->initiatorName();
  ASSERT_TRUE(name.ok()) << name.status();
  EXPECT_EQ(*name, configuredInitiatorName());
}

TEST_F(RealIscsidTest, LoginRecordIsParsedUpToTheTransportLookup) {
  LoginRequest r;
  r.targetIqn = "iqn.2005-10.org.freenas.ctl:probe";
  r.address = "127.0.0.1";
  r.port = 3260;
  r.chap = {"user", "secret-not-logged", "", ""};
  Status st = initiator_->login(r).status();
  // iscsid looked up transport "tcp" from iface.transport_name: our record's offsets line up.
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition) << st;
  EXPECT_THAT(std::string(st.message()), ::testing::HasSubstr("TRANS_NOT_FOUND"));
}

TEST_F(RealIscsidTest, LogoutOfUnknownSessionIsOk) {
  EXPECT_TRUE(initiator_->logout(4242).ok());
}

TEST_F(RealIscsidTest, NonRootCallerIsRefused) {
  const pid_t child = ::fork();
  if (child == 0) {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) {
      ::_exit(3);
    }
    IscsidInitiator other({}, std::make_unique<SysfsSessionSource>("/nonexistent-sysfs"));
    Status st = other.probe();
    ::_exit(st.code() == StatusCode::kPermissionDenied ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "a uid 65534 probe was not answered ISCSI_ERR_ACCESS";
}

}  // namespace
}  // namespace tnascsi::agent
