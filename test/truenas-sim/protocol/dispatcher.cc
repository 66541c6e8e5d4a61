// Dispatcher; see dispatcher.h.
#include "test/truenas-sim/protocol/dispatcher.h"

#include <cerrno>
#include <random>

#include "common/log/log.h"
#include "test/truenas-sim/model/api_error.h"
#include "test/truenas-sim/model/contract.h"
#include "test/truenas-sim/model/query.h"

namespace tnascsi::sim {
namespace {

// One name per line: the methods TrueNAS serves before authentication.
const std::set<std::string> kNoAuth = {
    "auth.login_with_api_key",  //
    "auth.login",               //
    "auth.login_ex",            //
    "auth.login_with_token",    //
    "core.ping",                //
    "core.set_options",         //
};
constexpr int kRateLimitCalls = 20;
constexpr auto kRateLimitWindow = std::chrono::seconds(60);
constexpr size_t kRateLimitCacheSize = 100;

int randomBetween(int lo, int hi) {
  if (hi <= lo) return lo;
  static thread_local std::mt19937 rng{std::random_device{}()};
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}

std::string newSubscriptionId() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[40];
  uint64_t a = rng(), b = rng();
  std::snprintf(buf, sizeof(buf), "%08x-%04x-4%03x-a%03x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>(a & 0xffff), static_cast<unsigned>((a >> 16) & 0xfff),
                static_cast<unsigned>(b & 0xfff),
                static_cast<unsigned long long>(b >> 16) & 0xffffffffffffULL);
  return buf;
}

}  // namespace

Dispatcher::Dispatcher(Model& model, CallLog& log, Faults& faults, AuthOptions auth,
                       common::Clock& clock)
    : model_(model), log_(log), faults_(faults), auth_(std::move(auth)), clock_(clock) {}

Dispatcher::~Dispatcher() {
  shutdown();
}

void Dispatcher::shutdown() {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(jobsMu_);
    shuttingDown_ = true;
    threads.swap(jobThreads_);
  }
  for (auto& t : threads) {
    if (t.joinable()) t.join();
  }
}

void Dispatcher::addSession(const std::shared_ptr<Session>& session) {
  std::lock_guard<std::mutex> lock(sessionsMu_);
  std::erase_if(sessions_, [](const std::weak_ptr<Session>& w) { return w.expired(); });
  sessions_.push_back(session);
}

bool Dispatcher::keyMatches(const std::string& key) const {
  return !auth_.apiKey.empty() && key == auth_.apiKey;
}

bool Dispatcher::checkBearer(const std::string& key) const {
  return keyMatches(key) && !keyRevoked_;
}

Status Dispatcher::rateLimit(const std::string& method, const std::string& ip) {
  const auto now = clock_.now();
  bool exceeded = false;
  {
    std::lock_guard<std::mutex> lock(rateMu_);
    const std::string key = method + "|" + ip;
    auto it = rate_.find(key);
    if (it == rate_.end()) {
      if (rate_.size() >= kRateLimitCacheSize && !rateOrder_.empty()) {
        rate_.erase(rateOrder_.front());
        rateOrder_.pop_front();
      }
      it = rate_.emplace(key, std::deque<common::Clock::TimePoint>{}).first;
      rateOrder_.push_back(key);
    }
    auto& q = it->second;
    while (!q.empty() && now - q.front() >= kRateLimitWindow) q.pop_front();
    if (static_cast<int>(q.size()) >= kRateLimitCalls) {
      exceeded = true;
    } else {
      q.push_back(now);
    }
  }
  if (!exceeded) return absl::OkStatus();
  int delay = randomBetween(auth_.rateLimitDelayMsMin, auth_.rateLimitDelayMsMax);
  if (delay > 0) clock_.sleepFor(std::chrono::milliseconds(delay));
  return callError("Rate Limit Exceeded", EBUSY);
}

StatusOr<Json> Dispatcher::call(const std::shared_ptr<Session>& s, const std::string& method,
                                const Json& params, const Json& requestId, bool* drop) {
  log_.record(method);
  log_.recordRequest(method, params);
  if (faults_.takeDrop()) {
    *drop = true;
    return Json();
  }
  faults_.waitWhilePaused();
  if (int ms = faults_.latencyMs(); ms > 0) clock_.sleepFor(std::chrono::milliseconds(ms));
  if (auto injected = faults_.takeFailure(method)) return *injected;

  // The method is looked up before authentication on every version: legacy (TS-24.10.2.4:
  // src/middlewared/middlewared/main.py:361-371, TN-13.0-U6.8:.../main.py:321-329) answers an
  // unknown one with ENOMETHOD "Method 'x' not found in 'svc'" / "Service 'svc' not found"
  // (utils/service/call.py:12-30); JSON-RPC with -32601 (TS-25.04.2.6:.../api/base/server/
  // ws_handler/rpc.py:309-314).
  const Personality& p = model_.personality();
  if (!knownMethod(method)) return unknownMethod(method);
  if (!s->authenticated) {
    const bool open = kNoAuth.count(method) > 0 || method == "auth.mechanism_choices";
    if (!open) {
      // CORE: EACCES (TN-13.0-U6.8:.../main.py:327-329); SCALE: ENOTAUTHENTICATED
      // (TS-24.10.2.4:.../main.py:400-402).
      return callError("Not authenticated", p.isCore() ? EACCES : kENOTAUTHENTICATED);
    }
    if (method != "core.set_options") TNAS_RETURN_IF_ERROR(rateLimit(method, s->remoteIp));
  }
  if (method.rfind("core.", 0) == 0) return callCore(s, method, params, requestId);
  if (method.rfind("auth.", 0) == 0) return callAuth(s, method, params);
  if (model_.personality().zfsSnapshotPrivate && method.rfind("zfs.snapshot.", 0) == 0) {
    TNAS_LOG(Warn).kv("method", method) << "private method called externally";
  }
  // The API description (test/truenas-api/api.json) is enforced before the model runs.
  TNAS_RETURN_IF_ERROR(Contract::builtIn().check(p.name, method, params));
  StatusOr<Json> result =
      model_.isJob(method) ? runJob(s, method, params, requestId) : model_.call(method, params);
  // A drop_reply fault: TrueNAS ran the call, the connection dies before the answer is sent.
  if (faults_.takeReplyDrop(method)) *drop = true;
  return result;
}

bool Dispatcher::knownMethod(const std::string& method) const {
  static const std::set<std::string> kCore = {"core.ping",      "core.set_options",
                                              "core.get_jobs",  "core.job_abort",
                                              "core.subscribe", "core.unsubscribe"};
  static const std::set<std::string> kAuth = {"auth.login", "auth.login_with_token", "auth.logout",
                                              "auth.me", "auth.login_with_api_key"};
  if (kCore.count(method) || kAuth.count(method) || model_.hasMethod(method)) return true;
  // auth.login_ex and auth.mechanism_choices (authentication_required=False):
  // TS-25.04.2.6:src/middlewared/middlewared/plugins/auth.py:625-642.
  return model_.personality().loginEx &&
         (method == "auth.login_ex" || method == "auth.mechanism_choices");
}

Status Dispatcher::unknownMethod(const std::string& method) const {
  const size_t dot = method.rfind('.');
  if (dot == std::string::npos) return methodNotFound("Invalid method name", EBADMSG);
  const std::string service = method.substr(0, dot);
  bool serviceKnown = service == "core" || service == "auth";
  serviceKnown |= model_.hasService(service);
  if (!serviceKnown) return methodNotFound("Service '" + service + "' not found", kENOMETHOD);
  return methodNotFound("Method '" + method.substr(dot + 1) + "' not found in '" + service + "'",
                        kENOMETHOD);
}

StatusOr<Json> Dispatcher::callCore(const std::shared_ptr<Session>& s, const std::string& method,
                                    const Json& params, const Json& requestId) {
  const Personality& p = model_.personality();
  if (method == "core.ping") return Json("pong");
  if (method == "core.set_options") {
    const Json opts = params.at(0);
    if (!opts.isObject()) return validationError("options", "Input should be a valid dictionary");
    if (p.setOptionsReturnsOptions) {
      for (const auto& [k, v] : opts.asObject()) {
        if (k != "legacy_jobs" && k != "private_methods" && k != "py_exceptions") {
          return validationError("options." + k, "Extra inputs are not permitted");
        }
        if (!v.isBool()) return validationError("options." + k, "Input should be a valid boolean");
      }
      if (const Json* v = opts.get("legacy_jobs")) s->legacyJobs = v->asBool();
      if (const Json* v = opts.get("private_methods")) s->privateMethods = v->asBool();
      if (const Json* v = opts.get("py_exceptions")) s->pyExceptions = v->asBool();
      Json out = Json::object();
      out.set("legacy_jobs", s->legacyJobs.load());
      out.set("private_methods", s->privateMethods.load());
      out.set("py_exceptions", s->pyExceptions.load());
      return out;
    }
    if (const Json* v = opts.get("py_exceptions")) s->pyExceptions = v->asBool();
    return Json();
  }
  if (method == "core.get_jobs") {
    std::vector<Json> rows;
    {
      std::lock_guard<std::mutex> lock(jobsMu_);
      for (const auto& [id, j] : jobs_) rows.push_back(j);
    }
    return runQuery(rows, params.at(0), params.at(1));
  }
  if (method == "core.job_abort") return Json();
  if (method == "core.subscribe") {
    if (s->wire != Wire::kJsonRpc) return methodNotFound();
    const std::string name = params.at(0).asString();
    const std::string id = newSubscriptionId();
    std::lock_guard<std::mutex> lock(s->mu);
    s->subscriptions[id] = name;
    return Json(id);
  }
  if (method == "core.unsubscribe") {
    std::lock_guard<std::mutex> lock(s->mu);
    s->subscriptions.erase(params.at(0).asString());
    return Json();
  }
  (void)requestId;
  return methodNotFound();
}

StatusOr<Json> Dispatcher::callAuth(const std::shared_ptr<Session>& s, const std::string& method,
                                    const Json& params) {
  const Personality& p = model_.personality();
  auto failDelay = [&] {
    if (auth_.authFailDelayMs > 0) {
      clock_.sleepFor(std::chrono::milliseconds(
          randomBetween(auth_.authFailDelayMs, auth_.authFailDelayMs * 2)));
    }
  };
  // The plain-key check shared by login_with_api_key and login_ex (25.04+ revokes the key when
  // it is presented over an insecure transport; §1.4).
  enum class KeyResult { kOk, kBad, kExpired };
  auto checkKey = [&](const std::string& key) {
    if (!keyMatches(key) || keyRevoked_)
      return keyMatches(key) ? KeyResult::kExpired : KeyResult::kBad;
    if (p.revokesPlainKeys && !s->secure) {
      keyRevoked_ = true;
      TNAS_LOG(Warn) << "API key revoked: it was sent over an insecure transport";
      if (onAuthChange_) onAuthChange_();
      return KeyResult::kExpired;
    }
    return KeyResult::kOk;
  };
  if (method == "auth.login_with_api_key") {
    if (!params.at(0).isString()) return validationError("api_key", "Not a string");
    KeyResult r = checkKey(params.at(0).asString());
    if (r != KeyResult::kOk) {
      if (r == KeyResult::kBad) failDelay();
      return Json(false);
    }
    s->authenticated = true;
    return Json(true);
  }
  if (method == "auth.login_ex" && p.loginEx) {
    const Json data = params.at(0);
    if (!data.isObject())
      return validationError("login_data", "Input should be a valid dictionary");
    const std::string mech = data.value("mechanism").asString();
    Json resp = Json::object();
    if (mech == "API_KEY_PLAIN") {
      for (const auto& [k, v] : data.asObject()) {
        bool known = k == "mechanism" || k == "username" || k == "login_options";
        known = known || k == "api_key";
        if (!known) {
          return validationError("login_data.API_KEY_PLAIN." + k, "Extra inputs are not permitted");
        }
      }
      if (!data.value("username").isString() || !data.value("api_key").isString()) {
        return validationError("login_data.API_KEY_PLAIN.api_key", "Field required");
      }
      if (data.value("username").asString() != auth_.apiKeyUser) {
        failDelay();
        resp.set("response_type", "AUTH_ERR");
        return resp;
      }
      KeyResult r = checkKey(data.value("api_key").asString());
      if (r == KeyResult::kBad) {
        failDelay();
        resp.set("response_type", "AUTH_ERR");
        return resp;
      }
      if (r == KeyResult::kExpired) {
        resp.set("response_type", "EXPIRED");
        return resp;
      }
      s->authenticated = true;
      resp.set("response_type", "SUCCESS");
      if (data.value("login_options").value("user_info", true).asBool()) {
        Json ui = Json::object();
        ui.set("pw_name", auth_.apiKeyUser);
        ui.set("pw_uid", auth_.apiKeyUser == "root" ? 0 : 950);
        ui.set("privilege", Json::object());
        resp.set("user_info", std::move(ui));
      } else {
        resp.set("user_info", nullptr);
      }
      resp.set("authenticator", "LEVEL_1");
      return resp;
    }
    if (mech == "PASSWORD_PLAIN" || mech == "TOKEN_PLAIN" || mech == "OTP_TOKEN") {
      failDelay();
      resp.set("response_type", "AUTH_ERR");
      return resp;
    }
    return validationError("login_data.mechanism",
                           "Input should be 'API_KEY_PLAIN', 'PASSWORD_PLAIN', 'TOKEN_PLAIN' or "
                           "'OTP_TOKEN'");
  }
  if (method == "auth.login" || method == "auth.login_with_token") {
    failDelay();
    return Json(false);
  }
  if (method == "auth.logout") {
    s->authenticated = false;
    return Json(true);
  }
  if (method == "auth.mechanism_choices") {
    // authentication_required=False, but an unauthenticated session has no credentials and the
    // method dereferences them (TS-25.04.2.6:src/middlewared/middlewared/plugins/auth.py:635,
    // TS-25.10.0:.../plugins/auth.py:639): the AttributeError reaches the caller as EINVAL with
    // its text (rpc.py:341-353). The official client falls back to API_KEY_PLAIN on exactly this
    // text (truenas/api_client truenas_api_client/auth_api_key.py, api_key_authenticate).
    if (!s->authenticated) {
      return callError("'NoneType' object has no attribute 'may_create_auth_token'", EINVAL);
    }
    // AA_LEVEL1 mechanisms (TS-25.04.2.6:src/middlewared/middlewared/utils/auth.py:71-78).
    Json out = Json::array();
    for (const char* m : {"API_KEY_PLAIN", "TOKEN_PLAIN", "PASSWORD_PLAIN"}) out.push(m);
    return out;
  }
  if (method == "auth.me") {
    Json me = Json::object();
    me.set("pw_name", auth_.apiKeyUser);
    me.set("pw_uid", auth_.apiKeyUser == "root" ? 0 : 950);
    me.set("account_attributes", Json::array());
    return me;
  }
  return methodNotFound();
}

void Dispatcher::publishJob(const std::string& msg, const Json& job) {
  std::vector<std::shared_ptr<Session>> targets;
  {
    std::lock_guard<std::mutex> lock(sessionsMu_);
    for (auto& w : sessions_) {
      if (auto s = w.lock()) targets.push_back(std::move(s));
    }
  }
  for (auto& s : targets) {
    if (s->subscribedTo("core.get_jobs")) s->notify("core.get_jobs", msg, job.value("id"), job);
  }
}

StatusOr<Json> Dispatcher::runJob(const std::shared_ptr<Session>& s, const std::string& method,
                                  const Json& params, const Json& requestId) {
  const Personality& p = model_.personality();
  const bool wait = p.legacyJobsOption && s->wire == Wire::kJsonRpc && !s->legacyJobs;
  const int64_t nowMs =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_.wallNow().time_since_epoch())
          .count();
  Json job = Json::object();
  int64_t id = 0;
  {
    std::lock_guard<std::mutex> lock(jobsMu_);
    if (shuttingDown_) return callError("Simulator is shutting down", ESHUTDOWN);
    id = nextJobId_++;
    job.set("id", id);
    if (p.legacyJobsOption) {
      Json mids = Json::array();
      if (!requestId.isNull()) mids.push(requestId);
      job.set("message_ids", std::move(mids));
    }
    job.set("method", method);
    job.set("arguments", params);
    job.set("transient", false);
    job.set("description", nullptr);
    job.set("abortable", false);
    job.set("logs_path", nullptr);
    job.set("logs_excerpt", nullptr);
    Json progress = Json::object();
    progress.set("percent", 0);
    progress.set("description", "");
    progress.set("extra", nullptr);
    job.set("progress", std::move(progress));
    job.set("result", nullptr);
    job.set("result_encoding_error", nullptr);
    job.set("error", nullptr);
    job.set("exception", nullptr);
    job.set("exc_info", nullptr);
    job.set("state", "RUNNING");
    job.set("time_started", Json::date(nowMs));
    job.set("time_finished", nullptr);
    Json creds = Json::object();
    creds.set("type", "API_KEY");
    Json cdata = Json::object();
    cdata.set("username", auth_.apiKeyUser);
    creds.set("data", std::move(cdata));
    job.set("credentials", std::move(creds));
    jobs_[id] = job;
  }
  publishJob("added", job);
  auto done = std::make_shared<std::pair<bool, Status>>(false, absl::OkStatus());
  auto resultHolder = std::make_shared<Json>();
  auto work = [this, id, method, params, done, resultHolder] {
    StatusOr<Json> r = model_.call(method, params);
    const int64_t endMs =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_.wallNow().time_since_epoch())
            .count();
    Json finished;
    {
      std::lock_guard<std::mutex> lock(jobsMu_);
      Json& j = jobs_[id];
      j.set("time_finished", Json::date(endMs));
      if (r.ok()) {
        j.set("state", "SUCCESS");
        j.set("result", *r);
        j["progress"].set("percent", 100);
        *resultHolder = *r;
      } else {
        ApiError e = apiErrorOf(r.status());
        const bool validation =
            e.kind == ErrorKind::kValidationErrors || e.kind == ErrorKind::kValidationError;
        j.set("state", "FAILED");
        j.set("error", reasonOf(e));
        j.set("exception", reasonOf(e));
        Json exc = Json::object();
        exc.set("repr", reasonOf(e));
        exc.set("type", validation ? "VALIDATION" : "CallError");
        exc.set("errno", validation ? 22 : e.errnum);
        exc.set("extra", extraOf(e));
        j.set("exc_info", std::move(exc));
      }
      done->first = true;
      done->second = r.status();
      finished = j;
      jobsCv_.notify_all();
    }
    publishJob("changed", finished);
  };
  {
    std::lock_guard<std::mutex> lock(jobsMu_);
    jobThreads_.emplace_back(work);
  }
  if (!wait) return Json(id);
  std::unique_lock<std::mutex> lock(jobsMu_);
  jobsCv_.wait(lock, [&] { return done->first; });
  if (!done->second.ok()) return done->second;
  return *resultHolder;
}

}  // namespace tnascsi::sim
