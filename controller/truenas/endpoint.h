// Where and how to reach TrueNAS: URL parsing, the loopback rule for plain ws://, the TLS context,
// HTTP(S) sessions, the protocol probe (GET /api/versions) and the conversion of Poco network
// exceptions into Status. Functions are thread-safe; sessions are not (one per connection).
#pragma once

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "common/base/status.h"
#include "controller/truenas/connection_options.h"
#include "controller/truenas/system_types.h"

namespace tnascsi::controller::truenas {

struct Endpoint {
  bool tls = true;
  std::string host;
  uint16_t port = 443;
  std::string display() const;  // "wss://host:port" (never contains credentials)
};

// InvalidArgument for an unparseable URL or a scheme other than ws/wss/http/https.
StatusOr<Endpoint> parseEndpoint(const std::string& url);

// True for "localhost", 127.0.0.0/8 and ::1.
bool isLoopbackHost(const std::string& host);

// FailedPrecondition when an API key would travel over plain ws:// to a non-loopback host.
Status checkTransportSecurity(const Endpoint& endpoint);

// The client TLS context for `options` (CA file, verification on/off). FailedPrecondition when
// the CA file cannot be loaded.
StatusOr<Poco::Net::Context::Ptr> makeTlsContext(const ConnectionOptions& options);

// A fresh HTTP or HTTPS session to the endpoint (not yet connected).
std::unique_ptr<Poco::Net::HTTPClientSession> makeSession(const Endpoint& endpoint,
                                                          const Poco::Net::Context::Ptr& tls,
                                                          std::chrono::milliseconds timeout);

// GET /api/versions (no authentication): 200 -> JSON-RPC (/api/current); any 3xx/4xx (the 302 to
// /ui/ of 24.10 and CORE 13.0, a 404) -> legacy (/websocket). Unavailable for network errors and
// 5xx; FailedPrecondition for TLS verification failures.
StatusOr<WireProtocol> probeProtocol(const Endpoint& endpoint, const Poco::Net::Context::Ptr& tls,
                                     std::chrono::milliseconds timeout);

// Converts a network/TLS exception raised while talking to `endpoint` into a Status: TLS
// certificate problems -> FailedPrecondition naming the verification failure, timeouts ->
// DeadlineExceeded, everything else -> Unavailable.
Status networkErrorStatus(const Poco::Exception& e, const Endpoint& endpoint, const char* what);

}  // namespace tnascsi::controller::truenas
