// Wire encodings of results, errors and events: JSON-RPC 2.0 (reference §1.2), the legacy
// /websocket protocol (§1.3) and REST (§7). Pure functions; thread-safe.
#pragma once

#include <string>

#include "common/base/status.h"
#include "test/truenas-sim/json/json.h"
#include "test/truenas-sim/model/api_error.h"

namespace tnascsi::sim {

// {"jsonrpc":"2.0","id":..,"result":..}
Json jsonRpcResult(const Json& id, const Json& result);
// {"jsonrpc":"2.0","id":..,"error":{"code","message","data"?}} for an ApiError Status.
Json jsonRpcError(const Json& id, const Status& status);
// A protocol-level error (-32700 parse error, -32600 invalid request).
Json jsonRpcProtocolError(const Json& id, int code, const std::string& message);
// {"jsonrpc":"2.0","method":"collection_update","params":{...}}
Json jsonRpcEvent(const std::string& collection, const std::string& msg, const Json& id,
                  const Json& fields);

// {"msg":"result","id":..,"result":..}
Json legacyResult(const Json& id, const Json& result);
// {"msg":"result","id":..,"error":{error, errname, type, reason, trace, extra}}
Json legacyError(const Json& id, const Status& status);
Json legacyEvent(const std::string& collection, const std::string& msg, const Json& id,
                 const Json& fields);

// REST: HTTP status and body for an error.
std::pair<int, Json> restError(const Status& status);

}  // namespace tnascsi::sim
