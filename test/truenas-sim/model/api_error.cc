// TrueNAS error encoding inside Status payloads; see api_error.h.
#include "test/truenas-sim/model/api_error.h"

#include <absl/strings/cord.h>
#include <string.h>

#include <cerrno>

namespace tnascsi::sim {
namespace {

constexpr char kPayloadUrl[] = "type.truenas-sim/api-error";

}  // namespace

std::string errnoName(int errnum) {
  switch (errnum) {
    case kENOMETHOD:
      return "ENOMETHOD";
    case 202:
      return "ESERVICESTARTFAILURE";
    case 205:
      return "EDATASETISLOCKED";
    case kENOTAUTHENTICATED:
      return "ENOTAUTHENTICATED";
    case 209:
      return "EREBOOTREQUIRED";
    case 210:
      return "EHAUNAVAILABLE";
    default:
      break;
  }
  const char* name = strerrorname_np(errnum);
  return name ? name : "EUNKNOWN";
}

Status toStatus(const ApiError& error) {
  Json j = Json::object();
  j.set("kind", static_cast<int>(error.kind));
  j.set("errno", error.errnum);
  j.set("message", error.message);
  Json items = Json::array();
  for (const auto& item : error.items) {
    Json it = Json::array();
    it.push(item.attribute ? Json(*item.attribute) : Json());
    it.push(item.message);
    it.push(item.errnum);
    items.push(std::move(it));
  }
  j.set("items", std::move(items));
  j.set("extra", error.extra);
  Status status(error.kind == ErrorKind::kCallError ? StatusCode::kFailedPrecondition
                                                    : StatusCode::kInvalidArgument,
                reasonOf(error));
  status.SetPayload(kPayloadUrl, absl::Cord(j.dump()));
  return status;
}

ApiError apiErrorOf(const Status& status) {
  ApiError out;
  auto payload = status.GetPayload(kPayloadUrl);
  if (!payload) {
    out.kind = ErrorKind::kCallError;
    out.errnum = EFAULT;
    out.message = std::string(status.message());
    return out;
  }
  auto parsed = Json::parse(std::string(*payload));
  if (!parsed.ok()) {
    out.message = "internal error";
    return out;
  }
  const Json& j = *parsed;
  out.kind = static_cast<ErrorKind>(j.value("kind").asInt());
  out.errnum = static_cast<int>(j.value("errno").asInt());
  out.message = j.value("message").asString();
  for (const Json& it : j.value("items").asArray()) {
    ValidationItem item;
    if (!it.at(0).isNull()) item.attribute = it.at(0).asString();
    item.message = it.at(1).asString();
    item.errnum = static_cast<int>(it.at(2).asInt());
    out.items.push_back(std::move(item));
  }
  out.extra = j.value("extra");
  return out;
}

std::string reasonOf(const ApiError& error) {
  switch (error.kind) {
    case ErrorKind::kValidationErrors: {
      std::string s;
      for (const auto& item : error.items) {
        s += "[" + errnoName(item.errnum) + "] " + (item.attribute ? *item.attribute + ": " : "") +
             item.message + "\n";
      }
      return s;
    }
    case ErrorKind::kValidationError: {
      const ValidationItem& item = error.items.front();
      return "[" + errnoName(item.errnum) + "] " + (item.attribute ? *item.attribute + ": " : "") +
             item.message;
    }
    case ErrorKind::kCallError:
    case ErrorKind::kMethodNotFound:  // MethodNotFoundError is a CallError (str: "[ENOMETHOD] ...")
      return "[" + errnoName(error.errnum) + "] " + error.message;
    default:
      return error.message;
  }
}

Json extraOf(const ApiError& error) {
  if (error.kind == ErrorKind::kValidationErrors || error.kind == ErrorKind::kValidationError) {
    Json extra = Json::array();
    for (const auto& item : error.items) {
      Json it = Json::array();
      it.push(item.attribute ? Json(*item.attribute) : Json());
      it.push(item.message);
      it.push(item.errnum);
      extra.push(std::move(it));
    }
    return extra;
  }
  return error.extra;
}

Status callError(const std::string& message, int errnum, Json extra) {
  ApiError e;
  e.kind = ErrorKind::kCallError;
  e.errnum = errnum;
  e.message = message;
  e.extra = std::move(extra);
  return toStatus(e);
}

Status validationError(std::optional<std::string> attribute, const std::string& message,
                       int errnum) {
  ApiError e;
  e.kind = ErrorKind::kValidationError;
  e.errnum = errnum;
  e.message = message;
  e.items.push_back({std::move(attribute), message, errnum});
  return toStatus(e);
}

Status instanceNotFound(const std::string& verboseName, const std::string& id) {
  return validationError(std::nullopt, verboseName + " " + id + " does not exist", ENOENT);
}

Status methodNotFound() {
  ApiError e;
  e.kind = ErrorKind::kMethodNotFound;
  e.errnum = kENOMETHOD;
  e.message = "Method does not exist";
  return toStatus(e);
}

Status methodNotFound(const std::string& legacyMessage, int errnum) {
  ApiError e;
  e.kind = ErrorKind::kMethodNotFound;
  e.errnum = errnum;
  e.message = legacyMessage;
  return toStatus(e);
}

Status tooManyCalls() {
  ApiError e;
  e.kind = ErrorKind::kTooManyCalls;
  e.errnum = ETOOMANYREFS;
  e.message = "Maximum number of concurrent calls (20) has exceeded.";
  return toStatus(e);
}

Status Verrors::status() const {
  if (items_.empty()) return absl::OkStatus();
  ApiError e;
  e.kind = ErrorKind::kValidationErrors;
  e.errnum = 22;
  e.items = items_;
  return toStatus(e);
}

}  // namespace tnascsi::sim
