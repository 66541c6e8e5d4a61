// JSON-RPC 2.0 and legacy /websocket framing (see wire_codec.h).
#include "controller/truenas/wire_codec.h"

#include <Poco/JSON/Object.h>

#include "controller/truenas/rpc_error.h"

namespace tnascsi::controller::truenas {
namespace {

bool allDigits(const std::string& s) {
  if (s.empty() || s.size() > 15) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::string idToString(const json::Var& id) {
  if (auto i = json::toInt(id)) return std::to_string(*i);
  return json::toString(id).value_or("");
}

}  // namespace

std::string JsonRpcCodec::encodeCall(const std::string& id, const std::string& method,
                                     const json::ArrayPtr& params) const {
  Poco::JSON::Object::Ptr msg = new Poco::JSON::Object();
  msg->set("jsonrpc", "2.0");
  if (allDigits(id)) {
    msg->set("id", static_cast<int64_t>(std::stoll(id)));
  } else {
    msg->set("id", id);
  }
  msg->set("method", method);
  msg->set("params", params ? params : json::makeArray());
  return json::stringify(msg);
}

StatusOr<IncomingMessage> JsonRpcCodec::decode(const std::string& text) const {
  TNAS_ASSIGN_OR_RETURN(json::Var parsed, json::parse(text));
  json::ObjectPtr obj = json::asObject(parsed);
  if (!obj) return absl::InvalidArgumentError("JSON-RPC message is not an object");
  IncomingMessage m;
  if (json::has(obj, "method") && !json::has(obj, "id")) {
    m.kind = IncomingMessage::Kind::kNotification;
    m.method = json::getString(obj, "method");
    m.params = json::get(obj, "params");
    return m;
  }
  json::Var id = json::get(obj, "id");
  if (id.isEmpty()) {
    // A response to something unparseable has id null; nobody is waiting for it by id.
    m.kind = IncomingMessage::Kind::kIgnored;
    if (json::has(obj, "error")) {
      m.isError = true;
      m.error = decodeJsonRpcError(json::get(obj, "error"));
    }
    return m;
  }
  m.id = idToString(id);
  if (m.id.empty()) return absl::InvalidArgumentError("JSON-RPC response id has a bad type");
  m.kind = IncomingMessage::Kind::kResponse;
  if (json::has(obj, "error") && !json::get(obj, "error").isEmpty()) {
    m.isError = true;
    m.error = decodeJsonRpcError(json::get(obj, "error"));
  } else if (json::has(obj, "result")) {
    m.result = json::get(obj, "result");
  } else {
    return absl::InvalidArgumentError("JSON-RPC response has neither result nor error");
  }
  return m;
}

std::optional<std::string> LegacyCodec::handshake() const {
  return std::string(R"({"msg":"connect","version":"1","support":["1"]})");
}

std::string LegacyCodec::encodeCall(const std::string& id, const std::string& method,
                                    const json::ArrayPtr& params) const {
  Poco::JSON::Object::Ptr msg = new Poco::JSON::Object();
  msg->set("msg", "method");
  msg->set("id", id);
  msg->set("method", method);
  msg->set("params", params ? params : json::makeArray());
  return json::stringify(msg);
}

std::string LegacyCodec::encodePing(const std::string& id) const {
  Poco::JSON::Object::Ptr msg = new Poco::JSON::Object();
  msg->set("msg", "ping");
  msg->set("id", id);
  return json::stringify(msg);
}

StatusOr<IncomingMessage> LegacyCodec::decode(const std::string& text) const {
  TNAS_ASSIGN_OR_RETURN(json::Var parsed, json::parse(text));
  json::ObjectPtr obj = json::asObject(parsed);
  if (!obj) return absl::InvalidArgumentError("legacy message is not an object");
  const std::string msg = json::getString(obj, "msg");
  IncomingMessage m;
  m.method = msg;
  if (msg == "result") {
    m.id = idToString(json::get(obj, "id"));
    if (m.id.empty()) return absl::InvalidArgumentError("legacy result without id");
    m.kind = IncomingMessage::Kind::kResponse;
    json::Var error = json::get(obj, "error");
    if (!error.isEmpty()) {
      m.isError = true;
      m.error = decodeLegacyError(error);
    } else {
      m.result = json::get(obj, "result");
    }
    return m;
  }
  if (msg == "pong") {
    m.kind = IncomingMessage::Kind::kPong;
    m.id = idToString(json::get(obj, "id"));
    return m;
  }
  if (msg == "connected") {
    m.kind = IncomingMessage::Kind::kConnected;
    return m;
  }
  if (msg == "failed") {
    m.kind = IncomingMessage::Kind::kFailed;
    return m;
  }
  if (msg == "added" || msg == "changed" || msg == "removed" || msg == "ready" || msg == "nosub") {
    m.kind = IncomingMessage::Kind::kNotification;
    m.params = parsed;
    return m;
  }
  if (msg.empty()) return absl::InvalidArgumentError("legacy message without msg");
  m.kind = IncomingMessage::Kind::kIgnored;
  return m;
}

std::unique_ptr<WireCodec> makeCodec(WireProtocol protocol) {
  if (protocol == WireProtocol::kJsonRpc) return std::make_unique<JsonRpcCodec>();
  return std::make_unique<LegacyCodec>();
}

}  // namespace tnascsi::controller::truenas
