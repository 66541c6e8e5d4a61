// Tests for the iscsid error-number → Status mapping.
#include "agent/iscsi/iscsid_errors.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tnascsi::agent {
namespace {

struct ErrCase {
  int err;
  StatusCode code;
};

class ErrorsTest : public ::testing::TestWithParam<ErrCase> {};

TEST_P(ErrorsTest, MapsToCode) {
  Status st = iscsidErrorStatus(GetParam().err, "login to iqn.x at 1.2.3.4:3260");
  EXPECT_EQ(st.code(), GetParam().code) << st;
  EXPECT_THAT(std::string(st.message()), ::testing::HasSubstr("login to iqn.x"));
  EXPECT_THAT(std::string(st.message()), ::testing::HasSubstr(iscsidErrorName(GetParam().err)));
}

INSTANTIATE_TEST_SUITE_P(
    Table, ErrorsTest,
    ::testing::Values(
        ErrCase{2, StatusCode::kNotFound}, ErrCase{3, StatusCode::kResourceExhausted},
        ErrCase{4, StatusCode::kUnavailable}, ErrCase{5, StatusCode::kUnavailable},
        ErrCase{7, StatusCode::kInvalidArgument}, ErrCase{8, StatusCode::kUnavailable},
        ErrCase{12, StatusCode::kFailedPrecondition}, ErrCase{13, StatusCode::kPermissionDenied},
        ErrCase{15, StatusCode::kAlreadyExists}, ErrCase{18, StatusCode::kUnavailable},
        ErrCase{19, StatusCode::kFailedPrecondition}, ErrCase{20, StatusCode::kUnavailable},
        ErrCase{24, StatusCode::kUnauthenticated}, ErrCase{32, StatusCode::kUnavailable},
        ErrCase{1, StatusCode::kInternal}, ErrCase{99, StatusCode::kInternal}));

TEST(ErrorsTest, SuccessIsOk) {
  EXPECT_TRUE(iscsidErrorStatus(0, "x").ok());
}

TEST(ErrorsTest, Names) {
  EXPECT_EQ(iscsidErrorName(24), "ISCSI_ERR_LOGIN_AUTH_FAILED");
  EXPECT_EQ(iscsidErrorName(33), "ISCSI_ERR_REQ_TIMEDOUT");
  EXPECT_EQ(iscsidErrorName(77), "ISCSI_ERR_77");
}

}  // namespace
}  // namespace tnascsi::agent
