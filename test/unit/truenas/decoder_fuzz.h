// The response-decoder fuzz body shared by the bounded in-suite run (decoder_fuzz_test.cc) and the
// libFuzzer entry point (decoder_fuzzer.cc): feeds one input to both codecs and to every entity
// parser. Must never crash, throw or hang.
#pragma once

#include <string>

#include "controller/truenas/entity_parse.h"
#include "controller/truenas/rpc_error.h"
#include "controller/truenas/wire_codec.h"

namespace tnascsi::controller::truenas {

inline void fuzzDecodeOne(const std::string& input) {
  static const JsonRpcCodec rpc;
  static const LegacyCodec legacy;
  for (const WireCodec* codec :
       {static_cast<const WireCodec*>(&rpc), static_cast<const WireCodec*>(&legacy)}) {
    StatusOr<IncomingMessage> m = codec->decode(input);
    if (!m.ok()) continue;
    json::Var payload = m->isError ? json::Var() : m->result;
    if (!m->params.isEmpty()) payload = m->params;
    (void)parseDataset(payload, false);
    (void)parseDataset(payload, true);
    (void)parseSnapshot(payload);
    (void)parsePool(payload);
    (void)parseIscsiTarget(payload);
    (void)parseIscsiExtent(payload);
    (void)parseIscsiPortal(payload);
    (void)parseNfsShare(payload);
    (void)parseList<Dataset>(payload, [](const json::Var& v) { return parseDataset(v, false); });
    if (json::ObjectPtr o = json::asObject(payload)) (void)decodeJobError(o);
    (void)json::stringify(payload);
  }
}

}  // namespace tnascsi::controller::truenas
