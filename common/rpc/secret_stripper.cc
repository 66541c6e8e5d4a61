// Secret stripping by protobuf reflection (see secret_stripper.h).
#include "common/rpc/secret_stripper.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/reflection.h>

#include <memory>

#include "proto/csi.pb.h"

namespace tnascsi::common {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

constexpr const char* kMask = "***stripped***";

void maskField(Message* message, const FieldDescriptor* field) {
  const Reflection* refl = message->GetReflection();
  if (field->is_map()) {
    // Keep the keys (they name the secret, they are not the secret); mask the values.
    int n = refl->FieldSize(*message, field);
    const FieldDescriptor* valueField = field->message_type()->map_value();
    for (int i = 0; i < n; ++i) {
      Message* entry = refl->MutableRepeatedMessage(message, field, i);
      if (valueField->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
        entry->GetReflection()->SetString(entry, valueField, kMask);
      } else {
        entry->GetReflection()->ClearField(entry, valueField);
      }
    }
    return;
  }
  if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
    if (field->is_repeated()) {
      for (int i = 0; i < refl->FieldSize(*message, field); ++i) {
        refl->SetRepeatedString(message, field, i, kMask);
      }
    } else if (refl->HasField(*message, field) || !refl->GetString(*message, field).empty()) {
      refl->SetString(message, field, kMask);
    }
    return;
  }
  refl->ClearField(message, field);
}

void walk(Message* message) {
  const Reflection* refl = message->GetReflection();
  const auto* desc = message->GetDescriptor();
  for (int i = 0; i < desc->field_count(); ++i) {
    const FieldDescriptor* field = desc->field(i);
    if (field->options().GetExtension(csi::v1::csi_secret)) {
      maskField(message, field);
      continue;
    }
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || field->is_map()) continue;
    if (field->is_repeated()) {
      for (int j = 0; j < refl->FieldSize(*message, field); ++j) {
        walk(refl->MutableRepeatedMessage(message, field, j));
      }
    } else if (refl->HasField(*message, field)) {
      walk(refl->MutableMessage(message, field));
    }
  }
}

}  // namespace

void stripSecrets(Message* message) {
  walk(message);
}

std::string sanitizedText(const Message& message) {
  std::unique_ptr<Message> copy(message.New());
  copy->CopyFrom(message);
  walk(copy.get());
  return copy->ShortDebugString();
}

}  // namespace tnascsi::common
