// The drivers' shared connection flags: each is consumed with its value, others are left alone.
#include "test/e2e/stack_flags.h"

#include <gtest/gtest.h>

namespace tnascsi::e2e {
namespace {

TEST(StackFlags, TakesTheConnectionFlagsAndLeavesOthers) {
  StackEndpoints s;
  int asked = 0;
  auto value = [&] { return "v" + std::to_string(++asked); };
  EXPECT_TRUE(takeStackFlag("--controller", value, &s));
  EXPECT_TRUE(takeStackFlag("--node", value, &s));
  EXPECT_TRUE(takeStackFlag("--sim-url", value, &s));
  EXPECT_TRUE(takeStackFlag("--kubelet-dir", value, &s));
  EXPECT_TRUE(takeStackFlag("--state-dir", value, &s));
  EXPECT_FALSE(takeStackFlag("--protocol", value, &s));
  EXPECT_FALSE(takeStackFlag("--controllerx", value, &s));
  EXPECT_EQ(asked, 5);  // refused flags do not consume a value
  EXPECT_EQ(s.controllerEndpoint, "v1");
  EXPECT_EQ(s.nodeEndpoint, "v2");
  EXPECT_EQ(s.simUrl, "v3");
  EXPECT_EQ(s.kubeletDir, "v4");
  EXPECT_EQ(s.stateDir, "v5");
  EXPECT_EQ(s.driverName, "csi.truenas-csi.io");
}

TEST(FlagValue, TakesTheNextArgumentAndAdvances) {
  char prog[] = "tnas-e2e", flag[] = "--name", val[] = "pvc-1", last[] = "--state";
  char* argv[] = {prog, flag, val, last};
  int i = 1;
  auto next = flagValue(4, argv, &i);
  EXPECT_EQ(next(), "pvc-1");
  EXPECT_EQ(i, 2);
}

TEST(FlagValueDeathTest, AMissingValueExitsTwoNamingTheFlag) {
  char prog[] = "tnas-e2e", last[] = "--state";
  char* argv[] = {prog, last};
  int i = 1;
  auto next = flagValue(2, argv, &i);
  EXPECT_EXIT(next(), ::testing::ExitedWithCode(2), "--state needs a value");
}

}  // namespace
}  // namespace tnascsi::e2e
