// HTTP request handlers of SimServer: WebSocket upgrade, /api/versions, the /_sim control plane,
// REST /api/v2.0 and 404. Created per request by SimRequestHandlerFactory (sim_server.cc).
#pragma once

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include "test/truenas-sim/json/json.h"
#include "test/truenas-sim/protocol/session.h"

namespace tnascsi::sim {

class SimServer;

// Sends `body` as JSON with `status`.
void sendJson(Poco::Net::HTTPServerResponse& response, int status, const Json& body);
// Whether the connection counts as a secure transport (TLS, or loopback unless told otherwise).
bool secureTransport(const SimServer& server, const Poco::Net::HTTPServerRequest& request);

class RestHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit RestHandler(SimServer& server) : server_(server) {}
  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override;

 private:
  SimServer& server_;
};

class ControlHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit ControlHandler(SimServer& server) : server_(server) {}
  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override;

 private:
  SimServer& server_;
};

}  // namespace tnascsi::sim
