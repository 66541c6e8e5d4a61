// FakeIscsid implementation (see fake_iscsid.h).
#include "test/fakes/agent/iscsid/fake_iscsid.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>

#include "agent/iscsi/iscsid_wire.h"

namespace tnascsi::agent::testing {
namespace {

std::atomic<int> gCounter{0};

bool writeAll(int fd, const void* data, size_t len) {
  const auto* p = static_cast<const char*>(data);
  while (len > 0) {
    const ssize_t n = ::send(fd, p, len, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return false;
    }
    p += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

FakeIscsid::FakeIscsid(size_t requestSize)
    : socketName_("tnas-test-iscsid-" + std::to_string(::getpid()) + "-" +
                  std::to_string(gCounter.fetch_add(1))),
      requestSize_(requestSize) {
  canned_[wire::kConfigIname] = Canned{0, "iqn.2004-10.org.example:fake-node", {}};
}

FakeIscsid::~FakeIscsid() {
  stop();
}

Status FakeIscsid::start() {
  listenFd_ = ::socket(AF_LOCAL, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listenFd_ < 0) {
    return common::errnoStatus("socket", errno);
  }
  sockaddr_un addr{};
  addr.sun_family = AF_LOCAL;
  std::memcpy(addr.sun_path + 1, socketName_.data(), socketName_.size());
  const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + socketName_.size());
  if (::bind(listenFd_, reinterpret_cast<const sockaddr*>(&addr), len) != 0) {
    return common::errnoStatus("bind fake iscsid", errno);
  }
  if (::listen(listenFd_, 32) != 0) {
    return common::errnoStatus("listen", errno);
  }
  if (::pipe2(wakeFd_, O_CLOEXEC) != 0) {
    return common::errnoStatus("pipe", errno);
  }
  thread_ = std::thread([this] { serve(); });
  return absl::OkStatus();
}

void FakeIscsid::stop() {
  if (thread_.joinable()) {
    const char c = 'x';
    (void)!::write(wakeFd_[1], &c, 1);
    thread_.join();
  }
  for (int* fd : {&listenFd_, &wakeFd_[0], &wakeFd_[1]}) {
    if (*fd >= 0) {
      ::close(*fd);
    }
    *fd = -1;
  }
}

void FakeIscsid::setRequestSize(size_t size) {
  std::lock_guard<std::mutex> lock(mu_);
  requestSize_ = size;
}

void FakeIscsid::setResponse(int32_t command, Canned canned) {
  std::lock_guard<std::mutex> lock(mu_);
  canned_[command] = std::move(canned);
}

void FakeIscsid::setAccessDenied(bool denied) {
  std::lock_guard<std::mutex> lock(mu_);
  accessDenied_ = denied;
}

void FakeIscsid::setOnRequest(std::function<void(const std::string&)> hook) {
  std::lock_guard<std::mutex> lock(mu_);
  onRequest_ = std::move(hook);
}

std::vector<std::string> FakeIscsid::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

void FakeIscsid::serve() {
  for (;;) {
    pollfd fds[2] = {{listenFd_, POLLIN, 0}, {wakeFd_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      return;
    }
    if (fds[1].revents != 0) {
      return;
    }
    if ((fds[0].revents & POLLIN) == 0) {
      continue;
    }
    const int fd = ::accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      continue;
    }
    connections_.fetch_add(1);
    handle(fd);
    ::close(fd);
  }
}

void FakeIscsid::handle(int fd) {
  size_t size;
  bool denied;
  {
    std::lock_guard<std::mutex> lock(mu_);
    size = requestSize_;
    denied = accessDenied_;
  }
  wire::Response rsp{};
  if (denied) {
    rsp.err = wire::kErrAccess;  // iscsid answers before reading the request
    writeAll(fd, &rsp, sizeof(rsp));
    return;
  }
  std::string request(size, '\0');
  size_t got = 0;
  while (got < size) {
    pollfd pfd{fd, POLLIN, 0};
    if (::poll(&pfd, 1, 5000) <= 0) {
      break;  // a stalled client; iscsid would block forever
    }
    const ssize_t n = ::recv(fd, request.data() + got, size - got, 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    got += static_cast<size_t>(n);
  }
  if (got < size) {
    shortReads_.fetch_add(1);  // like iscsid: drop the task, no answer
    return;
  }
  int32_t command = 0;
  std::memcpy(&command, request.data(), sizeof(command));
  Canned canned;
  std::function<void(const std::string&)> hook;
  {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(request);
    auto it = canned_.find(command);
    if (it != canned_.end()) {
      canned = it->second;
    }
    hook = onRequest_;
  }
  if (hook) {
    hook(request);
  }
  if (canned.delay.count() > 0) {
    std::this_thread::sleep_for(canned.delay);
  }
  rsp.command = command;
  rsp.err = canned.err;
  std::memcpy(rsp.u, canned.configVar.data(),
              std::min(canned.configVar.size(), wire::kValueMaxLen - 1));
  writeAll(fd, &rsp, sizeof(rsp));
}

}  // namespace tnascsi::agent::testing
