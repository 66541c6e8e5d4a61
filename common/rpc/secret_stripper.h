// Renders a protobuf message for logs with every field annotated `csi_secret` (the CSI spec's
// field option) replaced: map values and strings become "***stripped***", nested messages are
// walked. The only way request/response bodies reach a log. Thread-safe (pure).
#pragma once

#include <google/protobuf/message.h>

#include <string>

namespace tnascsi::common {

// A copy of `message` with its secret fields masked.
void stripSecrets(google::protobuf::Message* message);

// One-line text form of `message` with secrets masked.
std::string sanitizedText(const google::protobuf::Message& message);

}  // namespace tnascsi::common
