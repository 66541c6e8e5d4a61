// RAII ownership of C library handles (libmount, libudev, libblkid, libopeniscsiusr):
//
//   using MntTable = common::CHandle<libmnt_table, &mnt_free_table>;
//   MntTable table(mnt_new_table());
//
// The deleter ignores the free function's return value (udev_*_unref returns the object) and is a
// no-op on nullptr. Copy borrowed `const char*` results into std::string before the handle dies.
#pragma once

#include <memory>

namespace tnascsi::common {

template <auto FreeFn>
struct CDeleter {
  template <typename T>
  void operator()(T* p) const noexcept {
    if (p != nullptr) FreeFn(p);
  }
};

template <typename T, auto FreeFn>
using CHandle = std::unique_ptr<T, CDeleter<FreeFn>>;

// Runs a callable when the scope ends unless cancel() was called.
template <typename F>
class Cleanup {
 public:
  explicit Cleanup(F f) : f_(std::move(f)) {}
  ~Cleanup() {
    if (armed_) f_();
  }
  Cleanup(const Cleanup&) = delete;
  Cleanup& operator=(const Cleanup&) = delete;
  void cancel() { armed_ = false; }

 private:
  F f_;
  bool armed_ = true;
};

}  // namespace tnascsi::common
