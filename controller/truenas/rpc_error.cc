// TrueNAS error decoding (see rpc_error.h for the mapping table).
#include "controller/truenas/rpc_error.h"

#include <algorithm>
#include <cctype>

namespace tnascsi::controller::truenas {
namespace {

constexpr int kEPERM = 1;
constexpr int kENOENT = 2;
constexpr int kEAGAIN = 11;
constexpr int kEACCES = 13;
constexpr int kEBUSY = 16;
constexpr int kEEXIST = 17;
constexpr int kEINVAL = 22;
constexpr int kENOTEMPTY = 39;
constexpr int kEBADMSG = 74;
constexpr int kETOOMANYREFS = 109;
constexpr int kETIMEDOUT = 110;
constexpr int kENOMETHOD = 201;
constexpr int kEDATASETISLOCKED = 205;
constexpr int kENOTAUTHENTICATED = 207;
constexpr int kEREBOOTREQUIRED = 209;
constexpr int kEHAUNAVAILABLE = 210;

constexpr size_t kMaxMessage = 1500;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool contains(const std::string& haystackLower, const char* needle) {
  return haystackLower.find(needle) != std::string::npos;
}

std::string clip(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  if (s.size() > kMaxMessage) s = s.substr(0, kMaxMessage) + "...";
  return s;
}

bool alreadyExistsText(const std::string& l) {
  return contains(l, "already exists") || contains(l, "must be unique") ||
         contains(l, "already in use") || contains(l, "already being used") ||
         contains(l, "already exist");
}

bool preconditionText(const std::string& l) {
  return contains(l, "is in use") || contains(l, "dependent clones") ||
         contains(l, "has children") || contains(l, "only cloned datasets") ||
         contains(l, "more recent snapshots");
}

// Validation `extra`: [[attribute, message, errno], ...] -> "attr: msg; attr2: msg2" and the
// errno of the first entry.
std::string joinExtra(const json::ArrayPtr& extra, int* firstErrno) {
  std::string out;
  if (!extra) return out;
  for (size_t i = 0; i < extra->size(); ++i) {
    json::ArrayPtr triple = json::asArray(extra->get(static_cast<unsigned>(i)));
    if (!triple || triple->size() < 2) continue;
    std::optional<std::string> attr = json::toString(triple->get(0));
    std::string msg = json::toString(triple->get(1)).value_or("");
    if (triple->size() >= 3 && firstErrno != nullptr && *firstErrno == 0) {
      *firstErrno = static_cast<int>(json::toInt(triple->get(2)).value_or(0));
    }
    if (!out.empty()) out += "; ";
    if (attr && !attr->empty()) out += *attr + ": ";
    out += msg;
  }
  return out;
}

Status makeStatus(StatusCode code, const std::string& message) {
  return Status(code, clip(message));
}

// Decides the code of a validation error from its errno and text.
Status validationStatus(int err, const std::string& message) {
  const std::string l = lower(message);
  if (err == kENOENT || (err == 0 && contains(l, "does not exist"))) {
    return makeStatus(StatusCode::kNotFound, message);
  }
  if (err == kEEXIST || alreadyExistsText(l))
    return makeStatus(StatusCode::kAlreadyExists, message);
  if (contains(l, "dependent clones")) return makeStatus(StatusCode::kFailedPrecondition, message);
  if (err != 0 && err != kEINVAL && err != kEAGAIN) {
    StatusCode c = codeForErrno(err, message);
    if (c != StatusCode::kInternal) return makeStatus(c, message);
  }
  return makeStatus(StatusCode::kInvalidArgument, message);
}

}  // namespace

StatusCode codeForErrno(int err, const std::string& message) {
  const std::string l = lower(message);
  switch (err) {
    case kENOMETHOD:
      return StatusCode::kUnimplemented;
    case kETOOMANYREFS:
      return StatusCode::kResourceExhausted;
    case kEBUSY:
      return StatusCode::kUnavailable;
    case kENOENT:
      return StatusCode::kNotFound;
    case kEEXIST:
      return StatusCode::kAlreadyExists;
    case kENOTAUTHENTICATED:
      return StatusCode::kUnauthenticated;
    case kEACCES:
    case kEPERM:
      return StatusCode::kPermissionDenied;
    case kETIMEDOUT:
      return StatusCode::kDeadlineExceeded;
    case kENOTEMPTY:
    case kEBADMSG:
    case kEDATASETISLOCKED:
    case kEREBOOTREQUIRED:
      return StatusCode::kFailedPrecondition;
    case kEHAUNAVAILABLE:
      return StatusCode::kUnavailable;
    default:
      break;
  }
  if (alreadyExistsText(l)) return StatusCode::kAlreadyExists;
  if (preconditionText(l)) return StatusCode::kFailedPrecondition;
  // A `get` query without a match raises MatchNotFound, which the middleware sends as EINVAL with
  // its repr as the reason (TS-25.04.2.6:src/middlewared/middlewared/service_exception.py:122-124,
  // api/base/server/ws_handler/rpc.py:341-355): the one EINVAL that means absence.
  if (contains(l, "matchnotfound")) return StatusCode::kNotFound;
  // Any other EINVAL is a refused argument even when its text says "not found" ("Group not
  // found", "Portal not found in database."): the errno decides, not the wording.
  if (err == kEINVAL) return StatusCode::kInvalidArgument;
  if (contains(l, "does not exist") || contains(l, "not found")) return StatusCode::kNotFound;
  return StatusCode::kInternal;
}

Status decodeJsonRpcError(const json::Var& error) {
  json::ObjectPtr e = json::asObject(error);
  if (!e) return absl::InternalError("TrueNAS returned a malformed error object");
  const int64_t code = json::getInt(e, "code", 0);
  const std::string message = json::getString(e, "message", "error");
  json::ObjectPtr data = json::getObject(e, "data");
  const int err = static_cast<int>(json::getInt(data, "error", 0));
  const std::string reason = json::getString(data, "reason", "");
  switch (code) {
    case -32601:
      return makeStatus(StatusCode::kUnimplemented,
                        "method not supported by this TrueNAS version: " + message);
    case -32000:
      return makeStatus(StatusCode::kResourceExhausted,
                        "TrueNAS concurrency limit reached: " + message);
    case -32700:
    case -32600:
      return makeStatus(StatusCode::kInternal, "TrueNAS rejected the request framing: " + message);
    case -32603:
      return makeStatus(StatusCode::kInternal,
                        "TrueNAS internal error: " + (reason.empty() ? message : reason));
    case -32602: {
      int firstErrno = 0;
      std::string text = joinExtra(json::getArray(data, "extra"), &firstErrno);
      if (text.empty()) text = reason.empty() ? message : reason;
      return validationStatus(firstErrno, text);
    }
    default:
      break;
  }
  // -32001 CallError and anything unknown: errno decides, reason carries "[ERRNAME] message".
  std::string text = reason.empty() ? message : reason;
  return makeStatus(codeForErrno(err, text), text);
}

Status decodeLegacyError(const json::Var& error) {
  json::ObjectPtr e = json::asObject(error);
  if (!e) return absl::InternalError("TrueNAS returned a malformed error object");
  const int err = static_cast<int>(json::getInt(e, "error", 0));
  const std::string type = json::getString(e, "type", "");
  const std::string reason = json::getString(e, "reason", "error");
  if (type == "VALIDATION") {
    int firstErrno = 0;
    std::string text = joinExtra(json::getArray(e, "extra"), &firstErrno);
    if (text.empty()) text = reason;
    return validationStatus(firstErrno, text);
  }
  // A single ValidationError (e.g. InstanceNotFound) carries its own errno and an `extra` triple.
  int firstErrno = 0;
  std::string text = joinExtra(json::getArray(e, "extra"), &firstErrno);
  if (text.empty() || err != kEINVAL) text = reason;
  if (err == kETOOMANYREFS) {
    return makeStatus(StatusCode::kResourceExhausted, "TrueNAS concurrency limit reached: " + text);
  }
  return makeStatus(codeForErrno(err, text), text);
}

Status decodeJobError(const json::ObjectPtr& job) {
  const std::string state = json::getString(job, "state", "");
  std::string error = json::getString(job, "error", "");
  json::ObjectPtr exc = json::getObject(job, "exc_info");
  const std::string type = json::getString(exc, "type", "");
  const int err = static_cast<int>(json::getInt(exc, "errno", 0));
  if (state == "ABORTED") return makeStatus(StatusCode::kAborted, "job aborted: " + error);
  if (type == "VALIDATION") {
    int firstErrno = 0;
    std::string text = joinExtra(json::getArray(exc, "extra"), &firstErrno);
    if (text.empty()) text = error;
    return validationStatus(firstErrno, text);
  }
  if (error.empty()) error = "job failed";
  return makeStatus(codeForErrno(err, error), error);
}

}  // namespace tnascsi::controller::truenas
