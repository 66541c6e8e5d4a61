// InitiatorReadiness: the node agent's Probe. Ready when iscsid answers on its management socket
// with a protocol layout the agent knows (IscsiInitiator::probe()); otherwise the reason says
// which iscsid was found and what to do. On nodes that serve only NFS (--iscsi=false) the agent
// is always ready.
#pragma once

#include "agent/iscsi/initiator.h"
#include "common/csi/identity_service.h"

namespace tnascsi::agent {

class InitiatorReadiness final : public common::ReadinessCheck {
 public:
  InitiatorReadiness(IscsiInitiator& initiator, bool iscsiRequired)
      : initiator_(initiator), iscsiRequired_(iscsiRequired) {}
  Status ready() override { return iscsiRequired_ ? initiator_.probe() : absl::OkStatus(); }

 private:
  IscsiInitiator& initiator_;
  bool iscsiRequired_;
};

}  // namespace tnascsi::agent
