// Tools of the fault scenarios that do not need CSI: running a command, polling, dropping the page
// cache, and a deterministic data pattern that a background writer (PatternWriter) can stream in
// fsynced chunks so a test can prove afterwards exactly which bytes survived a fault.
// Free functions are thread-safe; PatternWriter runs its own thread (progress readable meanwhile).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tnascsi::e2e {

// Runs argv (no shell); returns the exit status (-1 if it could not run) and its stdout+stderr.
int runCommand(const std::vector<std::string>& argv, std::string* output);

// Polls `done` every `pollMs` until it holds (returns the seconds waited) or `timeoutSec` passes
// (returns -1).
double waitUntil(const std::function<bool()>& done, double timeoutSec, int pollMs = 200);
// Syncs and drops the page cache so later reads come from the devices.
bool dropCaches(std::string* error);

// Deterministic pattern: byte at absolute offset `o` depends only on (seed, o).
void fillPattern(char* buf, size_t len, uint64_t seed, uint64_t offset);
// FNV-1a 64 of the pattern's first `bytes`, and of a file's first `bytes` ("" on read error).
std::string patternChecksum(uint64_t seed, uint64_t bytes);
std::string fileChecksum(const std::string& path, uint64_t bytes, std::string* error);
// Writes `bytes` of the pattern to `path` and fsyncs; false with *error on failure.
bool writePatternFile(const std::string& path, uint64_t bytes, uint64_t seed, std::string* error);

// Appends the pattern to a file in fsynced chunks on its own thread until stop().
class PatternWriter {
 public:
  PatternWriter(std::string path, uint64_t seed, size_t chunk);
  ~PatternWriter();
  void start();
  void stop();  // joins; the last chunk finishes first
  uint64_t bytesSynced() const { return synced_.load(); }
  std::string error() const;

 private:
  void loop();
  std::string path_;
  uint64_t seed_;
  size_t chunk_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> synced_{0};
  mutable std::mutex mu_;
  std::string error_;  // guarded by mu_
  std::thread thread_;
};

}  // namespace tnascsi::e2e
