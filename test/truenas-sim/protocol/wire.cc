// Wire encodings; see wire.h.
#include "test/truenas-sim/protocol/wire.h"

#include <cerrno>

namespace tnascsi::sim {
namespace {

Json trace(const std::string& cls, const std::string& reason) {
  Json t = Json::object();
  t.set("class", cls);
  t.set("frames", Json::array());
  t.set("formatted", "Traceback (most recent call last):\n" + cls + ": " + reason);
  t.set("repr", cls + "(" + Json(reason).dump() + ")");
  return t;
}

std::string traceClass(const ApiError& e) {
  switch (e.kind) {
    case ErrorKind::kValidationErrors:
      return "ValidationErrors";
    case ErrorKind::kValidationError:
      return "ValidationError";
    default:
      return "CallError";
  }
}

}  // namespace

Json jsonRpcResult(const Json& id, const Json& result) {
  Json out = Json::object();
  out.set("jsonrpc", "2.0");
  out.set("id", id);
  out.set("result", result);
  return out;
}

Json jsonRpcProtocolError(const Json& id, int code, const std::string& message) {
  Json err = Json::object();
  err.set("code", code);
  err.set("message", message);
  Json out = Json::object();
  out.set("jsonrpc", "2.0");
  out.set("id", id);
  out.set("error", std::move(err));
  return out;
}

Json jsonRpcError(const Json& id, const Status& status) {
  ApiError e = apiErrorOf(status);
  Json err = Json::object();
  switch (e.kind) {
    case ErrorKind::kMethodNotFound:
      return jsonRpcProtocolError(id, -32601, "Method does not exist");
    case ErrorKind::kTooManyCalls:
      return jsonRpcProtocolError(id, -32000, e.message);
    case ErrorKind::kInvalidRequest:
      return jsonRpcProtocolError(id, -32600, e.message);
    default:
      break;
  }
  const bool validation =
      e.kind == ErrorKind::kValidationErrors || e.kind == ErrorKind::kValidationError;
  const std::string reason = reasonOf(e);
  err.set("code", validation ? -32602 : -32001);
  err.set("message", validation ? "Invalid params" : "Method call error");
  Json data = Json::object();
  const int errnum = validation ? EINVAL : e.errnum;
  data.set("error", errnum);
  data.set("errname", errnoName(errnum));
  data.set("reason", reason);
  data.set("trace", trace(traceClass(e), reason));
  Json extra = extraOf(e);
  data.set("extra", extra);
  err.set("data", std::move(data));
  Json out = Json::object();
  out.set("jsonrpc", "2.0");
  out.set("id", id);
  out.set("error", std::move(err));
  return out;
}

Json jsonRpcEvent(const std::string& collection, const std::string& msg, const Json& id,
                  const Json& fields) {
  Json params = Json::object();
  params.set("msg", msg);
  params.set("collection", collection);
  params.set("id", id);
  params.set("fields", fields);
  Json out = Json::object();
  out.set("jsonrpc", "2.0");
  out.set("method", "collection_update");
  out.set("params", std::move(params));
  return out;
}

Json legacyResult(const Json& id, const Json& result) {
  Json out = Json::object();
  out.set("msg", "result");
  out.set("id", id);
  out.set("result", result);
  return out;
}

Json legacyError(const Json& id, const Status& status) {
  ApiError e = apiErrorOf(status);
  Json err = Json::object();
  int errnum = e.errnum;
  Json type = nullptr;
  std::string reason = reasonOf(e);
  switch (e.kind) {
    case ErrorKind::kValidationErrors:
      errnum = EAGAIN;
      type = "VALIDATION";
      break;
    case ErrorKind::kValidationError:
      errnum = e.items.front().errnum;
      type = "VALIDATION";
      break;
    case ErrorKind::kMethodNotFound:
      errnum = e.errnum;
      break;
    case ErrorKind::kTooManyCalls:
      errnum = ETOOMANYREFS;
      break;
    default:
      break;
  }
  err.set("error", errnum);
  err.set("errname", errnoName(errnum));
  err.set("type", type);
  err.set("reason", reason);
  err.set("trace", trace(traceClass(e), reason));
  err.set("extra", extraOf(e));
  Json out = Json::object();
  out.set("msg", "result");
  out.set("id", id);
  out.set("error", std::move(err));
  return out;
}

Json legacyEvent(const std::string& collection, const std::string& msg, const Json& id,
                 const Json& fields) {
  Json out = Json::object();
  out.set("msg", msg);
  out.set("collection", collection);
  out.set("id", id);
  out.set("fields", fields);
  return out;
}

std::pair<int, Json> restError(const Status& status) {
  ApiError e = apiErrorOf(status);
  Json body = Json::object();
  switch (e.kind) {
    case ErrorKind::kValidationError:
      if (!e.items.front().attribute && e.items.front().errnum == ENOENT) {
        body.set("message", e.message);
        return {404, body};
      }
      [[fallthrough]];
    case ErrorKind::kValidationErrors:
      for (const auto& item : e.items) {
        Json entry = Json::object();
        entry.set("message", item.message);
        entry.set("errno", item.errnum);
        Json& list = body[item.attribute.value_or("__all__")];
        list.push(std::move(entry));
      }
      return {422, body};
    case ErrorKind::kMethodNotFound:
      body.set("message", "Not Found");
      return {404, body};
    default:
      body.set("message", e.message);
      body.set("errno", e.errnum);
      return {422, body};
  }
}

}  // namespace tnascsi::sim
