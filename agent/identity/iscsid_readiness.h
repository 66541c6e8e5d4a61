// IscsidReadiness: what the node agent's Probe reports before the full initiator is wired: ready
// when iscsid's management socket (abstract @ISCSIADM_ABSTRACT_NAMESPACE, in this network
// namespace) accepts a connection. The reason otherwise tells the operator how to start iscsid.
#pragma once

#include <string>

#include "common/csi/identity_service.h"

namespace tnascsi::agent {

class IscsidReadiness final : public common::ReadinessCheck {
 public:
  // `socketName` is the abstract socket name without the leading NUL (tests use a unique one).
  explicit IscsidReadiness(std::string socketName = "ISCSIADM_ABSTRACT_NAMESPACE")
      : socketName_(std::move(socketName)) {}
  Status ready() override;

 private:
  std::string socketName_;
};

}  // namespace tnascsi::agent
