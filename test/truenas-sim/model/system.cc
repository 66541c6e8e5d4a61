// system.* and service.* (reference §1.7, §6): version strings per personality, system.info,
// product type, and service state (start/stop/restart/reload/started/update; service.control is
// the 25.10 job, wrapped by the protocol layer).
#include <unistd.h>

#include <cerrno>

#include "test/truenas-sim/model/api_error.h"
#include "test/truenas-sim/model/model.h"
#include "test/truenas-sim/model/query.h"

namespace tnascsi::sim {

StatusOr<Json> Model::serviceAction(const std::string& verb, const Json& params) {
  const std::string name = params.at(0).asString();
  auto it = state_.services.find(name);
  if (it == state_.services.end()) {
    return callError("Service " + name + " not found", ENOENT);
  }
  if (verb == "started") return Json(it->second.value("state").asString() == "RUNNING");
  if (verb == "stop") {
    state_.services.edit(it).set("state", "STOPPED");
    return Json(false);
  }
  if (failingServices_.count(name) && (verb == "start" || verb == "restart")) {
    // Not running after the start: with `silent` (default true) the middleware logs and returns
    // false instead of raising (TS-24.10.2.4:src/middlewared/middlewared/plugins/service.py:
    // 156,203-206; TS-25.04.2.6:.../plugins/service.py:155,204-207; TS-25.10.0:.../plugins/
    // service.py:209-213 and api/v25_10_0/service.py:32, where service.control returns the same
    // value as its job result, plugins/service.py:157-159; TN-13.0-U6.8:.../plugins/service.py:
    // 131-135).
    state_.services.edit(it).set("state", "STOPPED");
    return Json(false);
  }
  state_.services.edit(it).set("state", "RUNNING");
  return Json(true);
}

void Model::registerSystem() {
  const Personality& p = personality_;
  reg(
      "system.version",
      [this](const Json&) -> StatusOr<Json> { return Json(personality_.versionFull); }, false);
  if (!p.isCore()) {
    // TS-24.10.2.4:src/middlewared/middlewared/plugins/system/product.py:66; CORE 13.0 has none.
    reg(
        "system.version_short",
        [this](const Json&) -> StatusOr<Json> { return Json(personality_.versionShort); }, false);
  }
  reg(
      "system.product_type",
      [this](const Json&) -> StatusOr<Json> { return Json(personality_.productType); }, false);
  reg(
      "system.ready", [](const Json&) -> StatusOr<Json> { return Json(true); }, false);
  reg(
      "system.state", [](const Json&) -> StatusOr<Json> { return Json("READY"); }, false);
  reg(
      "system.info",
      [this](const Json&) -> StatusOr<Json> {
        Json info = Json::object();
        info.set("version", personality_.infoVersion);
        info.set("buildtime", Json::date(1735689600000));
        info.set("hostname", "truenas-sim");
        info.set("physmem", int64_t{17179869184});
        info.set("model", "Simulated CPU");
        info.set("cores", 4);
        info.set("physical_cores", 2);
        info.set("loadavg", Json(Json::Array{Json(0.0), Json(0.0), Json(0.0)}));
        info.set("uptime", "1:00:00");
        info.set("uptime_seconds", 3600.0);
        info.set("system_serial", "SIM0001");
        info.set("system_product", "truenas-sim");
        info.set("system_product_version", nullptr);
        info.set("license", nullptr);
        info.set("boottime", Json::date((nowSeconds() - 3600) * 1000));
        info.set("datetime", Json::date(nowSeconds() * 1000));
        info.set("timezone", "UTC");
        info.set("system_manufacturer", "truenas-csi");
        info.set("ecc_memory", false);
        return info;
      },
      false);
  reg(
      "service.query",
      [this](const Json& a) {
        std::vector<Json> rows;
        for (const auto& [n, s] : state_.services) rows.push_back(s);
        return runQuery(rows, a.at(0), a.at(1));
      },
      false);
  reg(
      "service.get_instance",
      [this](const Json& a) {
        std::vector<Json> rows;
        for (const auto& [n, s] : state_.services) rows.push_back(s);
        return getInstance(rows, "id", a.at(0), "Service", a.at(1));
      },
      false);
  reg("service.update", [this](const Json& a) -> StatusOr<Json> {
    for (auto it = state_.services.begin(); it != state_.services.end(); ++it) {
      const Json& s = it->second;
      if ((a.at(0).isString() && it->first == a.at(0).asString()) ||
          (a.at(0).isInt() && s.value("id").asInt() == a.at(0).asInt())) {
        if (const Json* e = a.at(1).get("enable")) {
          if (!e->isBool()) return validationError("service_update.enable", "Not a boolean");
          state_.services.edit(it).set("enable", *e);
        }
        return s.value("id");
      }
    }
    return instanceNotFound("Service", a.at(0).isString() ? a.at(0).asString() : a.at(0).dump());
  });
  for (const char* verb : {"start", "stop", "restart", "reload"}) {
    std::string v = verb;
    reg("service." + v, [this, v](const Json& a) { return serviceAction(v, a); });
  }
  reg(
      "service.started", [this](const Json& a) { return serviceAction("started", a); }, false);
  if (p.serviceControl) {
    reg("service.control", [this](const Json& a) -> StatusOr<Json> {
      const std::string verb = a.at(0).asString();
      if (verb != "START" && verb != "STOP" && verb != "RESTART" && verb != "RELOAD") {
        return validationError("service.control.verb",
                               "Input should be 'START', 'STOP', 'RESTART' or 'RELOAD'");
      }
      std::string lower;
      for (char ch : verb) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      Json rest = Json::array();
      for (size_t i = 1; i < a.size(); ++i) rest.push(a.at(i));
      return serviceAction(lower, rest);
    });
  }
}

}  // namespace tnascsi::sim
