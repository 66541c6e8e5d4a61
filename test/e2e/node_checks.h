// Kernel-side checks the end-to-end tests make after teardown: what iSCSI sessions, SCSI disks and
// mounts remain, read straight from sysfs and /proc/self/mountinfo (never from the agent).
#pragma once

#include <string>
#include <vector>

namespace tnascsi::e2e {

std::vector<std::string> iscsiSessions();  // "session3 iqn…" per live session
std::vector<std::string> scsiDisks();      // "sda" … with a SCSI device behind them
std::vector<std::string> mountsUnder(const std::string& dir);
std::vector<std::string> filesIn(const std::string& dir);  // regular files, recursively

// Writes `bytes` of deterministic pseudo-random data to `path` (file or block device, from offset
// 0), fsyncs, and returns its FNV-1a 64 checksum; "" on error (with errno text in *error).
std::string writePattern(const std::string& path, size_t bytes, uint64_t seed, std::string* error);
// Checksum of the first `bytes` of `path`; "" on error.
std::string checksum(const std::string& path, size_t bytes, std::string* error);

}  // namespace tnascsi::e2e
