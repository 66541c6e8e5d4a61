// A bounded randomized run of the response decoder (a few seconds): mutated valid responses of
// both protocols, random bytes, deep nesting, huge and odd numbers. Passes if nothing crashes,
// throws or trips the sanitizers; also checks that valid seeds still decode.
#include "test/unit/truenas/decoder_fuzz.h"

#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <string>
#include <vector>

namespace tnascsi::controller::truenas {
namespace {

const std::vector<std::string>& seeds() {
  static const std::vector<std::string> s = {
      R"({"jsonrpc":"2.0","id":1,"result":[{"id":"tank/a","type":"VOLUME","volsize":{"parsed":1073741824,"rawvalue":"1073741824","value":"1G","source":"LOCAL"},"user_properties":{"csi:x":{"value":"y"}}}]})",
      R"({"jsonrpc":"2.0","id":2,"error":{"code":-32602,"message":"Invalid params","data":{"error":22,"errname":"EINVAL","reason":"x","extra":[["a.b","msg",2]]}}})",
      R"({"jsonrpc":"2.0","id":3,"error":{"code":-32001,"message":"Method call error","data":{"error":17,"reason":"[EEXIST] exists"}}})",
      R"({"jsonrpc":"2.0","method":"collection_update","params":{"msg":"changed","collection":"core.get_jobs","id":5,"fields":{"state":"SUCCESS","time_started":{"$date":1700000000000}}}})",
      R"({"msg":"result","id":"4","result":{"id":"tank/a@s","dataset":"tank/a","createtxg":"5","properties":{"creation":{"parsed":{"$date":1},"rawvalue":"1"}}}})",
      R"({"msg":"result","id":"5","error":{"error":11,"type":"VALIDATION","reason":"r","extra":[["x","y",22]]}})",
      R"({"msg":"connected","session":"abc"})",
      R"({"msg":"pong","id":"p"})",
      R"({"jsonrpc":"2.0","id":6,"result":{"id":9,"name":"e","serial":"s","naa":"0x1","blocksize":512,"groups":[{"portal":1,"initiator":null,"authmethod":"CHAP","auth":3}],"paths":["/mnt/x"]}})",
      R"({"jsonrpc":"2.0","id":7,"result":{"id":42,"state":"FAILED","exc_info":{"type":"VALIDATION","extra":[[null,"m",2]]}}})",
  };
  return s;
}

std::string mutate(std::string s, std::mt19937_64& rng) {
  static const std::vector<std::string> tokens = {"{",
                                                  "}",
                                                  "[",
                                                  "]",
                                                  ",",
                                                  ":",
                                                  "\"",
                                                  "null",
                                                  "true",
                                                  "-",
                                                  "1e308",
                                                  "-1e400",
                                                  "18446744073709551616",
                                                  "99999999999999999999999999",
                                                  "-9223372036854775809",
                                                  "0.5",
                                                  "\\u0000",
                                                  "\\ud800",
                                                  "\"$date\"",
                                                  "NaN",
                                                  "\xff\xfe",
                                                  "{\"a\":",
                                                  "[[[[[[[["};
  std::uniform_int_distribution<int> op(0, 4);
  const int edits = 1 + static_cast<int>(rng() % 6);
  for (int e = 0; e < edits; ++e) {
    const size_t pos = s.empty() ? 0 : rng() % (s.size() + 1);
    switch (op(rng)) {
      case 0:  // flip a byte
        if (!s.empty()) s[pos % s.size()] = static_cast<char>(rng() & 0xff);
        break;
      case 1:  // delete a span
        if (!s.empty()) s.erase(pos % s.size(), 1 + rng() % 8);
        break;
      case 2:  // insert a token
        s.insert(pos, tokens[rng() % tokens.size()]);
        break;
      case 3:  // duplicate a span
        if (!s.empty()) {
          const size_t start = pos % s.size();
          s.insert(pos, s.substr(start, 1 + rng() % 32));
        }
        break;
      default:  // truncate
        s.resize(pos);
        break;
    }
  }
  return s;
}

TEST(DecoderFuzzTest, SeedsDecode) {
  JsonRpcCodec rpc;
  LegacyCodec legacy;
  for (const auto& s : seeds()) {
    const bool isLegacy =
        s.find("\"msg\"") != std::string::npos && s.find("jsonrpc") == std::string::npos;
    const WireCodec& c = isLegacy ? static_cast<const WireCodec&>(legacy) : rpc;
    EXPECT_TRUE(c.decode(s).ok()) << s;
  }
}

TEST(DecoderFuzzTest, RandomizedInputsNeverCrash) {
  std::mt19937_64 rng(0x7a5c51);
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  size_t runs = 0;
  while (std::chrono::steady_clock::now() < until) {
    std::string input;
    switch (runs % 4) {
      case 0:
      case 1:
        input = mutate(seeds()[rng() % seeds().size()], rng);
        break;
      case 2: {
        input.resize(rng() % 256);
        for (char& ch : input) ch = static_cast<char>(rng() & 0xff);
        break;
      }
      default: {
        const size_t depth = 1 + rng() % 5000;
        input = R"({"jsonrpc":"2.0","id":1,"result":)" + std::string(depth, '[') +
                std::string(rng() % (depth + 1), ']') + "}";
        break;
      }
    }
    fuzzDecodeOne(input);
    ++runs;
  }
  EXPECT_GT(runs, 1000u);  // the loop really ran
}

}  // namespace
}  // namespace tnascsi::controller::truenas
