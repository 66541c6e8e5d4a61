// FakeRpcTransport: an in-memory RpcTransport for TrueNasClient unit tests. Replies are canned
// JSON text (or a Status) per method, consumed in order, with an optional sticky default per
// method; every call is recorded as (method, compact JSON of params). Thread-safe.
#pragma once

#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "controller/truenas/json_util.h"
#include "controller/truenas/rpc_transport.h"

namespace tnascsi::controller::truenas {

class FakeRpcTransport : public RpcTransport {
 public:
  struct Call {
    std::string method;
    std::string params;  // compact JSON
  };

  // A transport that answers system.version / system.product_type for the given release.
  FakeRpcTransport(const std::string& version, const std::string& productType,
                   WireProtocol protocol)
      : protocol_(protocol) {
    sticky_["system.version"] = "\"" + version + "\"";
    sticky_["system.product_type"] = "\"" + productType + "\"";
  }

  // Queues a JSON reply for the next call of `method`.
  void reply(const std::string& method, const std::string& jsonText) {
    std::lock_guard<std::mutex> lock(mu_);
    queued_[method].push_back(Reply{absl::OkStatus(), jsonText});
  }
  // Queues an error for the next call of `method`.
  void fail(const std::string& method, Status status) {
    std::lock_guard<std::mutex> lock(mu_);
    queued_[method].push_back(Reply{std::move(status), ""});
  }
  // Answers every call of `method` with `jsonText` once its queue is empty.
  void always(const std::string& method, const std::string& jsonText) {
    std::lock_guard<std::mutex> lock(mu_);
    sticky_[method] = jsonText;
  }

  StatusOr<json::Var> call(const std::string& method, const json::ArrayPtr& params,
                           Deadline deadline) override {
    (void)deadline;
    std::lock_guard<std::mutex> lock(mu_);
    calls_.push_back(Call{method, json::stringify(params)});
    auto& q = queued_[method];
    std::string text;
    if (!q.empty()) {
      Reply r = std::move(q.front());
      q.pop_front();
      if (!r.status.ok()) return r.status;
      text = r.json;
    } else if (auto it = sticky_.find(method); it != sticky_.end()) {
      text = it->second;
    } else {
      return absl::UnimplementedError("FakeRpcTransport: no reply for " + method);
    }
    // Poco's parser wants a container at the top level, as in a real reply envelope.
    StatusOr<json::Var> wrapped = json::parse("{\"r\":" + text + "}");
    if (!wrapped.ok()) return wrapped.status();
    return StatusOr<json::Var>(absl::in_place, json::get(json::asObject(*wrapped), "r"));
  }

  StatusOr<WireProtocol> protocol(Deadline) override { return protocol_; }
  uint64_t connectionGeneration() const override { return 1; }
  bool connected() const override { return true; }

  std::vector<Call> calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }
  // Calls other than the version probes.
  std::vector<Call> domainCalls() const {
    std::vector<Call> out;
    for (auto& c : calls()) {
      if (c.method != "system.version" && c.method != "system.product_type") out.push_back(c);
    }
    return out;
  }

 private:
  struct Reply {
    Status status;
    std::string json;
  };
  WireProtocol protocol_;
  mutable std::mutex mu_;
  std::map<std::string, std::deque<Reply>> queued_;
  std::map<std::string, std::string> sticky_;
  std::vector<Call> calls_;
};

}  // namespace tnascsi::controller::truenas
