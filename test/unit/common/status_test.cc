// Tests for the errno mapping and annotate().
#include "common/base/status.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace tnascsi::common {
namespace {

TEST(ErrnoStatus, MapsCommonErrnos) {
  struct Case {
    int err;
    StatusCode code;
  } cases[] = {
      {ENOENT, StatusCode::kNotFound},
      {EEXIST, StatusCode::kAlreadyExists},
      {EACCES, StatusCode::kPermissionDenied},
      {EINVAL, StatusCode::kInvalidArgument},
      {ETIMEDOUT, StatusCode::kDeadlineExceeded},
      {EBUSY, StatusCode::kUnavailable},
      {ENOSPC, StatusCode::kResourceExhausted},
      {EIO, StatusCode::kInternal},
  };
  for (const auto& c : cases) {
    Status s = errnoStatus("open /x", c.err);
    EXPECT_EQ(s.code(), c.code) << c.err;
    EXPECT_NE(s.message().find("open /x: "), std::string::npos);
  }
}

TEST(Annotate, KeepsCodeAndPrefixesMessage) {
  Status s = annotate(absl::NotFoundError("no such zvol"), "create extent");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "create extent: no such zvol");
  EXPECT_TRUE(annotate(absl::OkStatus(), "x").ok());
}

StatusOr<int> half(int v) {
  if (v % 2) return absl::InvalidArgumentError("odd");
  return v / 2;
}

StatusOr<int> quarter(int v) {
  TNAS_ASSIGN_OR_RETURN(int h, half(v));
  TNAS_ASSIGN_OR_RETURN(int q, half(h));
  return q;
}

TEST(Macros, AssignOrReturnPropagates) {
  EXPECT_EQ(*quarter(8), 2);
  EXPECT_EQ(quarter(6).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tnascsi::common
