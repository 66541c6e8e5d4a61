// Dispatcher: runs one API call for a session, in TrueNAS's order: call log, faults (pause,
// latency, drop, injected failure), authentication (only the no-auth methods before login),
// the unauthenticated rate limit, then core.* / auth.* here or the model's domain methods; job
// methods become jobs (reference §1.6) with core.get_jobs events. Wire encoding is not done
// here: results and ApiError Statuses go back to the connection.
// Thread-safe: calls may run concurrently from many connections.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/base/clock.h"
#include "test/truenas-sim/model/model.h"
#include "test/truenas-sim/protocol/session.h"
#include "test/truenas-sim/server/call_log.h"
#include "test/truenas-sim/server/faults.h"

namespace tnascsi::sim {

struct AuthOptions {
  std::string apiKey;               // "<id>-<64 alnum>"; the one key accepted
  std::string apiKeyUser = "root";  // its owner (auth.login_ex username)
  bool treatLoopbackInsecure = false;
  int rateLimitDelayMsMin = 0;  // TrueNAS sleeps 1000..10000 ms before EBUSY
  int rateLimitDelayMsMax = 0;
  int authFailDelayMs = 0;  // TrueNAS sleeps 1000..2000 ms after an unknown key
};

class Dispatcher {
 public:
  Dispatcher(Model& model, CallLog& log, Faults& faults, AuthOptions auth, common::Clock& clock);
  ~Dispatcher();

  // Runs `method`. Sets *drop when a drop_after_calls fault hits (no reply must be sent).
  StatusOr<Json> call(const std::shared_ptr<Session>& session, const std::string& method,
                      const Json& params, const Json& requestId, bool* drop);

  void addSession(const std::shared_ptr<Session>& session);
  bool keyRevoked() const { return keyRevoked_; }
  void setKeyRevoked(bool revoked) { keyRevoked_ = revoked; }
  // Called after revocation so the owner can persist it.
  void setOnAuthChange(std::function<void()> cb) { onAuthChange_ = std::move(cb); }
  // Checks a REST Bearer key (no revocation on this path, §1.4).
  bool checkBearer(const std::string& key) const;
  // Waits for running jobs; later jobs are refused.
  void shutdown();
  // Blocks while the pause fault is on (connections hold their legacy pings with it).
  void waitWhilePaused() { faults_.waitWhilePaused(); }

 private:
  bool knownMethod(const std::string& method) const;
  Status unknownMethod(const std::string& method) const;
  StatusOr<Json> callCore(const std::shared_ptr<Session>& s, const std::string& method,
                          const Json& params, const Json& requestId);
  StatusOr<Json> callAuth(const std::shared_ptr<Session>& s, const std::string& method,
                          const Json& params);
  StatusOr<Json> runJob(const std::shared_ptr<Session>& s, const std::string& method,
                        const Json& params, const Json& requestId);
  Status rateLimit(const std::string& method, const std::string& ip);
  bool keyMatches(const std::string& key) const;
  void publishJob(const std::string& msg, const Json& job);

  Model& model_;
  CallLog& log_;
  Faults& faults_;
  AuthOptions auth_;
  common::Clock& clock_;
  std::atomic<bool> keyRevoked_{false};
  std::function<void()> onAuthChange_;

  std::mutex rateMu_;
  std::map<std::string, std::deque<common::Clock::TimePoint>> rate_;  // "method|ip"
  std::deque<std::string> rateOrder_;

  std::mutex sessionsMu_;
  std::vector<std::weak_ptr<Session>> sessions_;

  std::mutex jobsMu_;
  std::condition_variable jobsCv_;
  std::map<int64_t, Json> jobs_;
  int64_t nextJobId_ = 1;
  std::vector<std::thread> jobThreads_;
  bool shuttingDown_ = false;
};

}  // namespace tnascsi::sim
