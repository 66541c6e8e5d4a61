// StateWriter; see state_writer.h.
#include "test/truenas-sim/server/state_writer.h"

#include "common/base/files.h"
#include "common/log/log.h"

namespace tnascsi::sim {

StateWriter::StateWriter(std::string path, std::function<std::string()> render,
                         std::chrono::milliseconds interval)
    : path_(std::move(path)), render_(std::move(render)), interval_(interval) {
  thread_ = std::thread([this] { loop(); });
}

StateWriter::~StateWriter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  flush();
}

void StateWriter::markDirty() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    dirty_ = true;
  }
  cv_.notify_all();
}

void StateWriter::flush() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!dirty_) return;
    dirty_ = false;
  }
  writeNow();
}

uint64_t StateWriter::writes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return writes_;
}

void StateWriter::loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return dirty_ || stop_; });
    if (stop_) return;  // the destructor flushes
    // Let the burst finish: everything marked within the interval goes into one write.
    cv_.wait_for(lock, interval_, [this] { return stop_; });
    if (stop_) return;
    dirty_ = false;
    lock.unlock();
    writeNow();
    lock.lock();
  }
}

void StateWriter::writeNow() {
  std::lock_guard<std::mutex> write(writeMu_);
  Status s = common::writeFileAtomic(path_, render_());
  if (!s.ok()) {
    TNAS_LOG(Error).kv("path", path_) << "cannot save state: " << s.message();
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  ++writes_;
}

}  // namespace tnascsi::sim
