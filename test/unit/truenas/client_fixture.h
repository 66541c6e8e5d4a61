// Shared fixture of the TrueNasClient unit tests: a FakeRpcTransport impersonating one release
// and a clock whose sleeps only advance time, so job polling runs without waiting.
#pragma once

#include <gtest/gtest.h>

#include <vector>

#include "common/base/clock.h"
#include "controller/truenas/truenas_client.h"
#include "test/fakes/truenas/fake_rpc_transport.h"

namespace tnascsi::controller::truenas {

// A clock whose sleeps only advance time (job polling without waiting).
class StepClock final : public common::Clock {
 public:
  TimePoint now() const override { return now_; }
  std::chrono::system_clock::time_point wallNow() const override { return {}; }
  void sleepFor(Duration d) override {
    now_ += d;
    sleeps.push_back(d);
  }
  std::vector<Duration> sleeps;  // every sleep, in order

 private:
  TimePoint now_ = TimePoint(std::chrono::hours(1));
};

struct Release {
  const char* version;
  const char* product;
  WireProtocol protocol;
};
inline const Release k1300{"TrueNAS-13.0-U6.8", "CORE", WireProtocol::kLegacyDdp};
inline const Release k2410{"TrueNAS-SCALE-24.10.2", "SCALE", WireProtocol::kLegacyDdp};
inline const Release k2504{"TrueNAS-25.04.2", "COMMUNITY_EDITION", WireProtocol::kJsonRpc};
inline const Release k2510{"TrueNAS-25.10.0", "COMMUNITY_EDITION", WireProtocol::kJsonRpc};

struct Fixture {
  explicit Fixture(const Release& r) : transport(r.version, r.product, r.protocol) {}
  FakeRpcTransport transport;
  StepClock clock;
  TrueNasClient client{transport, clock};

  FakeRpcTransport::Call only() {
    auto calls = transport.domainCalls();
    EXPECT_EQ(calls.size(), 1u);
    return calls.empty() ? FakeRpcTransport::Call{} : calls.back();
  }
};

}  // namespace tnascsi::controller::truenas
