// SimBackend implementation (see sim_backend.h).
#include "test/support/truenas/sim_backend.h"

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>

#include "common/base/clock.h"
#include "common/base/files.h"
#include "controller/truenas/ws_connection.h"

namespace tnascsi::testing {
namespace {

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
  if (!common::writeFileAtomic(apiKeyFile(), std::string(kApiKey) + "\n").ok()) {
    throw std::runtime_error("cannot write the API key file");
  }
  sim::SimOptions o;
  o.personality = options_.personality;
  o.apiKey = kApiKey;
  o.pools = {{"tank", options_.poolBytes}};
  if (options_.draid) o.draidPools = {"tank"};
  auto created = sim::SimServer::create(o);
  if (!created.ok()) throw std::runtime_error(created.status().ToString());
  server_ = std::move(*created);
  if (options_.link == Link::kWebSocket) {  // in process, nothing listens
    auto port = server_->start();
    if (!port.ok()) throw std::runtime_error(port.status().ToString());
  }
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
  c.apiKeyFile = apiKeyFile();
  c.poolSize = options_.connections;
  controller::truenas::ConnectionPool::Factory factory;
  if (options_.link == Link::kInProcess) {
    factory = [this, c](controller::truenas::AuthGuard&) {
      return std::make_unique<SimRpcTransport>(*server_, kApiKey, c.username, link_);
    };
  } else {
    factory = [c](controller::truenas::AuthGuard& guard) {
      return std::make_unique<controller::truenas::WsConnection>(c, common::systemClock(), &guard);
    };
  }
  connection_ = std::make_unique<controller::truenas::ConnectionPool>(c, common::systemClock(),
                                                                      std::move(factory));
  client_ =
      std::make_unique<controller::truenas::TrueNasClient>(*connection_, common::systemClock());
}

void SimBackend::reconnect() {
  client_.reset();
  connection_.reset();
  connect();
}

void SimBackend::setReachable(bool reachable) {
  if (options_.link != Link::kInProcess) {
    throw std::logic_error("SimBackend::setReachable needs Link::kInProcess");
  }
  link_.setUp(reachable);
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

sim::Json SimBackend::find(const std::string& table, const std::string& key,
                           const sim::Json& value) const {
  for (auto& row : records(table)) {
    if (row.value(key) == value) return row;
  }
  return sim::Json();
}

bool SimBackend::admits(const std::string& targetName, const std::string& iqn) const {
  sim::Json target = find("targets", "name", targetName);
  if (target.isNull()) return false;
  const std::vector<sim::Json> groups = records("initiators");  // one model read for all groups
  for (const auto& group : target.value("groups").asArray()) {
    for (const auto& initiators : groups) {
      if (initiators.value("id") != group.value("initiator")) continue;
      const auto& names = initiators.value("initiators").asArray();
      if (names.empty()) return true;
      for (const auto& name : names) {
        if (name.asString() == iqn) return true;
      }
    }
  }
  return false;
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
