// handleRpc: status mapping, exceptions, logging without secrets.
#include "common/rpc/rpc_handler.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "common/log/log.h"
#include "common/rpc/grpc_status.h"
#include "proto/csi.pb.h"

namespace tnascsi::common {
namespace {

class RpcHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setLogLevel(LogLevel::kDebug);
    setLogSinkForTest([this](const std::string& l) { lines_.push_back(l); });
  }
  void TearDown() override {
    setLogSinkForTest(nullptr);
    setLogLevel(LogLevel::kInfo);
  }
  std::string all() const {
    std::string s;
    for (const auto& l : lines_) s += l;
    return s;
  }
  std::vector<std::string> lines_;
};

TEST_F(RpcHandlerTest, MapsEveryStatusCodeOneToOne) {
  csi::v1::ProbeRequest req;
  for (int c = 1; c <= 16; ++c) {
    if (c == 2) continue;  // UNKNOWN is mapped to INTERNAL, tested below
    auto code = static_cast<StatusCode>(c);
    grpc::Status out = handleRpc("X", req, [&] { return Status(code, "why"); });
    EXPECT_EQ(static_cast<int>(out.error_code()), c);
    EXPECT_EQ(out.error_message(), "why");
  }
  EXPECT_TRUE(handleRpc("X", req, [] { return absl::OkStatus(); }).ok());
  EXPECT_EQ(handleRpc("X", req, [] { return absl::UnknownError("?"); }).error_code(),
            grpc::StatusCode::INTERNAL);
}

TEST_F(RpcHandlerTest, ExceptionsBecomeInternal) {
  csi::v1::ProbeRequest req;
  grpc::Status out = handleRpc("Boom", req, []() -> Status { throw std::runtime_error("bad"); });
  EXPECT_EQ(out.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_NE(out.error_message().find("bad"), std::string::npos);
  out = handleRpc("Boom", req, []() -> Status { throw 42; });
  EXPECT_EQ(out.error_code(), grpc::StatusCode::INTERNAL);
}

TEST_F(RpcHandlerTest, LogsMethodCodeDurationAndNoSecrets) {
  csi::v1::NodeStageVolumeRequest req;
  req.set_volume_id("vol-9");
  (*req.mutable_secrets())["password"] = "chap-secret-123";
  handleRpc("NodeStageVolume", req, [] { return absl::NotFoundError("no such LUN"); });
  std::string log = all();
  EXPECT_EQ(log.find("chap-secret-123"), std::string::npos) << log;
  EXPECT_NE(log.find("method=NodeStageVolume"), std::string::npos);
  EXPECT_NE(log.find("code=NOT_FOUND"), std::string::npos);
  EXPECT_NE(log.find("duration_ms="), std::string::npos);
  EXPECT_NE(log.find("vol-9"), std::string::npos);
  EXPECT_NE(log.find("level=warn"), std::string::npos);
  // Every line of one call carries the same request id.
  ASSERT_GE(lines_.size(), 2u);
  auto reqOf = [](const std::string& l) { return l.substr(l.find("req="), 16); };
  EXPECT_EQ(reqOf(lines_[0]), reqOf(lines_[1]));
}

TEST(GrpcStatus, RoundTrips) {
  Status s = absl::AlreadyExistsError("dup");
  EXPECT_EQ(fromGrpcStatus(toGrpcStatus(s)), s);
  EXPECT_TRUE(fromGrpcStatus(grpc::Status::OK).ok());
}

}  // namespace
}  // namespace tnascsi::common
