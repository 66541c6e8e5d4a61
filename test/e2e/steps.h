// Steps: a timed, printed sequence of named checks. Each scenario step runs a body that returns
// ok plus a one-line detail; the line is printed as soon as the step ends and the results are kept
// for the JSON report. Not thread-safe.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace tnascsi::e2e {

struct StepResult {
  std::string name;
  double ms = 0;
  bool ok = false;
  std::string detail;
};

class Steps {
 public:
  // Runs `body`, prints "  <name> <ms> ok|FAILED <detail>", records it; returns its result.
  bool step(const std::string& name, const std::function<bool(std::string*)>& body);

  const std::vector<StepResult>& results() const { return results_; }
  bool allOk() const;

  // Writes {"name":…,"ok":…,"steps":[…]} to `path`; false if it cannot.
  bool writeReport(const std::string& path, const std::string& name) const;

 private:
  std::vector<StepResult> results_;
};

// Writes {"name":…,"ok":…,"steps":[…]} to `path`; false if it cannot.
bool writeStepsReport(const std::string& path, const std::string& name, bool ok,
                      const std::vector<StepResult>& steps);

}  // namespace tnascsi::e2e
