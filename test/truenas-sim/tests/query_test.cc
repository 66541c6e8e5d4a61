// Unit tests (no network) for the Json value and the TrueNAS query semantics in model/query.cc.
#include "test/truenas-sim/model/query.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "test/truenas-sim/model/api_error.h"
#include "test/truenas-sim/tests/sim_client.h"

namespace tnascsi::sim::testing {
namespace {

std::vector<Json> rows() {
  return {obj({{"id", 1},
               {"name", "Alpha"},
               {"tags", arr({"a", "b"})},
               {"props", obj({{"x.y", 5}, {"n", 1}})},
               {"opt", nullptr}}),
          obj({{"id", 2},
               {"name", "beta"},
               {"tags", arr({"c"})},
               {"props", obj({{"x.y", 7}, {"n", 2}})},
               {"opt", "z"}}),
          obj({{"id", 3},
               {"name", "gamma"},
               {"tags", arr({})},
               {"props", obj({{"x.y", 9}, {"n", 3}})},
               {"opt", "a"}})};
}

std::vector<int64_t> ids(const Json& result) {
  std::vector<int64_t> out;
  for (const Json& r : result.asArray()) out.push_back(r.value("id").asInt());
  return out;
}

StatusOr<Json> q(Json filters, Json options = Json::object()) {
  return runQuery(rows(), filters, options);
}

TEST(QueryTest, Operators) {
  using V = std::vector<int64_t>;
  EXPECT_EQ(ids(*q(arr({arr({"id", "=", 2})}))), V({2}));
  EXPECT_EQ(ids(*q(arr({arr({"id", "!=", 2})}))), V({1, 3}));
  EXPECT_EQ(ids(*q(arr({arr({"id", ">", 1}), arr({"id", "<=", 2})}))), V({2}));
  EXPECT_EQ(ids(*q(arr({arr({"id", ">=", 3})}))), V({3}));
  EXPECT_EQ(ids(*q(arr({arr({"id", "<", 2})}))), V({1}));
  EXPECT_EQ(ids(*q(arr({arr({"name", "~", "^[ab]"})}))), V({2}));
  EXPECT_EQ(ids(*q(arr({arr({"id", "in", arr({1, 3})})}))), V({1, 3}));
  EXPECT_EQ(ids(*q(arr({arr({"id", "nin", arr({1, 3})})}))), V({2}));
  EXPECT_EQ(ids(*q(arr({arr({"tags", "rin", "c"})}))), V({2}));
  EXPECT_EQ(ids(*q(arr({arr({"tags", "rnin", "a"})}))), V({2, 3}));
  EXPECT_EQ(ids(*q(arr({arr({"name", "^", "ga"})}))), V({3}));
  EXPECT_EQ(ids(*q(arr({arr({"name", "!^", "ga"})}))), V({1, 2}));
  EXPECT_EQ(ids(*q(arr({arr({"name", "$", "ta"})}))), V({2}));
  EXPECT_EQ(ids(*q(arr({arr({"name", "!$", "ta"})}))), V({1, 3}));
  EXPECT_EQ(ids(*q(arr({arr({"name", "C=", "ALPHA"})}))), V({1}));
  EXPECT_EQ(ids(*q(arr({arr({"name", "C^", "BE"})}))), V({2}));
  EXPECT_EQ(ids(*q(arr({arr({"name", "=", "ALPHA"})}))), V({}));
  EXPECT_EQ(ids(*q(arr({arr({"props.x\\.y", "=", 7})}))), V({2}));
  EXPECT_EQ(ids(*q(arr({arr({"tags.*", "=", "b"})}))), V({1}));
  EXPECT_EQ(ids(*q(arr({arr({"opt", "=", nullptr})}))), V({1}));
  EXPECT_EQ(
      ids(*q(arr({arr({"OR", arr({arr({"id", "=", 1}),
                                  arr({arr({"id", ">", 1}), arr({"name", "=", "gamma"})})})})}))),
      V({1, 3}));
  EXPECT_FALSE(q(arr({arr({"id", "??", 1})})).ok());
  EXPECT_FALSE(q(arr({arr({"id", "="})})).ok());
}

TEST(QueryTest, Options) {
  using V = std::vector<int64_t>;
  EXPECT_EQ(ids(*q(arr({}), obj({{"order_by", arr({"-props.n"})}}))), V({3, 2, 1}));
  EXPECT_EQ(ids(*q(arr({}), obj({{"order_by", arr({"nulls_first:opt"})}}))), V({1, 3, 2}));
  EXPECT_EQ(ids(*q(arr({}), obj({{"order_by", arr({"nulls_last:opt"})}}))), V({3, 2, 1}));
  EXPECT_EQ(ids(*q(arr({}), obj({{"offset", 1}, {"limit", 1}}))), V({2}));
  EXPECT_EQ(q(arr({}), obj({{"count", true}}))->asInt(), 3);
  Json sel = *q(arr({arr({"id", "=", 2})}), obj({{"select", arr({"name", "props.n"})}}));
  EXPECT_EQ(sel.at(0).dump(), R"({"name":"beta","props":{"n":2}})");
  Json got = *q(arr({arr({"id", "=", 3})}), obj({{"get", true}}));
  EXPECT_EQ(got.value("name").asString(), "gamma");
  auto miss = q(arr({arr({"id", "=", 9})}), obj({{"get", true}}));
  ASSERT_FALSE(miss.ok());
  auto inst = getInstance(rows(), "id", 9, "Thing");
  ASSERT_FALSE(inst.ok());
  ApiError e = apiErrorOf(inst.status());
  EXPECT_EQ(e.kind, ErrorKind::kValidationError);
  EXPECT_EQ(e.items.front().message, "Thing 9 does not exist");
  EXPECT_EQ(e.items.front().errnum, 2);
}

TEST(JsonTest, RoundTripAndErrors) {
  auto j = Json::parse(R"({"a":[1,-2,3.5,true,false,null,"x\n\u00e9\ud83d\ude00"],"b":{}})");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(j->value("a").at(1).asInt(), -2);
  EXPECT_DOUBLE_EQ(j->value("a").at(2).asDouble(), 3.5);
  EXPECT_EQ(j->value("a").at(6).asString(), "x\n\xc3\xa9\xf0\x9f\x98\x80");
  auto again = Json::parse(j->dump());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *j);
  EXPECT_FALSE(Json::parse("{").ok());
  EXPECT_FALSE(Json::parse("[1,]").ok());
  EXPECT_FALSE(Json::parse("nul").ok());
  EXPECT_FALSE(Json::parse("{\"a\":1} x").ok());
  EXPECT_EQ(Json::date(5).dump(), R"({"$date":5})");
}

TEST(JsonTest, NumbersKeepIntegerOrDouble) {
  auto j = Json::parse("[1, 1.0, -3, 9223372036854775807, 9223372036854775808, 1e2]");
  ASSERT_TRUE(j.ok());
  EXPECT_TRUE(j->at(0).isInt());
  EXPECT_EQ(j->at(1).type(), Json::Type::kDouble);
  EXPECT_EQ(j->at(2).asInt(), -3);
  EXPECT_EQ(j->at(3).asInt(), INT64_MAX);
  EXPECT_EQ(j->at(4).type(), Json::Type::kDouble);  // beyond int64
  EXPECT_EQ(j->at(5).type(), Json::Type::kDouble);
  // A whole double stays a double through dump and parse (Python writes 2.0 as "2.0").
  auto again = Json::parse(Json(Json::Array{Json(2.0), Json(0.5), Json(7)}).dump());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->at(0).type(), Json::Type::kDouble);
  EXPECT_EQ(again->at(1).asDouble(), 0.5);
  EXPECT_TRUE(again->at(2).isInt());
}

TEST(JsonTest, ObjectsKeepInsertionOrderAndLastDuplicate) {
  auto j = Json::parse(R"({"b":1,"a":{"z":null,"y":[]},"b":3})");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(j->dump(), R"({"b":3,"a":{"z":null,"y":[]}})");
  Json o = Json::object();
  o.set("z", "\x01\"");
  o.set("a", true);
  EXPECT_EQ(o.dump(), R"({"z":"\u0001\"","a":true})");
}

TEST(JsonTest, ParserIsStrict) {
  for (const char* bad :
       {"",        " ",        "{",   "[1,]",     "{\"a\":1,}", "{a:1}",       "nul",
        "tru",     "01",       "1.",  "-",        "[1 2]",      "{\"a\":1} x", "1 2",
        "\"\\q\"", "\"a\nb\"", "'a'", "\"\xff\"", "[1]]",       "// c\n1",     "NaN"}) {
    EXPECT_FALSE(Json::parse(bad).ok()) << bad;
  }
  EXPECT_TRUE(Json::parse(" \t\r\n[ 1 ]\n ").ok());
  std::string deep(200, '[');
  deep += "1" + std::string(200, ']');
  EXPECT_TRUE(Json::parse(deep).ok());
  EXPECT_FALSE(Json::parse("[" + deep + "]").ok());
  auto err = Json::parse("[1,}");
  ASSERT_FALSE(err.ok());
  EXPECT_EQ(err.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(err.status().message()), ::testing::StartsWith("invalid JSON"));
}

}  // namespace
}  // namespace tnascsi::sim::testing
