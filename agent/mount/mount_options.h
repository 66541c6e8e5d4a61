// Mount-option allow-lists. The agent runs privileged and mount options come from users
// (StorageClass mountOptions, PV mountOptions), so only options known to be harmless are accepted;
// anything else is InvalidArgument naming the option. Pure functions, thread-safe.
#pragma once

#include <string>
#include <vector>

#include "common/base/status.h"

namespace tnascsi::agent {

// Splits "a,b,c" into options, dropping empty items.
std::vector<std::string> splitOptions(const std::string& options);

// Joins options with ",".
std::string joinOptions(const std::vector<std::string>& options);

// Validates options for a local filesystem mount (ext4/xfs staging mounts, e.g. "noatime",
// "discard", "data=ordered"). Each item may itself be a comma list. InvalidArgument names the
// first option that is not allowed or carries forbidden characters.
Status validateFsMountOptions(const std::vector<std::string>& options);

// What a publish (a bind mount of the staging directory) applies from the capability's mount
// flags. Only per-mount VFS flags can differ between two mounts of one filesystem, so these are
// applied to the bind (bind, then MS_REMOUNT|MS_BIND|msFlags, as the kernel requires); every
// other option (ext4/xfs/NFS options, and superblock-wide flags such as "sync" or "lazytime")
// belongs to the staging mount and is listed in `ignored`, never an error.
struct BindFlags {
  unsigned long msFlags = 0;  // MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC and the atime flags
  bool readOnly = false;      // CSI readonly, or "ro" in the flags (the last of ro/rw wins)
  std::vector<std::string> ignored;  // options left to the staging mount, in request order

  // True when the flags ask for nothing but (possibly) read-only.
  bool onlyReadOnly() const;
  // The per-mount options in mountinfo's words, e.g. "ro,nosuid,noexec,noatime".
  std::string describe() const;
};

// Splits the capability's mount flags (each item may be a comma list) for a bind mount.
// `readOnly` is the CSI readonly field. Pure; no validation (call validateFsMountOptions or
// validateNfsMountOptions first).
BindFlags bindFlagsFor(const std::vector<std::string>& options, bool readOnly);

// True when a mount whose options read `mountOptions` (as in /proc/self/mountinfo; libmount's
// merged VFS + filesystem string is fine) carries exactly the per-mount flags that a bind with
// `flags` gets: ro, nosuid, nodev and noexec present iff asked; the atime flags (noatime,
// nodiratime, relatime) compared only when the flags set an atime mode (the kernel keeps the
// existing atime mode on a remount that names none).
bool bindFlagsMatch(const BindFlags& flags, const std::string& mountOptions);

// Validates NFS user options ("hard", "soft", "timeo=600", "retrans=2", "nconnect=4",
// "proto=tcp", "ro", "rsize=…", …). `vers=`/`nfsvers=` and `addr=` are refused: the version comes
// from the volume and the address is resolved by the agent.
Status validateNfsMountOptions(const std::vector<std::string>& options);

}  // namespace tnascsi::agent
