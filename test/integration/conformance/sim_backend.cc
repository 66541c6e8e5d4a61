// SimBackend implementation (see sim_backend.h).
#include "test/integration/conformance/sim_backend.h"

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>

#include "common/base/clock.h"
#include "common/base/files.h"
#include "controller/truenas/ws_connection.h"

namespace tnascsi::testing {
namespace {

constexpr const char* kKey = "1-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ01";

sim::Json arrayOf(sim::Json item) {
  sim::Json a = sim::Json::array();
  a.push(std::move(item));
  return a;
}

bool isDomain(const std::string& method) {
  return method.rfind("auth.", 0) != 0 && method.rfind("core.", 0) != 0;
}

}  // namespace

SimBackend::SimBackend(Options options) : options_(std::move(options)) {
  char tmpl[] = "/tmp/tnas-simbackend-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  if (!common::writeFileAtomic(dir_ + "/key", std::string(kKey) + "\n").ok()) {
    throw std::runtime_error("cannot write the API key file");
  }
  sim::SimOptions o;
  o.personality = options_.personality;
  o.apiKey = kKey;
  o.pools = {{"tank", options_.poolBytes}};
  if (options_.draid) o.draidPools = {"tank"};
  auto created = sim::SimServer::create(o);
  if (!created.ok()) throw std::runtime_error(created.status().ToString());
  server_ = std::move(*created);
  auto port = server_->start();
  if (!port.ok()) throw std::runtime_error(port.status().ToString());
  // What an administrator prepares: the parent dataset and a portal on every address.
  sim::Json ds = sim::Json::object();
  ds.set("name", options_.parent);
  call("pool.dataset.create", arrayOf(ds));
  sim::Json listen = sim::Json::object();
  listen.set("ip", "0.0.0.0");
  sim::Json portal = sim::Json::object();
  portal.set("listen", arrayOf(listen));
  call("iscsi.portal.create", arrayOf(portal));
  connect();
}

SimBackend::~SimBackend() {
  client_.reset();
  connection_.reset();
  if (server_) server_->stop();
  std::filesystem::remove_all(dir_);
}

void SimBackend::connect() {
  controller::truenas::ConnectionOptions c;
  c.url = server_->wsUrl();
  c.apiKeyFile = dir_ + "/key";
  c.poolSize = options_.connections;
  connection_ = std::make_unique<controller::truenas::ConnectionPool>(
      c, common::systemClock(), [c](controller::truenas::AuthGuard& guard) {
        return std::make_unique<controller::truenas::WsConnection>(c, common::systemClock(),
                                                                   &guard);
      });
  client_ =
      std::make_unique<controller::truenas::TrueNasClient>(*connection_, common::systemClock());
}

void SimBackend::reconnect() {
  client_.reset();
  connection_.reset();
  connect();
}

std::map<std::string, int64_t> SimBackend::callsByMethod() const {
  std::map<std::string, int64_t> out;
  sim::Json log = server_->calls().toJson();
  for (const auto& [method, n] : log.value("methods").asObject()) {
    if (isDomain(method)) out[method] = n.asInt();
  }
  return out;
}

int64_t SimBackend::domainCalls() const {
  int64_t total = 0;
  for (const auto& [method, n] : callsByMethod()) total += n;
  return total;
}

void SimBackend::resetCalls() {
  server_->calls().reset();
}

sim::Json SimBackend::call(const std::string& method, const sim::Json& params) {
  auto result = server_->model().call(method, params);
  if (!result.ok()) throw std::runtime_error(method + ": " + result.status().ToString());
  return *result;
}

std::vector<sim::Json> SimBackend::records(const std::string& table) const {
  sim::Json state = server_->model().save();
  const sim::Json* rows = state.get(table);
  if (rows == nullptr) return {};
  return rows->asArray();
}

size_t SimBackend::count(const std::string& table) const {
  auto rows = records(table);
  if (table != "datasets") return rows.size();
  size_t n = 0;
  for (const auto& row : rows) {
    if (row.value("name").asString().rfind(options_.parent + "/", 0) == 0) ++n;
  }
  return n;
}

std::string SimBackend::leftovers(size_t keepInitiators, size_t keepAuths) const {
  std::string out;
  for (const char* table : {"datasets", "snapshots", "initiators", "auths", "targets", "extents",
                            "targetextents", "nfs_shares"}) {
    size_t keep = std::string(table) == "initiators" ? keepInitiators
                  : std::string(table) == "auths"    ? keepAuths
                                                     : 0;
    size_t n = count(table);
    if (n != keep) {
      out += std::string(out.empty() ? "" : ", ") + table + "=" + std::to_string(n);
      if (keep > 0) out += " (expected " + std::to_string(keep) + ")";
    }
  }
  return out;
}

}  // namespace tnascsi::testing
