// Simulator object counts over its control plane (see sim_state.h).
#include "test/e2e/sim_state.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/URI.h>

#include <sstream>
#include <thread>

namespace tnascsi::e2e {
namespace {

constexpr const char* kSimCollections[] = {"datasets", "snapshots", "initiators",    "auths",
                                           "targets",  "extents",   "targetextents", "nfs_shares"};

}  // namespace

bool readSimCounts(const std::string& simUrl, SimCounts* out, std::string* error) {
  if (simUrl.empty()) return true;
  try {
    Poco::URI uri(simUrl);
    Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
    session.setTimeout(Poco::Timespan(10, 0));
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, "/_sim/state");
    session.sendRequest(req);
    Poco::Net::HTTPResponse resp;
    std::istream& body = session.receiveResponse(resp);
    std::stringstream ss;
    ss << body.rdbuf();
    if (resp.getStatus() != Poco::Net::HTTPResponse::HTTP_OK) {
      *error = "simulator state: HTTP " + std::to_string(resp.getStatus());
      return false;
    }
    auto state = Poco::JSON::Parser().parse(ss.str()).extract<Poco::JSON::Object::Ptr>();
    for (const char* c : kSimCollections) {
      auto arr = state->getArray(c);
      (*out)[c] = arr.isNull() ? 0 : arr->size();
    }
    return true;
  } catch (const Poco::Exception& e) {
    *error = "simulator state: " + e.displayText();
    return false;
  }
}

std::string diffSimCounts(const SimCounts& before, const SimCounts& after) {
  std::string left;
  for (const auto& [k, n] : after) {
    auto it = before.find(k);
    size_t was = it == before.end() ? 0 : it->second;
    if (n != was) left += k + " " + std::to_string(was) + "->" + std::to_string(n) + "; ";
  }
  return left;
}

bool simBackToBaseline(const std::string& simUrl, const SimCounts& baseline,
                       std::chrono::milliseconds timeout, std::string* detail) {
  if (simUrl.empty()) {
    *detail = "not checked (no --sim-url)";
    return true;
  }
  auto start = std::chrono::steady_clock::now();
  std::string left;
  while (true) {
    SimCounts now;
    if (!readSimCounts(simUrl, &now, detail)) return false;
    left = diffSimCounts(baseline, now);
    auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    if (left.empty()) {
      *detail = "simulator objects back to baseline";
      if (waited.count() > 0) *detail += " (after " + std::to_string(waited.count()) + " ms)";
      return true;
    }
    if (waited >= timeout) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  *detail = left + "after waiting " + std::to_string(timeout.count() / 1000) + " s";
  return false;
}

}  // namespace tnascsi::e2e
