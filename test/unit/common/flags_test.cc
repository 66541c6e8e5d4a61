// Tests for the command-line parser and its config-file merge.
#include "common/cli/flags.h"

#include <gtest/gtest.h>

namespace tnascsi::common {
namespace {

struct Fixture {
  std::string endpoint = "unix:///default.sock";
  int64_t threads = 16;
  bool verbose = false;
  std::vector<std::string> labels = {"a"};
  Flags flags{"prog", "summary"};
  Fixture() {
    flags.addString("endpoint", &endpoint, "where");
    flags.addInt("max-threads", &threads, "bound");
    flags.addBool("verbose", &verbose, "chatty");
    flags.addStringList("label", &labels, "labels");
  }
  StatusOr<Flags::Outcome> parse(std::vector<const char*> args) {
    args.insert(args.begin(), "prog");
    return flags.parse(static_cast<int>(args.size()), args.data());
  }
};

TEST(Flags, ParsesBothValueFormsBoolsAndLists) {
  Fixture f;
  auto r = f.parse({"--endpoint", "unix:///x.sock", "--max-threads=4", "--verbose", "--label", "b",
                    "--label=c"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, Flags::Outcome::kRun);
  EXPECT_EQ(f.endpoint, "unix:///x.sock");
  EXPECT_EQ(f.threads, 4);
  EXPECT_TRUE(f.verbose);
  EXPECT_EQ(f.labels, (std::vector<std::string>{"b", "c"}));
  EXPECT_TRUE(f.flags.wasSet("endpoint"));
}

TEST(Flags, RejectsBadInput) {
  struct Case {
    std::vector<const char*> args;
    std::string fragment;
  } cases[] = {
      {{"--nope"}, "unknown flag --nope"},
      {{"--max-threads=abc"}, "expects an integer"},
      {{"--max-threads=12x"}, "expects an integer"},
      {{"--verbose=maybe"}, "expects true or false"},
      {{"--endpoint"}, "needs a value"},
      {{"positional"}, "unexpected argument"},
  };
  for (const auto& c : cases) {
    Fixture f;
    auto r = f.parse(c.args);
    ASSERT_FALSE(r.ok()) << c.fragment;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(c.fragment), std::string::npos) << r.status();
  }
}

TEST(Flags, HelpAndVersionExit) {
  Fixture f;
  f.flags.setVersionText("prog 1.0");
  EXPECT_EQ(*f.parse({"--help"}), Flags::Outcome::kExit);
  EXPECT_EQ(*f.parse({"--version"}), Flags::Outcome::kExit);
  std::string usage = f.flags.usage();
  EXPECT_NE(usage.find("--endpoint <string>"), std::string::npos);
  EXPECT_NE(usage.find("(default: 16)"), std::string::npos);
}

TEST(Flags, ConfigFillsUnsetFlagsAndCommandLineWins) {
  Fixture f;
  ASSERT_TRUE(f.parse({"--max-threads=8"}).ok());
  ConfigNode cfg = {{"endpoint", "unix:///from-file.sock"},
                    {"max-threads", 32},
                    {"verbose", true},
                    {"label", {"x", "y"}},
                    {"backends", ConfigNode::object()}};
  ASSERT_TRUE(f.flags.applyConfig(cfg, {"backends"}).ok());
  EXPECT_EQ(f.endpoint, "unix:///from-file.sock");
  EXPECT_EQ(f.threads, 8);
  EXPECT_TRUE(f.verbose);
  EXPECT_EQ(f.labels, (std::vector<std::string>{"x", "y"}));
}

TEST(Flags, ConfigRejectsUnknownKeysAndWrongShapes) {
  {
    Fixture f;
    ConfigNode cfg = {{"endpont", "typo"}};
    Status s = f.flags.applyConfig(cfg);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.message().find("unknown key 'endpont'"), std::string::npos);
  }
  {
    Fixture f;
    ConfigNode cfg = {{"label", "not-a-list"}};
    EXPECT_EQ(f.flags.applyConfig(cfg).code(), StatusCode::kInvalidArgument);
  }
  {
    Fixture f;
    ConfigNode cfg = {{"max-threads", "lots"}};
    EXPECT_EQ(f.flags.applyConfig(cfg).code(), StatusCode::kInvalidArgument);
  }
  {
    Fixture f;
    ConfigNode cfg = {{"label", {"x", {{"nested", 1}}}}};  // a mapping is no list element
    EXPECT_EQ(f.flags.applyConfig(cfg).code(), StatusCode::kInvalidArgument);
  }
  {
    Fixture f;
    ConfigNode cfg = {{"endpoint", {1, 2}}};  // a list is no scalar
    EXPECT_EQ(f.flags.applyConfig(cfg).code(), StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace tnascsi::common
