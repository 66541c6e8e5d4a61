// StateWriter: saves the simulator's state file off the call path. A mutation only marks the state
// dirty (O(1)); one background thread serialises the model and writes the file (writeFileAtomic:
// write, fsync, rename) at most once per `interval`, so a burst of N calls costs one write instead
// of N whole-state rewrites. flush() (called by stop() and the destructor) writes what is pending.
// A crash loses at most the last `interval` of changes; the simulator is a test stand-in, and a
// clean stop (SIGTERM, SimServer::stop) always flushes. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace tnascsi::sim {

class StateWriter {
 public:
  // `render` produces the whole file content (called on the writer thread or in flush()).
  StateWriter(std::string path, std::function<std::string()> render,
              std::chrono::milliseconds interval);
  ~StateWriter();
  StateWriter(const StateWriter&) = delete;
  StateWriter& operator=(const StateWriter&) = delete;

  void markDirty();
  // Writes now if anything is pending (synchronously, on the calling thread).
  void flush();
  // Number of files written so far (for tests and the README's cost figures).
  uint64_t writes() const;

 private:
  void loop();
  void writeNow();

  const std::string path_;
  const std::function<std::string()> render_;
  const std::chrono::milliseconds interval_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool dirty_ = false;
  bool stop_ = false;
  uint64_t writes_ = 0;
  std::mutex writeMu_;  // one writer of the file at a time
  std::thread thread_;
};

}  // namespace tnascsi::sim
