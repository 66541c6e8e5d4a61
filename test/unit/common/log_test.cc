// Tests for the structured logger: format, levels, scopes, escaping.
#include "common/log/log.h"

#include <gtest/gtest.h>

#include <vector>

namespace tnascsi::common {
namespace {

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setLogSinkForTest([this](const std::string& line) { lines_.push_back(line); });
    setLogLevel(LogLevel::kInfo);
    setLogFormat(LogFormat::kText);
  }
  void TearDown() override {
    setLogSinkForTest(nullptr);
    setLogLevel(LogLevel::kInfo);
    setLogFormat(LogFormat::kText);
  }
  std::vector<std::string> lines_;
};

TEST_F(LogTest, TextLineHasLevelMessageAndFields) {
  TNAS_LOG(Info).kv("volume", "pvc-1").kv("attempt", 2) << "login "
                                                        << "failed";
  ASSERT_EQ(lines_.size(), 1u);
  const std::string& l = lines_[0];
  EXPECT_NE(l.find("level=info"), std::string::npos);
  EXPECT_NE(l.find("msg=\"login failed\""), std::string::npos);
  EXPECT_NE(l.find("volume=pvc-1"), std::string::npos);
  EXPECT_NE(l.find("attempt=2"), std::string::npos);
  EXPECT_NE(l.find("src=log_test.cc:"), std::string::npos);
  EXPECT_EQ(l.back(), '\n');
}

TEST_F(LogTest, LevelFiltersAndDoesNotEvaluateArguments) {
  int evaluated = 0;
  auto count = [&] { return ++evaluated; };
  TNAS_LOG(Debug) << count();
  EXPECT_TRUE(lines_.empty());
  EXPECT_EQ(evaluated, 0);
  setLogLevel(LogLevel::kDebug);
  TNAS_LOG(Debug) << count();
  EXPECT_EQ(lines_.size(), 1u);
}

TEST_F(LogTest, ScopeFieldsAppearOnEveryLineUntilScopeEnds) {
  {
    LogScope scope("req", "abc123");
    TNAS_LOG(Warn) << "one";
    TNAS_LOG(Error) << "two";
  }
  TNAS_LOG(Info) << "three";
  ASSERT_EQ(lines_.size(), 3u);
  EXPECT_NE(lines_[0].find("req=abc123"), std::string::npos);
  EXPECT_NE(lines_[1].find("req=abc123"), std::string::npos);
  EXPECT_EQ(lines_[2].find("req="), std::string::npos);
}

TEST_F(LogTest, JsonFormatEscapes) {
  setLogFormat(LogFormat::kJson);
  TNAS_LOG(Info).kv("path", "a\"b\n") << "x";
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(lines_[0].front(), '{');
  EXPECT_NE(lines_[0].find("\"path\":\"a\\\"b\\n\""), std::string::npos);
}

TEST_F(LogTest, ParseLevelAndFormat) {
  LogLevel lvl;
  EXPECT_TRUE(parseLogLevel("WARNING", &lvl));
  EXPECT_EQ(lvl, LogLevel::kWarn);
  EXPECT_FALSE(parseLogLevel("loud", &lvl));
  LogFormat fmt;
  EXPECT_TRUE(parseLogFormat("json", &fmt));
  EXPECT_FALSE(parseLogFormat("xml", &fmt));
}

TEST_F(LogTest, RequestIdsAreDistinctHex) {
  std::string a = newRequestId(), b = newRequestId();
  EXPECT_EQ(a.size(), 12u);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace tnascsi::common
