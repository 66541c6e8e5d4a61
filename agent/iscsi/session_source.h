// SessionSource: where IscsidInitiator reads the kernel's iSCSI sessions from.
//  - SysfsSessionSource walks <sysfsRoot>/class/iscsi_session and iscsi_connection directly
//    (used with a fake sysfs tree in tests, and as a fallback).
//  - OpeniscsiusrSessionSource lists sessions with libopeniscsiusr (iscsi_sessions_get) and adds
//    from sysfs what the library lacks (SCSI host number, session state, initiator name).
// Both read fresh on every call (no caching) and are thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "agent/iscsi/initiator.h"
#include "common/base/status.h"

namespace tnascsi::agent {

class SessionSource {
 public:
  virtual ~SessionSource() = default;
  // Every session; an empty list when the iSCSI transport class is absent (module not loaded).
  virtual StatusOr<std::vector<IscsiSession>> list() = 0;
};

class SysfsSessionSource final : public SessionSource {
 public:
  explicit SysfsSessionSource(std::string sysfsRoot = "/sys");
  StatusOr<std::vector<IscsiSession>> list() override;

  // Reads session `sid` (NotFound if absent). Exposed for OpeniscsiusrSessionSource and tests.
  StatusOr<IscsiSession> read(int sid) const;

 private:
  std::string root_;
};

class OpeniscsiusrSessionSource final : public SessionSource {
 public:
  explicit OpeniscsiusrSessionSource(std::string sysfsRoot = "/sys");
  StatusOr<std::vector<IscsiSession>> list() override;

 private:
  SysfsSessionSource sysfs_;
};

// Normalises an address for comparison: lower case, IPv6 brackets removed.
std::string normalizeAddress(const std::string& address);

}  // namespace tnascsi::agent
