// Framing of both protocols: encoding calls and decoding every server message kind.
#include "controller/truenas/wire_codec.h"

#include <gtest/gtest.h>

namespace tnascsi::controller::truenas {
namespace {

TEST(JsonRpcCodecTest, EncodesNumericAndStringIds) {
  JsonRpcCodec c;
  EXPECT_EQ(c.encodeCall("7", "pool.query", json::makeArray()),
            R"({"id":7,"jsonrpc":"2.0","method":"pool.query","params":[]})");
  EXPECT_EQ(c.encodeCall("a-1", "core.ping", nullptr),
            R"({"id":"a-1","jsonrpc":"2.0","method":"core.ping","params":[]})");
  EXPECT_EQ(c.path(), "/api/current");
  EXPECT_FALSE(c.handshake().has_value());
}

TEST(JsonRpcCodecTest, DecodesResultErrorNotification) {
  JsonRpcCodec c;
  StatusOr<IncomingMessage> r = c.decode(R"({"jsonrpc":"2.0","id":7,"result":[1,2]})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind, IncomingMessage::Kind::kResponse);
  EXPECT_EQ(r->id, "7");
  EXPECT_FALSE(r->isError);
  EXPECT_EQ(json::asArray(r->result)->size(), 2u);

  r = c.decode(R"({"jsonrpc":"2.0","id":8,"result":null})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind, IncomingMessage::Kind::kResponse);
  EXPECT_FALSE(r->isError);

  r = c.decode(
      R"({"jsonrpc":"2.0","id":9,"error":{"code":-32001,"message":"Method call error","data":{"error":2,"reason":"gone"}}})");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->isError);
  EXPECT_EQ(r->error.code(), StatusCode::kNotFound);

  r = c.decode(
      R"({"jsonrpc":"2.0","method":"collection_update","params":{"msg":"changed","collection":"core.get_jobs","id":3}})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind, IncomingMessage::Kind::kNotification);
  EXPECT_EQ(r->method, "collection_update");

  r = c.decode(R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind, IncomingMessage::Kind::kIgnored);
}

TEST(JsonRpcCodecTest, RejectsJunk) {
  JsonRpcCodec c;
  for (const char* junk :
       {"", "{", "[1,2]", "nope", R"({"jsonrpc":"2.0","id":1})", R"({"id":{"a":1},"result":1})"}) {
    EXPECT_FALSE(c.decode(junk).ok()) << junk;
  }
}

TEST(LegacyCodecTest, HandshakeCallPing) {
  LegacyCodec c;
  EXPECT_EQ(*c.handshake(), R"({"msg":"connect","version":"1","support":["1"]})");
  EXPECT_EQ(c.encodeCall("5", "pool.query", json::makeArray()),
            R"({"id":"5","method":"pool.query","msg":"method","params":[]})");
  EXPECT_EQ(c.encodePing("p1"), R"({"id":"p1","msg":"ping"})");
  EXPECT_EQ(c.path(), "/websocket");
}

TEST(LegacyCodecTest, DecodesAllMessages) {
  LegacyCodec c;
  StatusOr<IncomingMessage> r = c.decode(R"({"msg":"connected","session":"abc"})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind, IncomingMessage::Kind::kConnected);
  r = c.decode(R"({"msg":"failed","version":"1"})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind, IncomingMessage::Kind::kFailed);
  r = c.decode(R"({"msg":"result","id":"5","result":true})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind, IncomingMessage::Kind::kResponse);
  EXPECT_EQ(r->id, "5");
  r = c.decode(
      R"({"msg":"result","id":"6","error":{"error":11,"type":"VALIDATION","extra":[["a","b",22]]}})");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->isError);
  EXPECT_EQ(r->error.code(), StatusCode::kInvalidArgument);
  r = c.decode(R"({"msg":"pong","id":"p1"})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind, IncomingMessage::Kind::kPong);
  EXPECT_EQ(r->id, "p1");
  r = c.decode(R"({"msg":"changed","collection":"core.get_jobs","id":1,"fields":{}})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind, IncomingMessage::Kind::kNotification);
  EXPECT_FALSE(c.decode(R"({"msg":"result","result":1})").ok());
  EXPECT_FALSE(c.decode(R"({"nomsg":1})").ok());
}

TEST(JsonDepthTest, DeepNestingRejectedShallowAccepted) {
  std::string deep(100000, '[');
  EXPECT_EQ(json::parse(deep).status().code(), StatusCode::kInvalidArgument);
  std::string ok = std::string(30, '[') + std::string(30, ']');
  EXPECT_TRUE(json::parse(ok).ok());
  // Brackets inside strings do not count.
  EXPECT_TRUE(json::parse("{\"a\":\"" + std::string(1000, '[') + "\"}").ok());
}

}  // namespace
}  // namespace tnascsi::controller::truenas
