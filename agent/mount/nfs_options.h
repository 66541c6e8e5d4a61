// NFS mount arguments for mount(2) without the mount.nfs helper: the kernel's "nfs"/"nfs4"
// filesystems take a text option string in which the server address must already be resolved
// (`addr=`), and NFSv4.0 also needs the local callback address (`clientaddr=`). This module builds
// that string from an NfsMountSpec. Pure apart from the injected resolver; thread-safe.
//
// What the kernel needs (fs/nfs/fs_context.c), and what we send:
//   source   "<server>:<export>" ("[v6addr]:<export>" for IPv6 literals)
//   fstype   "nfs4" for 4.x, "nfs" for 3
//   options  vers=<3|4.0|4.1|4.2>, addr=<numeric>, proto=tcp (or the user's), hard (or soft),
//            timeo=600, retrans=2 (defaults, overridable), clientaddr=<local addr> for 4.0 only.
//            v3 locates mountd through the server's rpcbind (mountport=/mountproto= may be set
//            by users); v3 file locking needs rpc.statd on the node, otherwise users add "nolock".
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "agent/mount/mounter.h"
#include "common/base/status.h"

namespace tnascsi::agent {

// Resolves a host name or numeric address to one numeric address ("10.0.0.5", "fd00::5").
using AddressResolver = std::function<StatusOr<std::string>(const std::string& host)>;
// Returns the local address the kernel would use to reach `serverAddress` (for clientaddr=).
using LocalAddressFinder = std::function<StatusOr<std::string>(const std::string& serverAddress)>;

struct NfsMountArgs {
  std::string source;
  std::string fsType;
  std::string data;  // the kernel text options
  bool readOnly = false;
};

// getaddrinfo-based resolver (prefers the first result; numeric input returned as is).
StatusOr<std::string> resolveHostAddress(const std::string& host);
// Connects a UDP socket to the server (no packet is sent) and reads the local address.
StatusOr<std::string> localAddressTowards(const std::string& serverAddress);

// Builds the mount(2) arguments. InvalidArgument for an unknown version, a malformed server or
// export path, or a user option outside the NFS allow-list; the resolver's error (annotated) when
// the server does not resolve.
StatusOr<NfsMountArgs> buildNfsMountArgs(const NfsMountSpec& spec, const AddressResolver& resolve,
                                         const LocalAddressFinder& localAddress);

}  // namespace tnascsi::agent
