// Small file helpers shared by both binaries: whole-file reads, atomic replacement (write a temp
// file in the same directory, fsync, rename, fsync the directory), secret-file loading and
// `mkdir -p`.
#pragma once

#include <string>

#include "common/base/status.h"

namespace tnascsi::common {

// Reads a whole file. NotFound if it does not exist.
StatusOr<std::string> readFile(const std::string& path);

// Replaces `path` atomically with `content` (mode applied to the new file). After a crash the file
// holds either the old or the new content, never a mix.
Status writeFileAtomic(const std::string& path, const std::string& content, unsigned mode = 0600);

// Reads a secret (API key, CHAP secret) from a file, trimming trailing whitespace/newlines.
// Error messages name the file, never its content.
StatusOr<std::string> readSecretFile(const std::string& path);

// Creates `path` and each missing ancestor with `mode` (like `mkdir -p`; the umask applies). OK
// when it exists as a directory already; FailedPrecondition when `path` or an ancestor is something
// else.
Status makeDirs(const std::string& path, unsigned mode = 0750);

}  // namespace tnascsi::common
