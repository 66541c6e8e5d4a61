// Error decoding table: every error shape of reference §1.2/§1.3/§1.6, both protocols.
#include "controller/truenas/rpc_error.h"

#include <gtest/gtest.h>

#include "controller/truenas/json_util.h"

namespace tnascsi::controller::truenas {
namespace {

struct ErrorCase {
  const char* name;
  bool legacy;
  const char* json;
  StatusCode code;
  const char* messagePart;
};

class ErrorDecodeTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ErrorDecodeTest, Decodes) {
  const ErrorCase& c = GetParam();
  StatusOr<json::Var> v = json::parse(c.json);
  ASSERT_TRUE(v.ok()) << c.name;
  Status st = c.legacy ? decodeLegacyError(*v) : decodeJsonRpcError(*v);
  EXPECT_EQ(st.code(), c.code) << c.name << ": " << st;
  EXPECT_NE(st.message().find(c.messagePart), std::string::npos)
      << c.name << ": \"" << st.message() << "\" lacks \"" << c.messagePart << "\"";
}

INSTANTIATE_TEST_SUITE_P(
    AllShapes, ErrorDecodeTest,
    ::testing::Values(
        // JSON-RPC -32602 validation: data.error is 22, the real errno is in extra.
        ErrorCase{
            "rpc_validation_unique", false,
            R"({"code":-32602,"message":"Invalid params","data":{"error":22,"errname":"EINVAL",
                  "reason":"[EINVAL] iscsi_extent_create.name: Extent name must be unique\n",
                  "extra":[["iscsi_extent_create.name","Extent name must be unique",22]]}})",
            StatusCode::kAlreadyExists, "iscsi_extent_create.name: Extent name must be unique"},
        ErrorCase{
            "rpc_validation_plain", false,
            R"({"code":-32602,"message":"Invalid params","data":{"error":22,"errname":"EINVAL",
                  "reason":"x","extra":[["pool_dataset_create.volsize",
                  "Volume size should be a multiple of volume block size",22]]}})",
            StatusCode::kInvalidArgument, "pool_dataset_create.volsize: Volume size"},
        ErrorCase{
            "rpc_instance_not_found", false,
            R"({"code":-32602,"message":"Invalid params","data":{"error":22,"errname":"EINVAL",
                  "reason":"[ENOENT] None: PoolDataset tank/x does not exist",
                  "extra":[[null,"PoolDataset tank/x does not exist",2]]}})",
            StatusCode::kNotFound, "PoolDataset tank/x does not exist"},
        ErrorCase{"rpc_validation_eexist_errno", false,
                  R"({"code":-32602,"message":"Invalid params","data":{"error":22,
                  "extra":[["name","dup",17]]}})",
                  StatusCode::kAlreadyExists, "name: dup"},
        ErrorCase{
            "rpc_validation_dependent_clones", false,
            R"({"code":-32602,"message":"Invalid params","data":{"error":22,"extra":[["options.defer",
                  "Please set this attribute as 'tank/a@s' snapshot has dependent clones: tank/b",22]]}})",
            StatusCode::kFailedPrecondition, "dependent clones"},
        ErrorCase{
            "rpc_validation_no_extra", false,
            R"({"code":-32602,"message":"Invalid params","data":{"error":22,"reason":"bad thing"}})",
            StatusCode::kInvalidArgument, "bad thing"},
        ErrorCase{
            "rpc_call_error_enoent", false,
            R"({"code":-32001,"message":"Method call error","data":{"error":2,"errname":"ENOENT",
                  "reason":"[ENOENT] Dataset not found","extra":null}})",
            StatusCode::kNotFound, "Dataset not found"},
        ErrorCase{
            "rpc_call_error_eexist", false,
            R"({"code":-32001,"message":"Method call error","data":{"error":17,"errname":"EEXIST",
                  "reason":"[EEXIST] Failed to snapshot tank/ds@snap: dataset already exists"}})",
            StatusCode::kAlreadyExists, "Failed to snapshot"},
        ErrorCase{
            "rpc_call_error_efault_exists_text", false,
            R"({"code":-32001,"message":"Method call error","data":{"error":14,"errname":"EFAULT",
                  "reason":"[EFAULT] Failed to create dataset: dataset already exists"}})",
            StatusCode::kAlreadyExists, "Failed to create dataset"},
        ErrorCase{
            "rpc_call_error_ebusy", false,
            R"({"code":-32001,"message":"Method call error","data":{"error":16,"errname":"EBUSY",
                  "reason":"[EBUSY] dataset is busy"}})",
            StatusCode::kUnavailable, "dataset is busy"},
        ErrorCase{
            "rpc_rate_limit", false,
            R"({"code":-32001,"message":"Method call error","data":{"error":16,"errname":"EBUSY",
                  "reason":"[EBUSY] Rate Limit Exceeded"}})",
            StatusCode::kUnavailable, "Rate Limit Exceeded"},
        ErrorCase{"rpc_enotempty", false,
                  R"({"code":-32001,"message":"Method call error","data":{"error":39,
                  "reason":"[ENOTEMPTY] Failed to delete dataset: cannot destroy 'x': filesystem has children"}})",
                  StatusCode::kFailedPrecondition, "has children"},
        ErrorCase{"rpc_not_a_clone", false,
                  R"({"code":-32001,"message":"Method call error","data":{"error":74,
                  "reason":"[EBADMSG] Only cloned datasets can be promoted."}})",
                  StatusCode::kFailedPrecondition, "Only cloned"},
        ErrorCase{"rpc_target_in_use", false,
                  R"({"code":-32001,"message":"Method call error","data":{"error":14,
                  "reason":"[EFAULT] Target pvc-1 is in use."}})",
                  StatusCode::kFailedPrecondition, "is in use"},
        ErrorCase{"rpc_not_authenticated", false,
                  R"({"code":-32001,"message":"Method call error","data":{"error":207,
                  "errname":"ENOTAUTHENTICATED","reason":"Not authenticated"}})",
                  StatusCode::kUnauthenticated, "Not authenticated"},
        ErrorCase{
            "rpc_eacces", false,
            R"({"code":-32001,"message":"Method call error","data":{"error":13,"reason":"Not authorized"}})",
            StatusCode::kPermissionDenied, "Not authorized"},
        ErrorCase{
            "rpc_etimedout", false,
            R"({"code":-32001,"message":"Method call error","data":{"error":110,"reason":"timed out"}})",
            StatusCode::kDeadlineExceeded, "timed out"},
        ErrorCase{"rpc_generic_efault", false,
                  R"({"code":-32001,"message":"Method call error","data":{"error":14,
                  "reason":"[EFAULT] Failed to rollback snapshot: boom"}})",
                  StatusCode::kInternal, "Failed to rollback snapshot: boom"},
        ErrorCase{
            "rpc_too_busy", false,
            R"({"code":-32000,"message":"Maximum number of concurrent calls (20) has exceeded"})",
            StatusCode::kResourceExhausted, "Maximum number of concurrent calls"},
        ErrorCase{"rpc_method_not_found", false,
                  R"({"code":-32601,"message":"Method does not exist"})",
                  StatusCode::kUnimplemented, "Method does not exist"},
        ErrorCase{"rpc_internal", false, R"({"code":-32603,"message":"Internal error"})",
                  StatusCode::kInternal, "Internal error"},
        ErrorCase{"rpc_no_data", false, R"({"code":-32001,"message":"Method call error"})",
                  StatusCode::kInternal, "Method call error"},
        // EINVAL decides over the wording; MatchNotFound (a `get` query without a match,
        // EINVAL with the exception's repr) is absence.
        ErrorCase{
            "rpc_call_error_einval_not_found_text", false,
            R"({"code":-32001,"message":"Method call error","data":{"error":22,"errname":"EINVAL",
                  "reason":"[EINVAL] Group not found"}})",
            StatusCode::kInvalidArgument, "Group not found"},
        ErrorCase{
            "rpc_match_not_found", false,
            R"js({"code":-32001,"message":"Method call error","data":{"error":22,"errname":"EINVAL",
                  "reason":"[EINVAL] MatchNotFound()"}})js",
            StatusCode::kNotFound, "MatchNotFound"},
        ErrorCase{"rpc_not_object", false, R"([1,2])", StatusCode::kInternal, "malformed"},
        // Legacy /websocket error objects.
        ErrorCase{"legacy_validation", true,
                  R"({"error":11,"errname":"EAGAIN","type":"VALIDATION","reason":"x",
                  "extra":[["pool_dataset_create.name","Parent dataset does not exist for specified name",22]]})",
                  StatusCode::kInvalidArgument, "pool_dataset_create.name: Parent dataset"},
        ErrorCase{"legacy_validation_unique", true,
                  R"({"error":11,"type":"VALIDATION","reason":"x",
                  "extra":[["iscsi_target_create.name","Target with this name already exists",22]]})",
                  StatusCode::kAlreadyExists, "Target with this name already exists"},
        ErrorCase{
            "legacy_instance_not_found", true,
            R"({"error":2,"errname":"ENOENT","type":null,"reason":"[ENOENT] None: PoolDataset tank/x does not exist",
                  "extra":[[null,"PoolDataset tank/x does not exist",2]]})",
            StatusCode::kNotFound, "does not exist"},
        ErrorCase{
            "legacy_call_error", true,
            R"({"error":14,"errname":"EFAULT","type":null,"reason":"[EFAULT] Failed to clone snapshot: x"})",
            StatusCode::kInternal, "Failed to clone snapshot"},
        ErrorCase{
            "legacy_not_authenticated", true,
            R"({"error":207,"errname":"ENOTAUTHENTICATED","type":null,"reason":"Not authenticated"})",
            StatusCode::kUnauthenticated, "Not authenticated"},
        ErrorCase{"legacy_too_many", true,
                  R"({"error":109,"errname":"ETOOMANYREFS","type":null,"reason":"too many"})",
                  StatusCode::kResourceExhausted, "too many"},
        ErrorCase{"legacy_match_not_found", true,
                  R"js({"error":22,"errname":"EINVAL","type":null,"reason":"MatchNotFound()"})js",
                  StatusCode::kNotFound, "MatchNotFound"},
        ErrorCase{
            "legacy_einval_not_found_text", true,
            R"({"error":22,"errname":"EINVAL","type":null,"reason":"[EINVAL] User not found"})",
            StatusCode::kInvalidArgument, "User not found"},
        ErrorCase{"legacy_eacces", true,
                  R"({"error":13,"errname":"EACCES","reason":"Not authorized"})",
                  StatusCode::kPermissionDenied, "Not authorized"},
        ErrorCase{"legacy_no_method", true,
                  R"({"error":201,"errname":"ENOMETHOD","reason":"Method \"x.y\" not found"})",
                  StatusCode::kUnimplemented, "not found"}),
    [](const ::testing::TestParamInfo<ErrorCase>& p) { return std::string(p.param.name); });

TEST(JobErrorTest, ValidationFailureUsesExtra) {
  StatusOr<json::Var> v = json::parse(
      R"({"id":5,"state":"FAILED","error":"[EINVAL] x","exc_info":{"type":"VALIDATION","errno":22,
      "extra":[["service_control.service","Unknown service",22]]}})");
  ASSERT_TRUE(v.ok());
  Status st = decodeJobError(json::asObject(*v));
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("service_control.service: Unknown service"), std::string::npos);
}

TEST(JobErrorTest, CallErrorUsesErrno) {
  StatusOr<json::Var> v = json::parse(
      R"({"id":5,"state":"FAILED","error":"[ESERVICESTARTFAILURE] iscsitarget failed",
      "exc_info":{"type":"CallError","errno":202}})");
  ASSERT_TRUE(v.ok());
  Status st = decodeJobError(json::asObject(*v));
  EXPECT_EQ(st.code(), StatusCode::kInternal);
  EXPECT_NE(st.message().find("iscsitarget failed"), std::string::npos);
}

TEST(JobErrorTest, Aborted) {
  StatusOr<json::Var> v = json::parse(R"({"id":5,"state":"ABORTED","error":"aborted"})");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(decodeJobError(json::asObject(*v)).code(), StatusCode::kAborted);
}

TEST(ErrnoTest, Table) {
  EXPECT_EQ(codeForErrno(2, ""), StatusCode::kNotFound);
  EXPECT_EQ(codeForErrno(17, ""), StatusCode::kAlreadyExists);
  EXPECT_EQ(codeForErrno(16, ""), StatusCode::kUnavailable);
  EXPECT_EQ(codeForErrno(22, "bad"), StatusCode::kInvalidArgument);
  EXPECT_EQ(codeForErrno(205, ""), StatusCode::kFailedPrecondition);
  EXPECT_EQ(codeForErrno(210, ""), StatusCode::kUnavailable);
  EXPECT_EQ(codeForErrno(14, "something"), StatusCode::kInternal);
  EXPECT_EQ(codeForErrno(0, "LUN ID is already being used for this target."),
            StatusCode::kAlreadyExists);
}

}  // namespace
}  // namespace tnascsi::controller::truenas
