// Tests of config-file loading (YAML/JSON detection, top-level checks, file and line in errors)
// and of the typed dotted-key accessors, ending with a realistic Kubernetes controller config.
#include "common/config/config_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "test/unit/config/dump.h"

namespace tnascsi::common {
namespace {

using testing::dump;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class ConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "tnas_config_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    for (const auto& f : files_) std::remove(f.c_str());
    rmdir(dir_.c_str());
  }
  std::string write(const std::string& name, const std::string& content) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << content;
    files_.push_back(path);
    return path;
  }
  std::string dir_;
  std::vector<std::string> files_;
};

ConfigNode parseOk(const std::string& text) {
  StatusOr<ConfigNode> obj = parseConfigText(text);
  EXPECT_TRUE(obj.ok()) << obj.status();
  return obj.ok() ? *obj : ConfigNode::object();
}

TEST_F(ConfigFileTest, YamlAndJsonGiveTheSameTree) {
  auto y = loadConfigFile(write("c.yaml", "a:\n  b: [1, x, true]\n  c: 1.5\nd: null\n"));
  auto j = loadConfigFile(write("c.json",
                                "  \n{\"a\": {\"b\": [1, \"x\", true], \"c\": 1.5}, "
                                "\"d\": null}"));
  ASSERT_TRUE(y.ok()) << y.status();
  ASSERT_TRUE(j.ok()) << j.status();
  EXPECT_EQ(dump(*y), "{a:{b:[1,\"x\",true],c:1.5d},d:null}");
  EXPECT_EQ(dump(*j), dump(*y));
}

TEST_F(ConfigFileTest, YamlErrorNamesFileAndLine) {
  std::string path = write("bad.yaml", "a: 1\nb:\n  c: 2\n  c: 3\n");
  auto r = loadConfigFile(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), StartsWith(path + ": line 4: "));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("duplicate key 'c'"));
}

TEST_F(ConfigFileTest, JsonErrorNamesFile) {
  std::string path = write("bad.json", "{\"a\": 1,, }");
  auto r = loadConfigFile(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), StartsWith(path + ": line 1: invalid JSON"));
}

TEST(ConfigText, JsonErrorsCarryLineNumbers) {
  struct Case {
    const char* json;
    const char* prefix;
    const char* fragment;
  };
  const std::vector<Case> cases = {
      {"{\n  \"a\": 1,\n  \"b\": [1,\n}\n", "line 4: invalid JSON", "unexpected character '}'"},
      {"{\"a\": 1,\n \"a\": 2}", "line 2: invalid JSON", "duplicate key 'a'"},
      {"{\"a\": 1}\n\nx", "line 3: invalid JSON", "after the end"},
      {"{\"a\": 1,}", "line 1: invalid JSON", "quoted"},
      {"{a: 1}", "line 1: invalid JSON", "quoted"},
      {"{\"a\": \"x\n\"}", "line 1: invalid JSON", "control character"},
      {"{\"a\": 01}", "line 1: invalid JSON", "expected ',' or '}'"},
      {"{\"a\": \"\\q\"}", "line 1: invalid JSON", "escape"},
      {"{\"a\": [1 2]}", "line 1: invalid JSON", "expected ',' or ']'"},
      {"{\"a\": tru}", "line 1: invalid JSON", "unexpected character 't'"},
      {"{\"a\": {\"b\": 1}", "line 1: invalid JSON", "expected ',' or '}'"},
  };
  for (const auto& c : cases) {
    auto r = parseConfigText(c.json);
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.json;
    EXPECT_THAT(std::string(r.status().message()), StartsWith(c.prefix)) << c.json;
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(c.fragment)) << c.json;
  }
  auto ok = parseConfigText("\xEF\xBB\xBF {\"a\": [1, -2.5e3, \"\\u00e9\", true, null, {}]}");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(dump(*ok), "{a:[1,-2500d,\"\xC3\xA9\",true,null,{}]}");
}

TEST_F(ConfigFileTest, MissingFileIsNotFoundWithPath) {
  auto r = loadConfigFile(dir_ + "/nope.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("nope.yaml"));
}

TEST(ConfigText, TopLevelMustBeAMapping) {
  for (const char* text :
       {"- a\n- b\n", "just a string\n", "", "# only a comment\n", "42", "[1, 2]", "key:value\n"}) {
    auto r = parseConfigText(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(std::string(r.status().message()), HasSubstr("must be a mapping")) << text;
  }
}

TEST(ConfigText, JsonDetectedOnlyByLeadingBrace) {
  // "{a: 1}" is not JSON (unquoted key), so it fails as JSON rather than passing as YAML flow.
  EXPECT_FALSE(parseConfigText("{a: 1}").ok());
  EXPECT_TRUE(parseConfigText("a: {b: 1}").ok());
  EXPECT_TRUE(parseConfigText("# comment first\n{a: 1}").ok());  // not '{' first: YAML flow
}

TEST(ConfigAccess, RequiredValues) {
  auto c = parseOk(
      "s: text\ni: -42\nf: 2.5\nb: true\nl: [a, b]\nm:\n  n:\n    deep: 7\n"
      "objs:\n  - name: x\n  - name: y\n");
  EXPECT_EQ(getString(c, "s").value(), "text");
  EXPECT_EQ(getInt(c, "i").value(), -42);
  EXPECT_DOUBLE_EQ(getDouble(c, "f").value(), 2.5);
  EXPECT_DOUBLE_EQ(getDouble(c, "i").value(), -42.0);  // integers are numbers too
  EXPECT_TRUE(getBool(c, "b").value());
  EXPECT_THAT(getStringList(c, "l").value(), ElementsAre("a", "b"));
  EXPECT_EQ(getInt(c, "m.n.deep").value(), 7);
  EXPECT_EQ(dump(getObject(c, "m.n").value()), "{deep:7}");
  auto objs = getObjectList(c, "objs");
  ASSERT_TRUE(objs.ok()) << objs.status();
  ASSERT_EQ(objs->size(), 2u);
  EXPECT_EQ(getString((*objs)[1], "name").value(), "y");
  EXPECT_TRUE(hasKey(c, "m.n.deep"));
  EXPECT_FALSE(hasKey(c, "m.n.shallow"));
  EXPECT_FALSE(hasKey(c, "s.sub"));
}

TEST(ConfigAccess, MissingRequiredNamesKey) {
  auto c = parseOk("a:\n  b: 1\nn: null\n");
  for (const char* key : {"a.c", "x", "x.y", "n"}) {
    auto r = getString(c, key);
    ASSERT_FALSE(r.ok()) << key;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message(), "config key '" + std::string(key) + "' is missing");
  }
  EXPECT_FALSE(getInt(c, "a.c").ok());
  EXPECT_FALSE(getBool(c, "a.c").ok());
  EXPECT_FALSE(getObject(c, "a.c").ok());
  EXPECT_FALSE(getStringList(c, "a.c").ok());
}

TEST(ConfigAccess, DefaultsApplyWhenAbsentOrNull) {
  auto c = parseOk("a:\n  n: ~\n");
  EXPECT_EQ(getString(c, "a.x", "dflt").value(), "dflt");
  EXPECT_EQ(getString(c, "a.n", "dflt").value(), "dflt");
  EXPECT_EQ(getInt(c, "a.x", 9).value(), 9);
  EXPECT_DOUBLE_EQ(getDouble(c, "a.x", 0.5).value(), 0.5);
  EXPECT_FALSE(getBool(c, "nope.x", false).value());
  EXPECT_THAT(getStringList(c, "a.x", {"d"}).value(), ElementsAre("d"));
  auto empty = getObjectOrEmpty(c, "a.x");
  ASSERT_TRUE(empty.ok());
  ASSERT_TRUE(empty->is_object());
  EXPECT_EQ(empty->size(), 0u);
}

struct TypeErrCase {
  const char* key;
  const char* accessor;  // which getter to call
  const char* message;
};

TEST(ConfigAccess, WrongTypesNameKeyAndExpectedType) {
  auto c = parseOk(
      "s: text\nq: '8080'\ni: 3\nf: 1.5\nb: false\nl: [a, 2]\nm: {k: v}\nobjs: [{a: 1}, x]\n");
  const std::vector<TypeErrCase> cases = {
      {"i", "string", "config key 'i': expected string, got integer"},
      {"m", "string", "config key 'm': expected string, got mapping"},
      {"q", "int", "config key 'q': expected integer, got string"},
      {"f", "int", "config key 'f': expected integer, got float"},
      {"b", "int", "config key 'b': expected integer, got boolean"},
      {"s", "double", "config key 's': expected number, got string"},
      {"s", "bool", "config key 's': expected boolean, got string"},
      {"i", "bool", "config key 'i': expected boolean, got integer"},
      {"s", "list", "config key 's': expected sequence of strings, got string"},
      {"l", "list", "config key 'l[1]': expected string, got integer"},
      {"l", "object", "config key 'l': expected mapping, got sequence"},
      {"objs", "objects", "config key 'objs[1]': expected mapping, got string"},
      {"s.x", "string", "config key 's': expected mapping, got string"},
      {"m.k.z", "int", "config key 'm.k': expected mapping, got string"},
  };
  for (const auto& tc : cases) {
    Status st;
    const std::string a = tc.accessor;
    if (a == "string") st = getString(c, tc.key).status();
    if (a == "int") st = getInt(c, tc.key).status();
    if (a == "double") st = getDouble(c, tc.key).status();
    if (a == "bool") st = getBool(c, tc.key).status();
    if (a == "list") st = getStringList(c, tc.key).status();
    if (a == "object") st = getObject(c, tc.key).status();
    if (a == "objects") st = getObjectList(c, tc.key).status();
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << tc.key << " " << a;
    EXPECT_EQ(st.message(), tc.message) << tc.key << " " << a;
  }
  // A wrong type is an error even when a default is given.
  EXPECT_FALSE(getInt(c, "q", 1).ok());
  EXPECT_FALSE(getString(c, "s.x", "d").ok());
}

TEST(ConfigAccess, JsonIntegersOfEveryWidth) {
  auto c = parseOk(
      "{\"small\": 5, \"big\": 9007199254740993, \"neg\": -3, "
      "\"huge\": 18446744073709551615}");
  EXPECT_EQ(getInt(c, "small").value(), 5);
  EXPECT_EQ(getInt(c, "big").value(), 9007199254740993LL);
  EXPECT_EQ(getInt(c, "neg").value(), -3);
  auto huge = getInt(c, "huge");
  ASSERT_FALSE(huge.ok());
  EXPECT_THAT(std::string(huge.status().message()), HasSubstr("'huge'"));
}

TEST(ConfigAccess, CheckKnownKeys) {
  auto c = parseOk("name: a\nendpoint: b\n");
  EXPECT_TRUE(checkKnownKeys(c, {"name", "endpoint", "other"}).ok());
  Status st = checkKnownKeys(c, {"name"}, "backends[0]");
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), "unknown config key 'backends[0].endpoint'");
}

TEST(ConfigAccess, ValuesNeverAppearInErrors) {
  auto c = parseOk("apiKey: 1-SuperSecretValue\nport: s3cr3t-port\n");
  Status st = getInt(c, "port").status();
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(std::string(st.message()), ::testing::Not(HasSubstr("s3cr3t")));
}

// A controller config as it would sit in a Kubernetes ConfigMap: quoted strings, a backends list
// of mappings, a block-scalar CA certificate, flow lists and comments.
constexpr const char* kControllerConfig = R"(# truenas-csi controller configuration
---
driverName: "csi.truenas.example.org"
logLevel: info
listen: unix:///csi/csi.sock
defaultBackend: 'primary'
backends:
  - name: primary
    url: wss://truenas-a.example.org:443/api/current
    apiKeyFile: /etc/truenas-csi/secrets/primary/api-key
    tls:
      insecureSkipVerify: false
      caCert: |
        -----BEGIN CERTIFICATE-----
        MIIBszCCAVmgAwIBAgIUQ0FGRUJBQkUwHhcNMjQwMTAxMDAwMDAwWhcNMzQwMTAx
        -----END CERTIFICATE-----
    pool: tank
    datasetParent: "tank/k8s/volumes"
    zvol:
      blocksize: "16K"   # quoted so it stays a string
      sparse: true
      compression: lz4
    iscsi:
      portals: ["10.0.0.10:3260", "10.0.1.10:3260"]
      targetPrefix: "iqn.2005-10.org.freenas.ctl"
      initiatorGroups: [1, 2]
  - name: backup
    url: wss://truenas-b.example.org/api/current
    apiKeyFile: /etc/truenas-csi/secrets/backup/api-key
    pool: "0123"
    datasetParent: >-
      tank/k8s/backup
timeouts:
  apiCallSeconds: 30
  retryBackoffSeconds: 1.5
)";

TEST_F(ConfigFileTest, KubernetesControllerConfig) {
  auto loaded = loadConfigFile(write("controller.yaml", kControllerConfig));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const auto& c = *loaded;
  EXPECT_EQ(getString(c, "driverName").value(), "csi.truenas.example.org");
  EXPECT_EQ(getString(c, "listen").value(), "unix:///csi/csi.sock");
  EXPECT_EQ(getString(c, "defaultBackend").value(), "primary");
  EXPECT_EQ(getInt(c, "timeouts.apiCallSeconds").value(), 30);
  EXPECT_DOUBLE_EQ(getDouble(c, "timeouts.retryBackoffSeconds").value(), 1.5);
  EXPECT_EQ(getInt(c, "timeouts.maxRetries", 5).value(), 5);

  auto backends = getObjectList(c, "backends");
  ASSERT_TRUE(backends.ok()) << backends.status();
  ASSERT_EQ(backends->size(), 2u);
  const auto& primary = (*backends)[0];
  EXPECT_EQ(getString(primary, "url").value(), "wss://truenas-a.example.org:443/api/current");
  EXPECT_FALSE(getBool(primary, "tls.insecureSkipVerify").value());
  EXPECT_EQ(getString(primary, "tls.caCert").value(),
            "-----BEGIN CERTIFICATE-----\n"
            "MIIBszCCAVmgAwIBAgIUQ0FGRUJBQkUwHhcNMjQwMTAxMDAwMDAwWhcNMzQwMTAx\n"
            "-----END CERTIFICATE-----\n");
  EXPECT_EQ(getString(primary, "datasetParent").value(), "tank/k8s/volumes");
  EXPECT_EQ(getString(primary, "zvol.blocksize").value(), "16K");
  EXPECT_TRUE(getBool(primary, "zvol.sparse").value());
  EXPECT_THAT(getStringList(primary, "iscsi.portals").value(),
              ElementsAre("10.0.0.10:3260", "10.0.1.10:3260"));
  EXPECT_EQ(getString(primary, "iscsi.targetPrefix").value(), "iqn.2005-10.org.freenas.ctl");
  EXPECT_FALSE(getStringList(primary, "iscsi.initiatorGroups").ok());  // integers, not strings

  const auto& backup = (*backends)[1];
  EXPECT_EQ(getString(backup, "pool").value(), "0123");  // quoted: stays a string
  EXPECT_EQ(getString(backup, "datasetParent").value(), "tank/k8s/backup");
  EXPECT_FALSE(hasKey(backup, "tls"));
  EXPECT_TRUE(checkKnownKeys(backup, {"name", "url", "apiKeyFile", "pool", "datasetParent"}).ok());

  // The whole structure, in file order.
  EXPECT_THAT(
      dump(c),
      StartsWith("{driverName:\"csi.truenas.example.org\",logLevel:\"info\",listen:\"unix:///"
                 "csi/csi.sock\",defaultBackend:\"primary\",backends:[{name:\"primary\",url:"));
}

}  // namespace
}  // namespace tnascsi::common
