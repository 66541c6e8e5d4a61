// Timed, printed steps and their JSON report (see steps.h).
#include "test/e2e/steps.h"

#include <chrono>
#include <cstdio>
#include <fstream>

namespace tnascsi::e2e {
namespace {

std::string jsonEscape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      o += '\\';
      o += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      o += ' ';
    } else {
      o += c;
    }
  }
  return o;
}

}  // namespace

bool Steps::step(const std::string& name, const std::function<bool(std::string*)>& body) {
  auto t0 = std::chrono::steady_clock::now();
  StepResult r;
  r.name = name;
  r.ok = body(&r.detail);
  r.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::printf("  %-40s %8.0f ms  %s%s\n", name.c_str(), r.ms, r.ok ? "ok" : "FAILED",
              r.detail.empty() ? "" : ("  " + r.detail).c_str());
  std::fflush(stdout);
  results_.push_back(r);
  return r.ok;
}

bool Steps::allOk() const {
  for (const auto& r : results_) {
    if (!r.ok) return false;
  }
  return !results_.empty();
}

bool Steps::writeReport(const std::string& path, const std::string& name) const {
  return writeStepsReport(path, name, allOk(), results_);
}

bool writeStepsReport(const std::string& path, const std::string& name, bool ok,
                      const std::vector<StepResult>& steps) {
  std::ofstream out(path);
  out << "{\"name\":\"" << jsonEscape(name) << "\",\"ok\":" << (ok ? "true" : "false")
      << ",\"steps\":[";
  for (size_t i = 0; i < steps.size(); ++i) {
    const auto& s = steps[i];
    out << (i ? "," : "") << "{\"name\":\"" << jsonEscape(s.name) << "\",\"ms\":" << s.ms
        << ",\"ok\":" << (s.ok ? "true" : "false") << ",\"detail\":\"" << jsonEscape(s.detail)
        << "\"}";
  }
  out << "]}\n";
  return static_cast<bool>(out);
}

}  // namespace tnascsi::e2e
