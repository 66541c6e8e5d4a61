// REST /api/v2.0 (reference §7; a practical subset, see README) and the /_sim control plane.
#include "test/truenas-sim/server/handlers.h"

#include <Poco/Base64Decoder.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <sstream>

#include "test/truenas-sim/model/api_error.h"
#include "test/truenas-sim/protocol/wire.h"
#include "test/truenas-sim/server/sim_server.h"

namespace tnascsi::sim {
namespace {

std::string readBody(Poco::Net::HTTPServerRequest& request) {
  std::string body;
  Poco::StreamCopier::copyToString(request.stream(), body);
  return body;
}

std::vector<std::string> splitSegments(const std::string& path) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : path) {
    if (c == '/') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

std::string decode(const std::string& s) {
  std::string out;
  Poco::URI::decode(s, out);
  return out;
}

// Query-string value: int, bool or string.
Json restValue(const std::string& v) {
  if (v == "true") return Json(true);
  if (v == "false") return Json(false);
  if (!v.empty() && v.find_first_not_of("-0123456789") == std::string::npos) {
    return Json(static_cast<int64_t>(std::atoll(v.c_str())));
  }
  return Json(v);
}

Json idValue(const std::string& raw) {
  const std::string id = decode(raw);
  if (!id.empty() && id.find_first_not_of("0123456789") == std::string::npos) {
    return Json(static_cast<int64_t>(std::atoll(id.c_str())));
  }
  return Json(id);
}

const std::map<std::string, std::string> kRestOps = {
    {"eq", "="},      {"neq", "!="},       {"gt", ">"},      {"lt", "<"},    {"gte", ">="},
    {"lte", "<="},    {"regex", "~"},      {"in", "in"},     {"nin", "nin"}, {"rin", "rin"},
    {"rnin", "rnin"}, {"startswith", "^"}, {"endswith", "$"}};

}  // namespace

void RestHandler::handleRequest(Poco::Net::HTTPServerRequest& request,
                                Poco::Net::HTTPServerResponse& response) {
  Json err = Json::object();
  const std::string authz = request.get("Authorization", "");
  if (authz.rfind("Bearer ", 0) != 0 || !server_.dispatcher().checkBearer(authz.substr(7))) {
    err.set("message", "Unauthorized");
    response.set("WWW-Authenticate", "Basic realm=\"truenas\"");
    sendJson(response, 401, err);
    return;
  }
  Poco::URI uri(request.getURI());
  // Split the raw path so that an encoded id ("tank%2Fk8s%2Fpvc-1") stays one segment.
  const std::string rawPath = request.getURI().substr(0, request.getURI().find('?'));
  std::vector<std::string> segs = splitSegments(rawPath);
  segs.erase(segs.begin(), segs.begin() + 2);  // "api", "v2.0"
  const std::string verb = request.getMethod();
  const std::string bodyText = readBody(request);
  Json body;
  if (!bodyText.empty()) {
    auto parsed = Json::parse(bodyText);
    if (!parsed.ok()) {
      err.set("message", "Invalid JSON body");
      sendJson(response, 400, err);
      return;
    }
    body = *parsed;
  }
  Model& model = server_.model();
  std::string ns, method;
  Json args = Json::array();
  auto idIt = std::find(segs.begin(), segs.end(), "id");
  auto join = [](auto b, auto e) {
    std::string s;
    for (auto it = b; it != e; ++it) s += (s.empty() ? "" : ".") + *it;
    return s;
  };
  if (idIt != segs.end() && idIt + 1 != segs.end()) {
    ns = join(segs.begin(), idIt);
    args.push(idValue(*(idIt + 1)));
    if (idIt + 2 != segs.end()) {
      method = ns + "." + *(idIt + 2);
      if (!body.isNull()) args.push(body);
    } else if (verb == "GET") {
      method = ns + ".get_instance";
    } else if (verb == "PUT") {
      method = ns + ".update";
      args.push(body.isNull() ? Json::object() : body);
    } else if (verb == "DELETE") {
      method = ns + ".delete";
      if (ns == "iscsi.target" && body.isObject()) {
        args.push(body.value("force", false));
        if (model.personality().targetDeleteExtents) args.push(body.value("delete_extents", false));
      } else if (ns == "iscsi.extent" && body.isObject()) {
        args.push(body.value("remove", false));
        args.push(body.value("force", false));
      } else if (!body.isNull()) {
        args.push(body);
      }
    }
  } else {
    for (auto& seg : segs) seg = decode(seg);
    ns = join(segs.begin(), segs.end());
    if (verb == "GET" && model.hasMethod(ns + ".query")) {
      method = ns + ".query";
      Json filters = Json::array();
      Json options = Json::object();
      for (const auto& [k, v] : uri.getQueryParameters()) {
        if (k == "limit" || k == "offset") {
          options.set(k, restValue(v));
        } else if (k == "count") {
          options.set("count", v == "true");
        } else if (k == "sort") {
          Json order = Json::array();
          std::stringstream ss(v);
          std::string item;
          while (std::getline(ss, item, ',')) order.push(item);
          options.set("order_by", std::move(order));
        } else {
          std::string field = k, op = "=";
          size_t pos = k.rfind("__");
          if (pos != std::string::npos && kRestOps.count(k.substr(pos + 2))) {
            field = k.substr(0, pos);
            op = kRestOps.at(k.substr(pos + 2));
          }
          Json f = Json::array();
          f.push(field);
          f.push(op);
          f.push(restValue(v));
          filters.push(std::move(f));
        }
      }
      args.push(std::move(filters));
      args.push(std::move(options));
    } else if (verb == "GET" && model.hasMethod(ns + ".config")) {
      method = ns + ".config";
    } else if (verb == "PUT" && model.hasMethod(ns + ".update")) {
      method = ns + ".update";
      args.push(body);
    } else if (verb == "POST" && model.hasMethod(ns + ".create")) {
      method = ns + ".create";
      args.push(body);
    } else {
      method = ns;
      if (body.isObject() && method.rfind("service.", 0) == 0 && body.contains("service")) {
        args.push(body.value("service"));
        if (body.contains("service-control")) args.push(body.value("service-control"));
      } else if (!body.isNull()) {
        args.push(body);
      }
    }
  }
  auto session = std::make_shared<Session>(Wire::kRest, request.clientAddress().host().toString(),
                                           true, nullptr);
  session->authenticated = true;
  bool drop = false;
  StatusOr<Json> result = server_.dispatcher().call(session, method, args, nullptr, &drop);
  if (drop) {
    response.setKeepAlive(false);
    request.stream().setstate(std::ios::badbit);
    err.set("message", "connection dropped");
    sendJson(response, 503, err);
    return;
  }
  if (result.ok()) {
    sendJson(response, 200, *result);
    return;
  }
  auto [status, payload] = restError(result.status());
  sendJson(response, status, payload);
}

void ControlHandler::handleRequest(Poco::Net::HTTPServerRequest& request,
                                   Poco::Net::HTTPServerResponse& response) {
  const std::string path = Poco::URI(request.getURI()).getPath();
  const std::string verb = request.getMethod();
  Json ok = Json::object();
  ok.set("ok", true);
  Json err = Json::object();
  if (path == "/_sim/calls" && verb == "GET") {
    sendJson(response, 200, server_.calls().toJson());
  } else if (path == "/_sim/calls/reset" && verb == "POST") {
    server_.calls().reset();
    sendJson(response, 200, ok);
  } else if (path == "/_sim/faults" && verb == "GET") {
    sendJson(response, 200, server_.faults().toJson());
  } else if (path == "/_sim/faults" && verb == "POST") {
    auto body = Json::parse(readBody(request));
    Status s = body.ok() ? server_.faults().set(*body) : body.status();
    if (!s.ok()) {
      err.set("message", std::string(s.message()));
      sendJson(response, 400, err);
      return;
    }
    sendJson(response, 200, server_.faults().toJson());
  } else if (path == "/_sim/faults" && verb == "DELETE") {
    server_.faults().clear();
    sendJson(response, 200, ok);
  } else if (path == "/_sim/state" && verb == "GET") {
    sendJson(response, 200, server_.model().save());
  } else {
    err.set("message", "Not Found");
    sendJson(response, 404, err);
  }
}

}  // namespace tnascsi::sim
