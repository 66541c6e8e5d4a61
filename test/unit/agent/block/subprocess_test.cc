// Tests for runTool: exit codes, stderr capture, deadline kill, missing program.
#include "agent/block/subprocess.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tnascsi::agent {
namespace {

using std::chrono::milliseconds;

StatusOr<std::string> tool(const std::string& name) {
  return findTool(name, {"/usr/bin", "/bin"});
}

TEST(RunToolTest, CapturesExitCodeAndStderr) {
  auto ls = tool("ls");
  ASSERT_TRUE(ls.ok());
  auto r = runTool({*ls, "/definitely/not/here"}, milliseconds(5000));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_NE(r->exitCode, 0);
  EXPECT_THAT(r->stderrText, ::testing::HasSubstr("/definitely/not/here"));
  auto t = tool("true");
  ASSERT_TRUE(t.ok());
  auto ok = runTool({*t}, milliseconds(5000));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->exitCode, 0);
  EXPECT_EQ(ok->stderrText, "");
}

TEST(RunToolTest, KillsAtDeadline) {
  auto sleep = tool("sleep");
  ASSERT_TRUE(sleep.ok());
  const auto start = std::chrono::steady_clock::now();
  auto r = runTool({*sleep, "10"}, milliseconds(200));
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(RunToolTest, MissingProgram) {
  EXPECT_EQ(findTool("no-such-tool-xyz", {"/usr/bin"}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(runTool({"/no/such/tool"}, milliseconds(100)).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(runTool({"relative"}, milliseconds(100)).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tnascsi::agent
