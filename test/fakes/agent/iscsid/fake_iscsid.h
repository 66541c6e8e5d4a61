// FakeIscsid: a stand-in for iscsid's management socket in tests. Listens on a unique abstract
// unix socket, reads exactly `requestSize` bytes per connection like iscsid (a short request gets
// no answer, just a close), answers each command with a canned iscsiadm_rsp_t, and records every
// complete request so tests can decode and assert the node record fields. One connection at a
// time, like iscsid's single-threaded loop. Thread-safe accessors.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/base/status.h"

namespace tnascsi::agent::testing {

class FakeIscsid {
 public:
  struct Canned {
    int32_t err = 0;
    std::string configVar;
    std::chrono::milliseconds delay{0};
  };

  explicit FakeIscsid(size_t requestSize);
  ~FakeIscsid();
  FakeIscsid(const FakeIscsid&) = delete;
  FakeIscsid& operator=(const FakeIscsid&) = delete;

  // Binds the socket and starts the serving thread.
  Status start();
  // Stops serving and closes the socket (later connects get ECONNREFUSED).
  void stop();

  const std::string& socketName() const { return socketName_; }

  void setRequestSize(size_t size);  // e.g. simulate an iscsid upgrade
  void setResponse(int32_t command, Canned canned);
  // Answer every connection with ISCSI_ERR_ACCESS before reading, like a refused caller.
  void setAccessDenied(bool denied);
  // Called with each complete request before answering (e.g. to create a fake sysfs session).
  void setOnRequest(std::function<void(const std::string&)> hook);

  std::vector<std::string> requests() const;
  int shortReads() const { return shortReads_.load(); }
  int connections() const { return connections_.load(); }

 private:
  void serve();
  void handle(int fd);

  std::string socketName_;
  int listenFd_ = -1;
  int wakeFd_[2] = {-1, -1};
  std::thread thread_;
  mutable std::mutex mu_;
  size_t requestSize_;                                 // guarded by mu_
  std::map<int32_t, Canned> canned_;                   // guarded by mu_
  bool accessDenied_ = false;                          // guarded by mu_
  std::function<void(const std::string&)> onRequest_;  // guarded by mu_
  std::vector<std::string> requests_;                  // guarded by mu_
  std::atomic<int> shortReads_{0};
  std::atomic<int> connections_{0};
};

}  // namespace tnascsi::agent::testing
