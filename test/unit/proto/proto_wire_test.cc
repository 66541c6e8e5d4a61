// Checks the CSI (spec v1.12.0) and kubelet plugin-registration protos against the published wire
// format. Every expected number and name below was taken from the published files
// (container-storage-interface/spec v1.12.0 csi.proto; kubernetes staging
// k8s.io/kubelet/pkg/apis/pluginregistration/v1/api.proto), not from this repository's copies.
#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "proto/csi.grpc.pb.h"
#include "proto/csi.pb.h"
#include "proto/pluginregistration.grpc.pb.h"
#include "proto/pluginregistration.pb.h"

namespace {

using google::protobuf::Descriptor;
using google::protobuf::DescriptorPool;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::ServiceDescriptor;

const DescriptorPool* pool() {
  return DescriptorPool::generated_pool();
}

struct FieldCase {
  const char* message;  // full message name
  const char* field;
  int number;
  bool secret;  // carries [(csi.v1.csi_secret) = true]
};

class FieldNumberTest : public ::testing::TestWithParam<FieldCase> {};

TEST_P(FieldNumberTest, MatchesPublishedSpec) {
  const FieldCase& c = GetParam();
  const Descriptor* msg = pool()->FindMessageTypeByName(c.message);
  ASSERT_NE(msg, nullptr) << c.message;
  const FieldDescriptor* f = msg->FindFieldByName(c.field);
  ASSERT_NE(f, nullptr) << c.message << "." << c.field;
  EXPECT_EQ(f->number(), c.number) << c.message << "." << c.field;
  EXPECT_EQ(f->options().GetExtension(csi::v1::csi_secret), c.secret)
      << c.message << "." << c.field;
}

INSTANTIATE_TEST_SUITE_P(
    Csi, FieldNumberTest,
    ::testing::Values(
        FieldCase{"csi.v1.GetPluginInfoResponse", "name", 1, false},
        FieldCase{"csi.v1.GetPluginInfoResponse", "vendor_version", 2, false},
        FieldCase{"csi.v1.GetPluginInfoResponse", "manifest", 3, false},
        FieldCase{"csi.v1.ProbeResponse", "ready", 1, false},
        FieldCase{"csi.v1.CreateVolumeRequest", "name", 1, false},
        FieldCase{"csi.v1.CreateVolumeRequest", "capacity_range", 2, false},
        FieldCase{"csi.v1.CreateVolumeRequest", "volume_capabilities", 3, false},
        FieldCase{"csi.v1.CreateVolumeRequest", "parameters", 4, false},
        FieldCase{"csi.v1.CreateVolumeRequest", "secrets", 5, true},
        FieldCase{"csi.v1.CreateVolumeRequest", "volume_content_source", 6, false},
        FieldCase{"csi.v1.CreateVolumeRequest", "accessibility_requirements", 7, false},
        FieldCase{"csi.v1.CreateVolumeRequest", "mutable_parameters", 8, false},
        FieldCase{"csi.v1.DeleteVolumeRequest", "secrets", 2, true},
        FieldCase{"csi.v1.ControllerPublishVolumeRequest", "node_id", 2, false},
        FieldCase{"csi.v1.ControllerPublishVolumeRequest", "readonly", 4, false},
        FieldCase{"csi.v1.ControllerPublishVolumeRequest", "secrets", 5, true},
        FieldCase{"csi.v1.ControllerPublishVolumeRequest", "volume_context", 6, false},
        FieldCase{"csi.v1.ControllerPublishVolumeResponse", "publish_context", 1, false},
        FieldCase{"csi.v1.ControllerUnpublishVolumeRequest", "secrets", 3, true},
        FieldCase{"csi.v1.ValidateVolumeCapabilitiesRequest", "secrets", 5, true},
        FieldCase{"csi.v1.ValidateVolumeCapabilitiesRequest", "mutable_parameters", 6, false},
        FieldCase{"csi.v1.ControllerModifyVolumeRequest", "secrets", 2, true},
        FieldCase{"csi.v1.ControllerModifyVolumeRequest", "mutable_parameters", 3, false},
        FieldCase{"csi.v1.ControllerExpandVolumeRequest", "secrets", 3, true},
        FieldCase{"csi.v1.ControllerExpandVolumeRequest", "volume_capability", 4, false},
        FieldCase{"csi.v1.ControllerExpandVolumeResponse", "node_expansion_required", 2, false},
        FieldCase{"csi.v1.CreateSnapshotRequest", "secrets", 3, true},
        FieldCase{"csi.v1.DeleteSnapshotRequest", "secrets", 2, true},
        FieldCase{"csi.v1.ListSnapshotsRequest", "secrets", 5, true},
        FieldCase{"csi.v1.GetSnapshotRequest", "secrets", 2, true},
        FieldCase{"csi.v1.Snapshot", "creation_time", 4, false},
        FieldCase{"csi.v1.Snapshot", "ready_to_use", 5, false},
        FieldCase{"csi.v1.Snapshot", "group_snapshot_id", 6, false},
        FieldCase{"csi.v1.Volume", "capacity_bytes", 1, false},
        FieldCase{"csi.v1.Volume", "volume_id", 2, false},
        FieldCase{"csi.v1.Volume", "volume_context", 3, false},
        FieldCase{"csi.v1.Volume", "content_source", 4, false},
        FieldCase{"csi.v1.Volume", "accessible_topology", 5, false},
        FieldCase{"csi.v1.VolumeCapability", "block", 1, false},
        FieldCase{"csi.v1.VolumeCapability", "mount", 2, false},
        FieldCase{"csi.v1.VolumeCapability", "access_mode", 3, false},
        FieldCase{"csi.v1.VolumeCapability.MountVolume", "fs_type", 1, false},
        FieldCase{"csi.v1.VolumeCapability.MountVolume", "mount_flags", 2, false},
        FieldCase{"csi.v1.VolumeCapability.MountVolume", "volume_mount_group", 3, false},
        FieldCase{"csi.v1.GetCapacityResponse", "maximum_volume_size", 2, false},
        FieldCase{"csi.v1.GetCapacityResponse", "minimum_volume_size", 3, false},
        FieldCase{"csi.v1.ListVolumesResponse.VolumeStatus", "volume_condition", 2, false},
        FieldCase{"csi.v1.NodeStageVolumeRequest", "publish_context", 2, false},
        FieldCase{"csi.v1.NodeStageVolumeRequest", "staging_target_path", 3, false},
        FieldCase{"csi.v1.NodeStageVolumeRequest", "volume_capability", 4, false},
        FieldCase{"csi.v1.NodeStageVolumeRequest", "secrets", 5, true},
        FieldCase{"csi.v1.NodeStageVolumeRequest", "volume_context", 6, false},
        FieldCase{"csi.v1.NodeUnstageVolumeRequest", "staging_target_path", 2, false},
        FieldCase{"csi.v1.NodePublishVolumeRequest", "target_path", 4, false},
        FieldCase{"csi.v1.NodePublishVolumeRequest", "volume_capability", 5, false},
        FieldCase{"csi.v1.NodePublishVolumeRequest", "readonly", 6, false},
        FieldCase{"csi.v1.NodePublishVolumeRequest", "secrets", 7, true},
        FieldCase{"csi.v1.NodePublishVolumeRequest", "volume_context", 8, false},
        FieldCase{"csi.v1.NodeGetVolumeStatsRequest", "staging_target_path", 3, false},
        FieldCase{"csi.v1.NodeGetVolumeStatsResponse", "volume_condition", 2, false},
        FieldCase{"csi.v1.VolumeUsage", "unit", 4, false},
        FieldCase{"csi.v1.NodeGetInfoResponse", "node_id", 1, false},
        FieldCase{"csi.v1.NodeGetInfoResponse", "max_volumes_per_node", 2, false},
        FieldCase{"csi.v1.NodeGetInfoResponse", "accessible_topology", 3, false},
        FieldCase{"csi.v1.NodeExpandVolumeRequest", "volume_capability", 5, false},
        FieldCase{"csi.v1.NodeExpandVolumeRequest", "secrets", 6, true},
        FieldCase{"csi.v1.CreateVolumeGroupSnapshotRequest", "secrets", 3, true},
        FieldCase{"csi.v1.DeleteVolumeGroupSnapshotRequest", "secrets", 3, true},
        FieldCase{"csi.v1.GetVolumeGroupSnapshotRequest", "secrets", 3, true},
        FieldCase{"csi.v1.GetMetadataAllocatedRequest", "secrets", 4, true},
        FieldCase{"csi.v1.GetMetadataDeltaRequest", "secrets", 5, true}));

// Every message field in the CSI file named "secrets" is a secret, and nothing else is.
TEST(CsiSecrets, ExactlyTheSecretsFieldsAreAnnotated) {
  const auto* file = csi::v1::CreateVolumeRequest::descriptor()->file();
  int secretFields = 0;
  std::vector<const Descriptor*> stack;
  for (int i = 0; i < file->message_type_count(); ++i) stack.push_back(file->message_type(i));
  while (!stack.empty()) {
    const Descriptor* d = stack.back();
    stack.pop_back();
    for (int i = 0; i < d->nested_type_count(); ++i) stack.push_back(d->nested_type(i));
    for (int i = 0; i < d->field_count(); ++i) {
      const FieldDescriptor* f = d->field(i);
      bool secret = f->options().GetExtension(csi::v1::csi_secret);
      EXPECT_EQ(secret, f->name() == "secrets") << f->full_name();
      if (secret) ++secretFields;
    }
  }
  // The published v1.12.0 file has 19 fields annotated csi_secret.
  EXPECT_EQ(secretFields, 19);
}

TEST(CsiExtensions, PublishedExtensionNumbers) {
  EXPECT_EQ(csi::v1::csi_secret.number(), 1059);
  EXPECT_EQ(csi::v1::alpha_field.number(), 1060);
  EXPECT_EQ(csi::v1::alpha_enum.number(), 1060);
  EXPECT_EQ(csi::v1::alpha_enum_value.number(), 1060);
  EXPECT_EQ(csi::v1::alpha_message.number(), 1060);
  EXPECT_EQ(csi::v1::alpha_method.number(), 1060);
  EXPECT_EQ(csi::v1::alpha_service.number(), 1060);
  EXPECT_EQ(csi::v1::CreateVolumeRequest::descriptor()->file()->package(), "csi.v1");
}

TEST(CsiExtensions, AlphaAnnotationsOnPublishedElements) {
  EXPECT_TRUE(pool()
                  ->FindMethodByName("csi.v1.Controller.GetSnapshot")
                  ->options()
                  .GetExtension(csi::v1::alpha_method));
  EXPECT_TRUE(pool()
                  ->FindMethodByName("csi.v1.Controller.ControllerGetVolume")
                  ->options()
                  .GetExtension(csi::v1::alpha_method));
  EXPECT_FALSE(pool()
                   ->FindMethodByName("csi.v1.Controller.ControllerModifyVolume")
                   ->options()
                   .GetExtension(csi::v1::alpha_method));
  EXPECT_TRUE(pool()
                  ->FindServiceByName("csi.v1.SnapshotMetadata")
                  ->options()
                  .GetExtension(csi::v1::alpha_service));
  EXPECT_TRUE(
      csi::v1::VolumeCondition::descriptor()->options().GetExtension(csi::v1::alpha_message));
  EXPECT_TRUE(csi::v1::NodeExpandVolumeRequest::descriptor()
                  ->FindFieldByName("secrets")
                  ->options()
                  .GetExtension(csi::v1::alpha_field));
  EXPECT_TRUE(csi::v1::VolumeCapability_AccessMode_Mode_descriptor()
                  ->FindValueByNumber(7)
                  ->options()
                  .GetExtension(csi::v1::alpha_enum_value));
  EXPECT_FALSE(csi::v1::VolumeCapability_AccessMode_Mode_descriptor()
                   ->FindValueByNumber(5)
                   ->options()
                   .GetExtension(csi::v1::alpha_enum_value));
}

struct OneofCase {
  const char* message;
  const char* oneof;
  std::vector<std::string> fields;
};

TEST(CsiOneofs, PublishedOneofs) {
  const std::vector<OneofCase> cases = {
      {"csi.v1.PluginCapability", "type", {"service", "volume_expansion"}},
      {"csi.v1.VolumeContentSource", "type", {"snapshot", "volume"}},
      {"csi.v1.VolumeCapability", "access_type", {"block", "mount"}},
      {"csi.v1.ControllerServiceCapability", "type", {"rpc"}},
      {"csi.v1.NodeServiceCapability", "type", {"rpc"}},
      {"csi.v1.GroupControllerServiceCapability", "type", {"rpc"}},
  };
  for (const auto& c : cases) {
    const Descriptor* d = pool()->FindMessageTypeByName(c.message);
    ASSERT_NE(d, nullptr) << c.message;
    ASSERT_EQ(d->real_oneof_decl_count(), 1) << c.message;
    const auto* o = d->oneof_decl(0);
    EXPECT_EQ(o->name(), c.oneof) << c.message;
    ASSERT_EQ(o->field_count(), static_cast<int>(c.fields.size())) << c.message;
    for (int i = 0; i < o->field_count(); ++i) EXPECT_EQ(o->field(i)->name(), c.fields[i]);
  }
  EXPECT_TRUE(csi::v1::CreateVolumeRequest::descriptor()->FindFieldByName("secrets")->is_map());
}

struct EnumCase {
  const char* value;
  int number;
};

void expectEnum(const EnumDescriptor* e, const std::vector<EnumCase>& values) {
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->value_count(), static_cast<int>(values.size())) << e->full_name();
  for (const auto& v : values) {
    const auto* ev = e->FindValueByName(v.value);
    ASSERT_NE(ev, nullptr) << e->full_name() << "." << v.value;
    EXPECT_EQ(ev->number(), v.number) << e->full_name() << "." << v.value;
  }
}

TEST(CsiEnums, ControllerCapabilityTypes) {
  expectEnum(csi::v1::ControllerServiceCapability_RPC_Type_descriptor(),
             {{"UNKNOWN", 0},
              {"CREATE_DELETE_VOLUME", 1},
              {"PUBLISH_UNPUBLISH_VOLUME", 2},
              {"LIST_VOLUMES", 3},
              {"GET_CAPACITY", 4},
              {"CREATE_DELETE_SNAPSHOT", 5},
              {"LIST_SNAPSHOTS", 6},
              {"CLONE_VOLUME", 7},
              {"PUBLISH_READONLY", 8},
              {"EXPAND_VOLUME", 9},
              {"LIST_VOLUMES_PUBLISHED_NODES", 10},
              {"VOLUME_CONDITION", 11},
              {"GET_VOLUME", 12},
              {"SINGLE_NODE_MULTI_WRITER", 13},
              {"MODIFY_VOLUME", 14},
              {"GET_SNAPSHOT", 15}});
}

TEST(CsiEnums, AccessModes) {
  expectEnum(csi::v1::VolumeCapability_AccessMode_Mode_descriptor(),
             {{"UNKNOWN", 0},
              {"SINGLE_NODE_WRITER", 1},
              {"SINGLE_NODE_READER_ONLY", 2},
              {"MULTI_NODE_READER_ONLY", 3},
              {"MULTI_NODE_SINGLE_WRITER", 4},
              {"MULTI_NODE_MULTI_WRITER", 5},
              {"SINGLE_NODE_SINGLE_WRITER", 6},
              {"SINGLE_NODE_MULTI_WRITER", 7}});
}

TEST(CsiEnums, NodeAndPluginCapabilities) {
  expectEnum(csi::v1::NodeServiceCapability_RPC_Type_descriptor(), {{"UNKNOWN", 0},
                                                                    {"STAGE_UNSTAGE_VOLUME", 1},
                                                                    {"GET_VOLUME_STATS", 2},
                                                                    {"EXPAND_VOLUME", 3},
                                                                    {"VOLUME_CONDITION", 4},
                                                                    {"SINGLE_NODE_MULTI_WRITER", 5},
                                                                    {"VOLUME_MOUNT_GROUP", 6}});
  expectEnum(csi::v1::PluginCapability_Service_Type_descriptor(),
             {{"UNKNOWN", 0},
              {"CONTROLLER_SERVICE", 1},
              {"VOLUME_ACCESSIBILITY_CONSTRAINTS", 2},
              {"GROUP_CONTROLLER_SERVICE", 3},
              {"SNAPSHOT_METADATA_SERVICE", 4}});
  expectEnum(csi::v1::PluginCapability_VolumeExpansion_Type_descriptor(),
             {{"UNKNOWN", 0}, {"ONLINE", 1}, {"OFFLINE", 2}});
  expectEnum(csi::v1::VolumeUsage_Unit_descriptor(), {{"UNKNOWN", 0}, {"BYTES", 1}, {"INODES", 2}});
  expectEnum(csi::v1::GroupControllerServiceCapability_RPC_Type_descriptor(),
             {{"UNKNOWN", 0}, {"CREATE_DELETE_GET_VOLUME_GROUP_SNAPSHOT", 1}});
  expectEnum(csi::v1::BlockMetadataType_descriptor(),
             {{"UNKNOWN", 0}, {"FIXED_LENGTH", 1}, {"VARIABLE_LENGTH", 2}});
}

// gRPC paths are "/<service full name>/<method>"; check the whole method list of each service.
void expectService(const ServiceDescriptor* s, const char* fullName,
                   const std::vector<std::string>& methods) {
  ASSERT_NE(s, nullptr) << fullName;
  EXPECT_EQ(s->full_name(), fullName);
  ASSERT_EQ(s->method_count(), static_cast<int>(methods.size())) << fullName;
  for (int i = 0; i < s->method_count(); ++i) {
    EXPECT_EQ("/" + s->full_name() + "/" + s->method(i)->name(),
              "/" + std::string(fullName) + "/" + methods[i]);
  }
}

TEST(CsiServices, FullNamesAndMethods) {
  EXPECT_STREQ(csi::v1::Identity::service_full_name(), "csi.v1.Identity");
  EXPECT_STREQ(csi::v1::Controller::service_full_name(), "csi.v1.Controller");
  EXPECT_STREQ(csi::v1::Node::service_full_name(), "csi.v1.Node");
  EXPECT_STREQ(csi::v1::GroupController::service_full_name(), "csi.v1.GroupController");
  EXPECT_STREQ(csi::v1::SnapshotMetadata::service_full_name(), "csi.v1.SnapshotMetadata");
  expectService(pool()->FindServiceByName("csi.v1.Identity"), "csi.v1.Identity",
                {"GetPluginInfo", "GetPluginCapabilities", "Probe"});
  expectService(
      pool()->FindServiceByName("csi.v1.Controller"), "csi.v1.Controller",
      {"CreateVolume", "DeleteVolume", "ControllerPublishVolume", "ControllerUnpublishVolume",
       "ValidateVolumeCapabilities", "ListVolumes", "GetCapacity", "ControllerGetCapabilities",
       "CreateSnapshot", "DeleteSnapshot", "ListSnapshots", "GetSnapshot", "ControllerExpandVolume",
       "ControllerGetVolume", "ControllerModifyVolume"});
  expectService(pool()->FindServiceByName("csi.v1.GroupController"), "csi.v1.GroupController",
                {"GroupControllerGetCapabilities", "CreateVolumeGroupSnapshot",
                 "DeleteVolumeGroupSnapshot", "GetVolumeGroupSnapshot"});
  expectService(pool()->FindServiceByName("csi.v1.SnapshotMetadata"), "csi.v1.SnapshotMetadata",
                {"GetMetadataAllocated", "GetMetadataDelta"});
  expectService(pool()->FindServiceByName("csi.v1.Node"), "csi.v1.Node",
                {"NodeStageVolume", "NodeUnstageVolume", "NodePublishVolume", "NodeUnpublishVolume",
                 "NodeGetVolumeStats", "NodeExpandVolume", "NodeGetCapabilities", "NodeGetInfo"});
  const auto* allocated = pool()->FindMethodByName("csi.v1.SnapshotMetadata.GetMetadataAllocated");
  ASSERT_NE(allocated, nullptr);
  EXPECT_TRUE(allocated->server_streaming());
  EXPECT_FALSE(allocated->client_streaming());
  EXPECT_EQ(pool()->FindMethodByName("csi.v1.Node.NodeGetInfo")->output_type()->full_name(),
            "csi.v1.NodeGetInfoResponse");
}

// Bytes on the wire, hand-encoded from the published field numbers and types.
TEST(CsiWire, NodeGetInfoResponseBytes) {
  csi::v1::NodeGetInfoResponse r;
  r.set_node_id("n1");
  r.set_max_volumes_per_node(300);
  (*r.mutable_accessible_topology()->mutable_segments())["z"] = "a";
  // 1:"n1" | 2:varint 300 | 3:{1:{1:"z",2:"a"}}
  const std::string expected("\x0a\x02n1\x10\xac\x02\x1a\x08\x0a\x06\x0a\x01z\x12\x01\x61", 17);
  EXPECT_EQ(r.SerializeAsString(), expected);
  csi::v1::NodeGetInfoResponse back;
  ASSERT_TRUE(back.ParseFromString(expected));
  EXPECT_EQ(back.max_volumes_per_node(), 300);
}

TEST(CsiWire, NodeStageVolumeRequestSecretsAreField5) {
  csi::v1::NodeStageVolumeRequest r;
  (*r.mutable_secrets())["k"] = "v";
  // field 5, length-delimited (tag 0x2a), map entry {1:"k", 2:"v"}
  EXPECT_EQ(r.SerializeAsString(), std::string("\x2a\x06\x0a\x01k\x12\x01v", 8));
}

TEST(CsiWire, AccessModeEnumOnTheWire) {
  csi::v1::VolumeCapability cap;
  cap.mutable_mount()->set_fs_type("ext4");
  cap.mutable_access_mode()->set_mode(
      csi::v1::VolumeCapability_AccessMode_Mode_SINGLE_NODE_MULTI_WRITER);
  // 2:{1:"ext4"} | 3:{1:varint 7}
  EXPECT_EQ(cap.SerializeAsString(), std::string("\x12\x06\x0a\x04\x65xt4\x1a\x02\x08\x07", 12));
}

TEST(PluginRegistration, FieldsAndService) {
  const std::vector<FieldCase> fields = {
      {"pluginregistration.PluginInfo", "type", 1, false},
      {"pluginregistration.PluginInfo", "name", 2, false},
      {"pluginregistration.PluginInfo", "endpoint", 3, false},
      {"pluginregistration.PluginInfo", "supported_versions", 4, false},
      {"pluginregistration.RegistrationStatus", "plugin_registered", 1, false},
      {"pluginregistration.RegistrationStatus", "error", 2, false},
  };
  for (const auto& c : fields) {
    const Descriptor* d = pool()->FindMessageTypeByName(c.message);
    ASSERT_NE(d, nullptr) << c.message;
    const FieldDescriptor* f = d->FindFieldByName(c.field);
    ASSERT_NE(f, nullptr) << c.message << "." << c.field;
    EXPECT_EQ(f->number(), c.number) << c.message << "." << c.field;
  }
  EXPECT_TRUE(pluginregistration::PluginInfo::descriptor()
                  ->FindFieldByName("supported_versions")
                  ->is_repeated());
  EXPECT_EQ(pluginregistration::InfoRequest::descriptor()->field_count(), 0);
  EXPECT_EQ(pluginregistration::RegistrationStatusResponse::descriptor()->field_count(), 0);
  EXPECT_STREQ(pluginregistration::Registration::service_full_name(),
               "pluginregistration.Registration");
  const auto* s = pool()->FindServiceByName("pluginregistration.Registration");
  expectService(s, "pluginregistration.Registration", {"GetInfo", "NotifyRegistrationStatus"});
  EXPECT_EQ(s->FindMethodByName("GetInfo")->input_type()->full_name(),
            "pluginregistration.InfoRequest");
  EXPECT_EQ(s->FindMethodByName("GetInfo")->output_type()->full_name(),
            "pluginregistration.PluginInfo");
  EXPECT_EQ(s->FindMethodByName("NotifyRegistrationStatus")->input_type()->full_name(),
            "pluginregistration.RegistrationStatus");
  EXPECT_EQ(s->FindMethodByName("NotifyRegistrationStatus")->output_type()->full_name(),
            "pluginregistration.RegistrationStatusResponse");
}

TEST(PluginRegistration, PluginInfoBytes) {
  pluginregistration::PluginInfo info;
  info.set_type("CSIPlugin");
  info.add_supported_versions("1.0.0");
  EXPECT_EQ(info.SerializeAsString(), std::string("\x0a\x09"
                                                  "CSIPlugin"
                                                  "\x22\x05"
                                                  "1.0.0",
                                                  18));
}

}  // namespace
