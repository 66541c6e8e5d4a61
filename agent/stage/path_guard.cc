// PathGuard (see path_guard.h).
#include "agent/stage/path_guard.h"

#include <cctype>
#include <climits>

#include "agent/mount/beneath.h"

namespace tnascsi::agent::stage {
namespace {

bool under(const std::string& path, const std::string& root) {
  if (root == "/") return path.size() > 1;
  return path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
         path[root.size()] == '/';
}

}  // namespace

Status validateVolumeId(const std::string& id) {
  auto bad = [](const std::string& why) {
    return absl::InvalidArgumentError("volume_id is malformed: " + why);
  };
  if (id.empty()) return bad("empty");
  if (id.size() > 256) return bad("longer than 256 bytes");
  if (id.front() == '/' || id.front() == '.') return bad("starts with '/' or '.'");
  if (id.find("..") != std::string::npos) return bad("contains \"..\"");
  for (unsigned char c : id) {
    if (std::isalnum(c) == 0 &&
        std::string("._:/@+=-").find(static_cast<char>(c)) == std::string::npos) {
      return bad("contains a character outside [A-Za-z0-9._:/@+=-]");
    }
  }
  return absl::OkStatus();
}

PathGuard::PathGuard(std::string root) : root_(std::move(root)) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

Status PathGuard::check(const std::string& path, const std::string& field) const {
  auto bad = [&](const std::string& why) {
    return absl::InvalidArgumentError(field + " \"" + bounded(path) +
                                      "\" is not acceptable: " + why);
  };
  if (path.empty()) return bad("empty");
  if (path.size() > PATH_MAX) return bad("too long");
  if (path.front() != '/') return bad("not an absolute path");
  for (unsigned char c : path) {
    if (std::iscntrl(c) != 0) return bad("contains control characters");
  }
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    std::string comp = path.substr(start, slash - start);
    if (comp.empty() || comp == "." || comp == "..") {
      return bad("not normalised (empty, \".\" or \"..\" component)");
    }
    start = slash + 1;
  }
  if (!under(path, root_)) return bad("outside the kubelet directory " + bounded(root_));
  // Symlinks are judged when the path is resolved (BeneathRoot), on the object that is used.
  return absl::OkStatus();
}

}  // namespace tnascsi::agent::stage
