// errno -> Status mapping, done in exactly one place.
#include "common/base/status.h"

#include <cerrno>
#include <cstring>

namespace tnascsi::common {

Status errnoStatus(const std::string& context, int err) {
  std::string msg = context + ": " + std::strerror(err);
  switch (err) {
    case ENOENT:
    case ENODEV:
    case ENXIO:
      return absl::NotFoundError(msg);
    case EEXIST:
      return absl::AlreadyExistsError(msg);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(msg);
    case EINVAL:
    case ENAMETOOLONG:
    case ENOTDIR:
    case ELOOP:
      return absl::InvalidArgumentError(msg);
    case ETIMEDOUT:
      return absl::DeadlineExceededError(msg);
    case EAGAIN:
    case EBUSY:
    case ECONNREFUSED:
    case ECONNRESET:
    case EPIPE:
    case EINTR:
      return absl::UnavailableError(msg);
    case ENOSPC:
    case EDQUOT:
      return absl::ResourceExhaustedError(msg);
    default:
      return absl::InternalError(msg);
  }
}

Status annotate(const Status& status, const std::string& context) {
  if (status.ok()) return status;
  return Status(status.code(), context + ": " + std::string(status.message()));
}

}  // namespace tnascsi::common
