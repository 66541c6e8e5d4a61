// LoopDevice: a loop block device over a sparse temp file, for host tests that need a real block
// device (root only). Attaches with LOOP_CTL_GET_FREE + LOOP_SET_FD, grows with LOOP_SET_CAPACITY,
// detaches and deletes the file on destruction. Header-only test helper; not thread-safe.
#pragma once

#include <fcntl.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "common/base/status.h"

namespace tnascsi::agent::testing {

class LoopDevice {
 public:
  LoopDevice() = default;
  ~LoopDevice() { detach(); }
  LoopDevice(const LoopDevice&) = delete;
  LoopDevice& operator=(const LoopDevice&) = delete;

  Status attach(uint64_t bytes) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tnas-loop-XXXXXX").string();
    const int fileFd = ::mkstemp(tmpl.data());
    if (fileFd < 0) return common::errnoStatus("mkstemp", errno);
    file_ = tmpl;
    if (::ftruncate(fileFd, static_cast<off_t>(bytes)) != 0) {
      const int err = errno;
      ::close(fileFd);
      return common::errnoStatus("truncate", err);
    }
    const int ctl = ::open("/dev/loop-control", O_RDWR | O_CLOEXEC);
    if (ctl < 0) {
      ::close(fileFd);
      return common::errnoStatus("open /dev/loop-control", errno);
    }
    Status st = absl::UnavailableError("no free loop device");
    for (int attempt = 0; attempt < 5; ++attempt) {
      const int n = ::ioctl(ctl, LOOP_CTL_GET_FREE);
      if (n < 0) {
        st = common::errnoStatus("LOOP_CTL_GET_FREE", errno);
        break;
      }
      const std::string dev = "/dev/loop" + std::to_string(n);
      const int loopFd = ::open(dev.c_str(), O_RDWR | O_CLOEXEC);
      if (loopFd < 0) {
        st = common::errnoStatus("open " + dev, errno);
        continue;
      }
      if (::ioctl(loopFd, LOOP_SET_FD, fileFd) == 0) {
        loopFd_ = loopFd;
        devnode_ = dev;
        st = absl::OkStatus();
        break;
      }
      st = common::errnoStatus("LOOP_SET_FD " + dev, errno);
      ::close(loopFd);  // raced with another user; try the next free one
    }
    ::close(ctl);
    ::close(fileFd);
    return st;
  }

  // Grows the backing file and tells the loop driver (the block device size changes online).
  Status resize(uint64_t bytes) {
    if (::truncate(file_.c_str(), static_cast<off_t>(bytes)) != 0) {
      return common::errnoStatus("truncate", errno);
    }
    if (::ioctl(loopFd_, LOOP_SET_CAPACITY, 0) != 0) {
      return common::errnoStatus("LOOP_SET_CAPACITY", errno);
    }
    return absl::OkStatus();
  }

  // Writes raw bytes at `offset` through the block device.
  Status writeAt(uint64_t offset, const std::string& bytes) {
    if (::pwrite(loopFd_, bytes.data(), bytes.size(), static_cast<off_t>(offset)) !=
        static_cast<ssize_t>(bytes.size())) {
      return common::errnoStatus("pwrite " + devnode_, errno);
    }
    ::fsync(loopFd_);
    return absl::OkStatus();
  }

  void detach() {
    if (loopFd_ >= 0) {
      ::ioctl(loopFd_, LOOP_CLR_FD, 0);
      ::close(loopFd_);
      loopFd_ = -1;
    }
    if (!file_.empty()) {
      ::unlink(file_.c_str());
      file_.clear();
    }
  }

  const std::string& devnode() const { return devnode_; }

 private:
  int loopFd_ = -1;
  std::string devnode_;
  std::string file_;
};

}  // namespace tnascsi::agent::testing
