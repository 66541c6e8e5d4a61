// WireCodec: the framing of one TrueNAS WebSocket protocol, with two implementations:
//  - JsonRpcCodec: JSON-RPC 2.0 on /api/current (25.04+): {"jsonrpc":"2.0","id":N,"method":..}.
//  - LegacyCodec: the DDP-like /websocket protocol (CORE, 24.10; still served by 25.x):
//    {"msg":"connect"} handshake, {"msg":"method"} calls, {"msg":"result"} replies, ping/pong.
// Codecs are stateless and thread-safe. decode() is the response decoder that the fuzz tests
// exercise: it must accept any byte string without crashing, returning InvalidArgument for junk.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "common/base/status.h"
#include "controller/truenas/json_util.h"
#include "controller/truenas/system_types.h"

namespace tnascsi::controller::truenas {

struct IncomingMessage {
  enum class Kind {
    kResponse,      // reply to a call (id set; result or error)
    kPong,          // legacy pong (id set)
    kConnected,     // legacy handshake accepted
    kFailed,        // legacy handshake refused
    kNotification,  // server event (collection_update, added/changed/removed, ...)
    kIgnored,       // well-formed but of no interest (e.g. a response without id)
  };
  Kind kind = Kind::kIgnored;
  std::string id;
  bool isError = false;
  json::Var result;
  Status error;        // decoded TrueNAS error when isError
  std::string method;  // notification method ("collection_update") or legacy msg
  json::Var params;    // notification payload
};

class WireCodec {
 public:
  virtual ~WireCodec() = default;
  virtual WireProtocol protocol() const = 0;
  // The WebSocket path, "/api/current" or "/websocket".
  virtual std::string path() const = 0;
  // The first frame to send after the WebSocket opens, if the protocol has a handshake.
  virtual std::optional<std::string> handshake() const = 0;
  // A call frame. `id` is the string form of the request id (JSON-RPC sends it as a number when
  // it is numeric).
  virtual std::string encodeCall(const std::string& id, const std::string& method,
                                 const json::ArrayPtr& params) const = 0;
  // Decodes one text frame from the server.
  virtual StatusOr<IncomingMessage> decode(const std::string& text) const = 0;
};

class JsonRpcCodec final : public WireCodec {
 public:
  WireProtocol protocol() const override { return WireProtocol::kJsonRpc; }
  std::string path() const override { return "/api/current"; }
  std::optional<std::string> handshake() const override { return std::nullopt; }
  std::string encodeCall(const std::string& id, const std::string& method,
                         const json::ArrayPtr& params) const override;
  StatusOr<IncomingMessage> decode(const std::string& text) const override;
};

class LegacyCodec final : public WireCodec {
 public:
  WireProtocol protocol() const override { return WireProtocol::kLegacyDdp; }
  std::string path() const override { return "/websocket"; }
  std::optional<std::string> handshake() const override;
  std::string encodeCall(const std::string& id, const std::string& method,
                         const json::ArrayPtr& params) const override;
  // A legacy ping frame {"msg":"ping","id":id}; answered by kPong with the same id.
  std::string encodePing(const std::string& id) const;
  StatusOr<IncomingMessage> decode(const std::string& text) const override;
};

std::unique_ptr<WireCodec> makeCodec(WireProtocol protocol);

}  // namespace tnascsi::controller::truenas
