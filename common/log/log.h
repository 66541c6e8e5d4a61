// Structured logging for both binaries. One line per event, logfmt by default
// (`time=… level=info src=file.cc:12 req=4f1c… msg="…" key=value`) or JSON lines.
//
//   TNAS_LOG(Info) << "staged volume";                    // message
//   TNAS_LOG(Warn).kv("volume", id).kv("attempt", n) << "login failed, retrying";
//   LogScope scope("req", requestId);                      // adds req=… to every line on this
//   thread
//
// Thread-safe: each line is formatted privately and written with one write(2). Never log a secret:
// API keys and CHAP secrets must not reach this module (tests grep the output for them).
#pragma once

#include <cstdint>
#include <functional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tnascsi::common {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class LogFormat { kText, kJson };

void setLogLevel(LogLevel level);
LogLevel logLevel();
void setLogFormat(LogFormat format);
// Accepts debug|info|warn|warning|error (case-insensitive); false if unknown.
bool parseLogLevel(std::string_view text, LogLevel* out);
bool parseLogFormat(std::string_view text, LogFormat* out);

inline bool logEnabled(LogLevel level) {
  return static_cast<int>(level) >= static_cast<int>(logLevel());
}

// Replaces the output (default: stderr). Used by tests to capture lines; pass nullptr to reset.
void setLogSinkForTest(std::function<void(const std::string&)> sink);

// One log line; emitted by the destructor.
class LogLine {
 public:
  LogLine(LogLevel level, const char* file, int line);
  ~LogLine();
  LogLine(const LogLine&) = delete;
  LogLine& operator=(const LogLine&) = delete;

  template <typename T>
  LogLine& operator<<(const T& value) {
    message_ << value;
    return *this;
  }
  LogLine& kv(std::string_view key, std::string_view value);
  LogLine& kv(std::string_view key, const char* value) { return kv(key, std::string_view(value)); }
  LogLine& kv(std::string_view key, const std::string& value) {
    return kv(key, std::string_view(value));
  }
  LogLine& kv(std::string_view key, int64_t value);
  LogLine& kv(std::string_view key, uint64_t value);
  LogLine& kv(std::string_view key, int value) { return kv(key, static_cast<int64_t>(value)); }
  LogLine& kv(std::string_view key, unsigned value) {
    return kv(key, static_cast<uint64_t>(value));
  }
  LogLine& kv(std::string_view key, long long value) {
    return kv(key, static_cast<int64_t>(value));
  }
  LogLine& kv(std::string_view key, unsigned long long value) {
    return kv(key, static_cast<uint64_t>(value));
  }
  LogLine& kv(std::string_view key, double value);
  LogLine& kv(std::string_view key, bool value) { return kv(key, value ? "true" : "false"); }

 private:
  LogLevel level_;
  const char* file_;
  int line_;
  std::ostringstream message_;
  std::vector<std::pair<std::string, std::string>> fields_;
};

// Adds key=value to every line logged by this thread while the scope lives. Nests.
class LogScope {
 public:
  LogScope(std::string key, std::string value);
  ~LogScope();
  LogScope(const LogScope&) = delete;
  LogScope& operator=(const LogScope&) = delete;
};

// A short random id for correlating the lines of one request.
std::string newRequestId();

}  // namespace tnascsi::common

#define TNAS_LOG(severity)                                                        \
  if (!::tnascsi::common::logEnabled(::tnascsi::common::LogLevel::k##severity)) { \
  } else                                                                          \
    ::tnascsi::common::LogLine(::tnascsi::common::LogLevel::k##severity, __FILE__, __LINE__)
