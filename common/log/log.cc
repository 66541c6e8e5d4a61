// Implementation of the structured logger (see log.h).
#include "common/log/log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <random>

namespace tnascsi::common {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::atomic<int> g_format{static_cast<int>(LogFormat::kText)};
std::mutex g_sink_mu;
std::function<void(const std::string&)>* g_sink = nullptr;  // guarded by g_sink_mu

thread_local std::vector<std::pair<std::string, std::string>> t_scope;

const char* levelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool needsQuotes(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
      return true;
    }
  }
  return false;
}

void appendEscaped(std::string& out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
}

void appendText(std::string& out, std::string_view key, std::string_view value) {
  if (!out.empty()) out += ' ';
  out += key;
  out += '=';
  if (needsQuotes(value)) {
    out += '"';
    appendEscaped(out, value);
    out += '"';
  } else {
    out += value;
  }
}

void appendJson(std::string& out, std::string_view key, std::string_view value) {
  out += out.size() > 1 ? ",\"" : "\"";
  appendEscaped(out, key);
  out += "\":\"";
  appendEscaped(out, value);
  out += '"';
}

std::string timestamp() {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

const char* baseName(const char* path) {
  const char* base = path;
  for (const char* p = path; *p; ++p) {
    if (*p == '/') base = p + 1;
  }
  return base;
}

}  // namespace

void setLogLevel(LogLevel level) {
  g_level = static_cast<int>(level);
}
LogLevel logLevel() {
  return static_cast<LogLevel>(g_level.load(std::memory_order_relaxed));
}
void setLogFormat(LogFormat format) {
  g_format = static_cast<int>(format);
}

bool parseLogLevel(std::string_view text, LogLevel* out) {
  std::string t = lower(text);
  if (t == "debug") {
    *out = LogLevel::kDebug;
  } else if (t == "info") {
    *out = LogLevel::kInfo;
  } else if (t == "warn" || t == "warning") {
    *out = LogLevel::kWarn;
  } else if (t == "error") {
    *out = LogLevel::kError;
  } else {
    return false;
  }
  return true;
}

bool parseLogFormat(std::string_view text, LogFormat* out) {
  std::string t = lower(text);
  if (t == "text" || t == "logfmt") {
    *out = LogFormat::kText;
  } else if (t == "json") {
    *out = LogFormat::kJson;
  } else {
    return false;
  }
  return true;
}

void setLogSinkForTest(std::function<void(const std::string&)> sink) {
  std::lock_guard<std::mutex> lock(g_sink_mu);
  delete g_sink;
  g_sink = sink ? new std::function<void(const std::string&)>(std::move(sink)) : nullptr;
}

LogLine::LogLine(LogLevel level, const char* file, int line)
    : level_(level), file_(file), line_(line) {}

LogLine& LogLine::kv(std::string_view key, std::string_view value) {
  fields_.emplace_back(std::string(key), std::string(value));
  return *this;
}
LogLine& LogLine::kv(std::string_view key, int64_t value) {
  return kv(key, std::string_view(std::to_string(value)));
}
LogLine& LogLine::kv(std::string_view key, uint64_t value) {
  return kv(key, std::string_view(std::to_string(value)));
}
LogLine& LogLine::kv(std::string_view key, double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", value);
  return kv(key, std::string_view(buf));
}

LogLine::~LogLine() {
  const bool json = static_cast<LogFormat>(g_format.load()) == LogFormat::kJson;
  std::string src = std::string(baseName(file_)) + ":" + std::to_string(line_);
  std::string out;
  auto add = [&](std::string_view k, std::string_view v) {
    json ? appendJson(out, k, v) : appendText(out, k, v);
  };
  if (json) out = "{";
  add("time", timestamp());
  add("level", levelName(level_));
  add("src", src);
  for (const auto& [k, v] : t_scope) add(k, v);
  add("msg", message_.str());
  for (const auto& [k, v] : fields_) add(k, v);
  if (json) out += '}';
  out += '\n';

  std::lock_guard<std::mutex> lock(g_sink_mu);
  if (g_sink != nullptr) {
    (*g_sink)(out);
    return;
  }
  // One write so concurrent lines never interleave; stderr is unbuffered.
  ssize_t ignored = ::write(STDERR_FILENO, out.data(), out.size());
  (void)ignored;
}

LogScope::LogScope(std::string key, std::string value) {
  t_scope.emplace_back(std::move(key), std::move(value));
}
LogScope::~LogScope() {
  t_scope.pop_back();
}

std::string newRequestId() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* hex = "0123456789abcdef";
  uint64_t v = rng();
  std::string id(12, '0');
  for (char& c : id) {
    c = hex[v & 0xf];
    v >>= 4;
  }
  return id;
}

}  // namespace tnascsi::common
