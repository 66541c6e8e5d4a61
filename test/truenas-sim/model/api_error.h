// The TrueNAS error vocabulary (ValidationErrors, a single ValidationError, CallError,
// method-not-found, too-many-calls) carried inside tnascsi::Status. The model builds these; the
// protocol layer decodes them once and encodes them per wire format (JSON-RPC, legacy, REST).
// The error details travel as a Status payload so the model keeps the house result type.
// Thread-safe: all functions are pure.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/base/status.h"
#include "test/truenas-sim/json/json.h"

namespace tnascsi::sim {

// Custom TrueNAS errnos (api_client exc.py).
inline constexpr int kENOMETHOD = 201;
inline constexpr int kENOTAUTHENTICATED = 207;

enum class ErrorKind {
  kValidationErrors,  // ValidationErrors: several [attr, msg, errno] items
  kValidationError,   // one ValidationError (InstanceNotFound is one with no attribute)
  kCallError,         // CallError(message, errno, extra)
  kMethodNotFound,    // JSON-RPC -32601
  kTooManyCalls,      // JSON-RPC -32000 / legacy ETOOMANYREFS
  kInvalidRequest,    // JSON-RPC -32600
};

struct ValidationItem {
  std::optional<std::string> attribute;
  std::string message;
  int errnum = 22;
};

struct ApiError {
  ErrorKind kind = ErrorKind::kCallError;
  int errnum = 22;
  std::string message;
  std::vector<ValidationItem> items;
  Json extra;  // CallError extra (null when absent)
};

// Symbolic errno name ("EINVAL", "ENOTAUTHENTICATED"), as TrueNAS puts in `errname`.
std::string errnoName(int errnum);

Status toStatus(const ApiError& error);
// Decodes a Status built by toStatus(). A foreign non-OK Status becomes a CallError(EFAULT) with
// its message, so nothing escapes unencoded.
ApiError apiErrorOf(const Status& status);
// str(exception) as TrueNAS renders it into `reason`.
std::string reasonOf(const ApiError& error);
// The `extra` value of the wire error: [[attr, msg, errno], ...] for validation, else error.extra.
Json extraOf(const ApiError& error);

Status callError(const std::string& message, int errnum = 14 /* EFAULT */, Json extra = nullptr);
Status validationError(std::optional<std::string> attribute, const std::string& message,
                       int errnum = 22);
// InstanceNotFound: "<VerboseName> <id> does not exist", attribute None, ENOENT.
Status instanceNotFound(const std::string& verboseName, const std::string& id);
Status methodNotFound();
// The same with the legacy protocol's reason and errno (JSON-RPC answers -32601 regardless).
Status methodNotFound(const std::string& legacyMessage, int errnum);
Status tooManyCalls();

// Accumulates ValidationErrors; status() is OK when nothing was added.
class Verrors {
 public:
  void add(const std::string& attribute, const std::string& message, int errnum = 22) {
    items_.push_back({attribute, message, errnum});
  }
  bool empty() const { return items_.empty(); }
  Status status() const;

 private:
  std::vector<ValidationItem> items_;
};

#define TNAS_SIM_VERRORS_CHECK(v)          \
  do {                                     \
    if (!(v).empty()) return (v).status(); \
  } while (false)

}  // namespace tnascsi::sim
