// Faults; see faults.h.
#include "test/truenas-sim/server/faults.h"

#include "test/truenas-sim/model/api_error.h"

namespace tnascsi::sim {

Status Faults::set(const Json& spec) {
  if (!spec.isObject()) return absl::InvalidArgumentError("faults must be a JSON object");
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [k, v] : spec.asObject()) {
    if (k == "latency_ms") {
      if (!v.isInt() || v.asInt() < 0) return absl::InvalidArgumentError("latency_ms: int >= 0");
      latencyMs_ = static_cast<int>(v.asInt());
    } else if (k == "drop_after_calls") {
      if (v.isNull()) {
        dropAfter_.reset();
      } else if (!v.isInt() || v.asInt() < 0) {
        return absl::InvalidArgumentError("drop_after_calls: int >= 0");
      } else {
        dropAfter_ = v.asInt();
      }
    } else if (k == "fail") {
      if (!v.isObject() || !v.value("method").isString()) {
        return absl::InvalidArgumentError("fail: object with method");
      }
      FailRule r;
      r.method = v.value("method").asString();
      r.code = v.value("code", "CallError").asString();
      if (r.code != "CallError" && r.code != "ValidationError" && r.code != "InstanceNotFound") {
        return absl::InvalidArgumentError("fail.code: CallError|ValidationError|InstanceNotFound");
      }
      r.errnum = static_cast<int>(v.value("errno", 14).asInt());
      r.message = v.value("message", "Injected failure").asString();
      r.times = v.value("times", 1).asInt();
      fails_.push_back(std::move(r));
    } else if (k == "drop_reply") {
      if (!v.isObject() || !v.value("method").isString()) {
        return absl::InvalidArgumentError("drop_reply: object with method");
      }
      const Json times = v.value("times", 1);
      if (!times.isInt() || times.asInt() < 0) {
        return absl::InvalidArgumentError("drop_reply.times: int >= 0");
      }
      replyDrops_.push_back(ReplyDropRule{v.value("method").asString(), times.asInt()});
    } else if (k == "pause") {
      if (!v.isBool()) return absl::InvalidArgumentError("pause: bool");
      paused_ = v.asBool();
      cv_.notify_all();
    } else {
      return absl::InvalidArgumentError("unknown fault: " + k);
    }
  }
  return absl::OkStatus();
}

void Faults::clear() {
  std::lock_guard<std::mutex> lock(mu_);
  latencyMs_ = 0;
  dropAfter_.reset();
  fails_.clear();
  replyDrops_.clear();
  paused_ = false;
  cv_.notify_all();
}

Json Faults::toJson() const {
  std::lock_guard<std::mutex> lock(mu_);
  Json out = Json::object();
  out.set("latency_ms", latencyMs_);
  out.set("drop_after_calls", dropAfter_ ? Json(*dropAfter_) : Json());
  out.set("pause", paused_);
  Json fails = Json::array();
  for (const auto& f : fails_) {
    Json j = Json::object();
    j.set("method", f.method);
    j.set("code", f.code);
    j.set("errno", f.errnum);
    j.set("message", f.message);
    j.set("times", f.times);
    fails.push(std::move(j));
  }
  out.set("fail", std::move(fails));
  Json drops = Json::array();
  for (const auto& d : replyDrops_) {
    Json j = Json::object();
    j.set("method", d.method);
    j.set("times", d.times);
    drops.push(std::move(j));
  }
  out.set("drop_reply", std::move(drops));
  return out;
}

void Faults::waitWhilePaused() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return !paused_ || released_; });
}

void Faults::release() {
  std::lock_guard<std::mutex> lock(mu_);
  released_ = true;
  cv_.notify_all();
}

int Faults::latencyMs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return latencyMs_;
}

bool Faults::takeDrop() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!dropAfter_) return false;
  if (*dropAfter_ > 0) {
    --*dropAfter_;
    return false;
  }
  dropAfter_.reset();
  return true;
}

std::optional<Status> Faults::takeFailure(const std::string& method) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = fails_.begin(); it != fails_.end(); ++it) {
    if (it->method != method) continue;
    Status s;
    if (it->code == "ValidationError") {
      s = validationError(method, it->message, it->errnum);
    } else if (it->code == "InstanceNotFound") {
      s = validationError(std::nullopt, it->message, 2);
    } else {
      s = callError(it->message, it->errnum);
    }
    if (it->times > 0 && --it->times == 0) fails_.erase(it);
    return s;
  }
  return std::nullopt;
}

bool Faults::takeReplyDrop(const std::string& method) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = replyDrops_.begin(); it != replyDrops_.end(); ++it) {
    if (it->method != method) continue;
    if (it->times > 0 && --it->times == 0) replyDrops_.erase(it);
    return true;
  }
  return false;
}

}  // namespace tnascsi::sim
