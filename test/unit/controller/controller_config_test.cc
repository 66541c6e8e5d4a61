// Controller backend configuration from flags and from the config file's backends section.
#include "controller/service/controller_config.h"

#include <gtest/gtest.h>

#include "common/config/config_file.h"

namespace tnascsi::controller {
namespace {

TEST(ControllerConfig, SingleBackendFromFlagsWithDerivedDefaults) {
  ControllerFlags flags;
  flags.truenasUrl = "wss://nas.example.com";
  flags.apiKeyFile = "/run/key";
  flags.parentDataset = "tank/k8s";
  flags.topology = {"topology.truenas-csi.io/zone=a"};
  auto resolved = resolveBackends(flags, nullptr);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  ASSERT_EQ(resolved->backends.size(), 1u);
  const auto& b = resolved->backends[0];
  EXPECT_EQ(b.config.name, "default");
  EXPECT_EQ(b.config.portals, std::vector<std::string>{"nas.example.com:3260"});
  EXPECT_EQ(b.config.nfsServer, "nas.example.com");
  EXPECT_EQ(b.config.topology.at("topology.truenas-csi.io/zone"), "a");
  EXPECT_EQ(b.connection.apiKeyFile, "/run/key");
}

TEST(ControllerConfig, NothingConfiguredIsNotAnError) {
  auto resolved = resolveBackends({}, nullptr);
  ASSERT_TRUE(resolved.ok());
  EXPECT_TRUE(resolved->backends.empty());
}

TEST(ControllerConfig, BackendsSection) {
  auto config = common::parseConfigText(R"(
backends:
  - name: fast
    truenas-url: wss://nas1.example.com
    api-key-file: /k1
    parent-dataset: ssd/k8s
    portals: ["10.0.0.5:3260", "10.0.1.5:3260"]
    topology:
      zone: a
  - name: bulk
    truenas-url: wss://nas2.example.com:8443
    api-key-file: /k2
    parent-dataset: hdd/k8s
    portal: 10.0.2.5:3260
)");
  ASSERT_TRUE(config.ok()) << config.status();
  ControllerFlags flags;
  flags.defaultBackend = "bulk";
  auto resolved = resolveBackends(flags, *config);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  ASSERT_EQ(resolved->backends.size(), 2u);
  EXPECT_EQ(resolved->backends[0].config.portals.size(), 2u);
  EXPECT_EQ(resolved->backends[0].config.topology.at("zone"), "a");
  EXPECT_EQ(resolved->backends[1].config.portals, std::vector<std::string>{"10.0.2.5:3260"});
  EXPECT_EQ(resolved->backends[1].config.nfsServer, "nas2.example.com");
  EXPECT_EQ(resolved->defaultBackend, "bulk");
}

TEST(ControllerConfig, ConnectionsPerBackendFromTheFlagOrTheBackendsKey) {
  ControllerFlags flags;
  flags.truenasUrl = "wss://nas.example.com";
  flags.apiKeyFile = "/run/key";
  flags.parentDataset = "tank/k8s";
  auto resolved = resolveBackends(flags, nullptr);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(resolved->backends[0].connection.poolSize, truenas::ConnectionOptions{}.poolSize);
  flags.connections = 2;
  resolved = resolveBackends(flags, nullptr);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(resolved->backends[0].connection.poolSize, 2);
  for (int64_t bad : {-1, 9}) {
    flags.connections = bad;
    resolved = resolveBackends(flags, nullptr);
    ASSERT_EQ(resolved.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(resolved.status().message().find("--truenas-connections"), std::string::npos);
  }

  auto config = common::parseConfigText(R"(
backends:
  - name: a
    truenas-url: wss://nas1.example.com
    api-key-file: /k1
    parent-dataset: ssd/k8s
    connections: 1
  - name: b
    truenas-url: wss://nas2.example.com
    api-key-file: /k2
    parent-dataset: hdd/k8s
)");
  ASSERT_TRUE(config.ok()) << config.status();
  ControllerFlags sectionFlags;
  sectionFlags.connections = 3;  // the default for backends without the key
  resolved = resolveBackends(sectionFlags, *config);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(resolved->backends[0].connection.poolSize, 1);
  EXPECT_EQ(resolved->backends[1].connection.poolSize, 3);
}

TEST(ControllerConfig, ErrorsNameTheProblem) {
  struct Case {
    std::string yaml;
    ControllerFlags flags;
    std::string mentions;
  };
  ControllerFlags withUrl;
  withUrl.truenasUrl = "wss://x";
  withUrl.apiKeyFile = "/k";
  withUrl.parentDataset = "tank/k8s";
  ControllerFlags badDefault;
  badDefault.defaultBackend = "nope";
  ControllerFlags noParent = withUrl;
  noParent.parentDataset.clear();
  const std::string one =
      "backends:\n  - name: a\n    truenas-url: wss://x\n    api-key-file: /k\n    parent-dataset: "
      "tank/k8s\n";
  Case cases[] = {
      {one, withUrl, "both"},
      {one, badDefault, "nope"},
      {"", noParent, "--parent-dataset"},
      {one + "    typo: 1\n", {}, "typo"},
      {"backends:\n  - name: Bad_Name\n    truenas-url: wss://x\n    api-key-file: /k\n    "
       "parent-dataset: tank/k8s\n",
       {},
       "Bad_Name"},
      {"backends:\n  - name: a\n    truenas-url: wss://x\n    api-key-file: /k\n    "
       "parent-dataset: tank\n",
       {},
       "parent dataset"},
      {"backends:\n  - name: a\n    truenas-url: wss://x\n    parent-dataset: tank/k8s\n",
       {},
       "api-key-file"},
      {one + "  - name: a\n    truenas-url: wss://y\n    api-key-file: /k\n    parent-dataset: "
             "tank/k8s\n",
       {},
       "twice"},
      {"backends:\n  - name: a\n    truenas-url: wss://x\n    api-key-file: /k\n    "
       "parent-dataset: tank/" +
           std::string(100, 'p') + "\n",
       {},
       "too long"},
  };
  for (const auto& c : cases) {
    common::ConfigNode config;
    if (!c.yaml.empty()) {
      auto parsed = common::parseConfigText(c.yaml);
      ASSERT_TRUE(parsed.ok()) << parsed.status();
      config = *parsed;
    }
    auto resolved = resolveBackends(c.flags, config);
    ASSERT_FALSE(resolved.ok()) << c.mentions;
    EXPECT_EQ(resolved.status().code(), StatusCode::kInvalidArgument) << resolved.status();
    EXPECT_NE(resolved.status().message().find(c.mentions), std::string::npos) << resolved.status();
  }
}

}  // namespace
}  // namespace tnascsi::controller
