// Secrets never reach logs: every csi_secret field is masked, wherever it sits.
#include "common/rpc/secret_stripper.h"

#include <gtest/gtest.h>

#include "proto/csi.pb.h"

namespace tnascsi::common {
namespace {

TEST(SecretStripper, MasksSecretMapsInEveryRequestThatHasThem) {
  csi::v1::NodeStageVolumeRequest stage;
  stage.set_volume_id("vol-1");
  (*stage.mutable_secrets())["node.session.auth.password"] = "hunter2-chap-secret";
  (*stage.mutable_volume_context())["iqn"] = "iqn.2005-10.org.freenas.ctl:vol-1";
  std::string text = sanitizedText(stage);
  EXPECT_EQ(text.find("hunter2"), std::string::npos) << text;
  EXPECT_NE(text.find("***stripped***"), std::string::npos);
  EXPECT_NE(text.find("node.session.auth.password"), std::string::npos);  // keys kept
  EXPECT_NE(text.find("vol-1"), std::string::npos);                       // the rest kept
  // The original is untouched.
  EXPECT_EQ(stage.secrets().at("node.session.auth.password"), "hunter2-chap-secret");

  csi::v1::CreateVolumeRequest create;
  create.set_name("pvc-1");
  (*create.mutable_secrets())["chap-secret"] = "topsecretvalue1";
  EXPECT_EQ(sanitizedText(create).find("topsecretvalue1"), std::string::npos);

  csi::v1::ControllerPublishVolumeRequest publish;
  (*publish.mutable_secrets())["k"] = "publishsecret9";
  EXPECT_EQ(sanitizedText(publish).find("publishsecret9"), std::string::npos);

  csi::v1::CreateSnapshotRequest snap;
  (*snap.mutable_secrets())["k"] = "snapsecret77";
  EXPECT_EQ(sanitizedText(snap).find("snapsecret77"), std::string::npos);
}

TEST(SecretStripper, EverySecretFieldInTheProtoIsCovered) {
  // Walk every message type in csi.proto: fill each csi_secret field and check it is masked.
  const auto* file = csi::v1::CreateVolumeRequest::descriptor()->file();
  int checked = 0;
  for (int i = 0; i < file->message_type_count(); ++i) {
    const auto* desc = file->message_type(i);
    const auto* prototype =
        google::protobuf::MessageFactory::generated_factory()->GetPrototype(desc);
    std::unique_ptr<google::protobuf::Message> msg(prototype->New());
    bool any = false;
    for (int f = 0; f < desc->field_count(); ++f) {
      const auto* field = desc->field(f);
      if (!field->options().GetExtension(csi::v1::csi_secret) || !field->is_map()) continue;
      auto* entry = msg->GetReflection()->AddMessage(msg.get(), field);
      entry->GetReflection()->SetString(entry, field->message_type()->map_key(), "key");
      entry->GetReflection()->SetString(entry, field->message_type()->map_value(),
                                        "SECRET-VALUE-XYZ");
      any = true;
    }
    if (!any) continue;
    ++checked;
    EXPECT_EQ(sanitizedText(*msg).find("SECRET-VALUE-XYZ"), std::string::npos) << desc->name();
  }
  EXPECT_GE(checked, 10);  // CSI has secrets on over a dozen requests
}

}  // namespace
}  // namespace tnascsi::common
