// Mount-option allow-lists and the NFS kernel option builder (pure; no mounts).
#include "agent/mount/mount_options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/mount.h>

#include "agent/mount/nfs_options.h"

namespace tnascsi::agent {
namespace {

using ::testing::HasSubstr;

StatusOr<std::string> fixedResolve(const std::string& host) {
  if (host == "nas.example") return std::string("192.0.2.7");
  if (host.find(':') != std::string::npos ||
      host.find_first_not_of("0123456789.") == std::string::npos) {
    return host;
  }
  return absl::UnavailableError("cannot resolve " + host);
}
StatusOr<std::string> fixedLocal(const std::string&) {
  return std::string("192.0.2.100");
}

TEST(MountOptions, SplitAndJoin) {
  EXPECT_EQ(splitOptions("a,,b,c"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(splitOptions("").empty());
  EXPECT_EQ(joinOptions({"a", "", "b"}), "a,b");
}

TEST(MountOptions, FsAllowList) {
  EXPECT_TRUE(
      validateFsMountOptions({"noatime", "discard,nodev", "data=ordered", "commit=30"}).ok());
  for (std::string bad : {"suid", "exec", "dev", "uid=0", "commit=abc", "data=a b", "x-mount.mkdir",
                          "context=system_u:object_r", "loop", "bind", "remount", "errors=$(id)"}) {
    Status st = validateFsMountOptions({bad});
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << bad;
    std::string shown = bad.substr(0, bad.find_first_of(","));
    EXPECT_THAT(std::string(st.message()), HasSubstr(shown)) << bad;
  }
}

TEST(MountOptions, NfsAllowList) {
  EXPECT_TRUE(validateNfsMountOptions({"hard", "timeo=600", "retrans=3", "nconnect=8", "proto=tcp",
                                       "ro", "rsize=1048576", "sec=krb5p", "nolock"})
                  .ok());
  for (std::string bad : {"vers=3", "nfsvers=4", "addr=1.2.3.4", "clientaddr=1.1.1.1", "nconnect=x",
                          "fsc=cachetag", "suid", "sec=sys,foo"}) {
    EXPECT_EQ(validateNfsMountOptions({bad}).code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(NfsOptions, V42Defaults) {
  NfsMountSpec spec{"nas.example", "/mnt/tank/k8s/a", "/t", "4.2", {}};
  auto args = buildNfsMountArgs(spec, fixedResolve, fixedLocal);
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_EQ(args->fsType, "nfs4");
  EXPECT_EQ(args->source, "nas.example:/mnt/tank/k8s/a");
  EXPECT_EQ(args->data, "vers=4.2,proto=tcp,hard,timeo=600,retrans=2,addr=192.0.2.7");
  EXPECT_FALSE(args->readOnly);
}

TEST(NfsOptions, UserOptionsOverrideDefaults) {
  NfsMountSpec spec{"192.0.2.8", "/x", "/t", "4.1", {"soft,timeo=100", "nconnect=4", "ro"}};
  auto args = buildNfsMountArgs(spec, fixedResolve, fixedLocal);
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_EQ(args->data, "vers=4.1,proto=tcp,retrans=2,soft,timeo=100,nconnect=4,addr=192.0.2.8");
  EXPECT_TRUE(args->readOnly);
}

TEST(NfsOptions, V40NeedsClientaddrAndV3UsesNfs) {
  NfsMountSpec v40{"192.0.2.8", "/x", "/t", "4", {}};
  auto a = buildNfsMountArgs(v40, fixedResolve, fixedLocal);
  ASSERT_TRUE(a.ok());
  EXPECT_THAT(a->data, HasSubstr("vers=4.0"));
  EXPECT_THAT(a->data, HasSubstr("clientaddr=192.0.2.100"));
  NfsMountSpec v3{"192.0.2.8", "/x", "/t", "3", {"nolock"}};
  auto b = buildNfsMountArgs(v3, fixedResolve, fixedLocal);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->fsType, "nfs");
  EXPECT_THAT(b->data, HasSubstr("vers=3"));
  EXPECT_THAT(b->data, HasSubstr("nolock"));
  EXPECT_EQ(b->data.find("clientaddr"), std::string::npos);
}

TEST(NfsOptions, Ipv6SourceIsBracketed) {
  NfsMountSpec spec{"fd00::8", "/x", "/t", "4.2", {}};
  auto a = buildNfsMountArgs(spec, fixedResolve, fixedLocal);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->source, "[fd00::8]:/x");
  EXPECT_THAT(a->data, HasSubstr("addr=fd00::8"));
}

TEST(NfsOptions, Refusals) {
  auto build = [](NfsMountSpec s) {
    return buildNfsMountArgs(s, fixedResolve, fixedLocal).status();
  };
  EXPECT_EQ(build({"nas.example", "/x", "/t", "2", {}}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(build({"nas.example", "relative", "/t", "4.2", {}}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(build({"nas.example", "/a,b", "/t", "4.2", {}}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(build({"-evil", "/x", "/t", "4.2", {}}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(build({"nas.example", "/x", "/t", "4.2", {"addr=10.0.0.1"}}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(build({"unknown.example", "/x", "/t", "4.2", {}}).code(), StatusCode::kUnavailable);
}

TEST(NfsOptions, RealResolverAndLocalAddressOnLoopback) {
  auto a = resolveHostAddress("127.0.0.1");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, "127.0.0.1");
  auto l = localAddressTowards("127.0.0.1");
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_EQ(*l, "127.0.0.1");
  EXPECT_FALSE(localAddressTowards("not-an-address").ok());
}

TEST(BindFlags, SplitsPerMountFlagsFromFilesystemOptions) {
  auto f =
      bindFlagsFor({"noexec,nosuid", "nodev", "noatime", "discard", "data=ordered", "sync"}, false);
  EXPECT_EQ(f.msFlags, static_cast<unsigned long>(MS_NOEXEC | MS_NOSUID | MS_NODEV | MS_NOATIME));
  EXPECT_FALSE(f.readOnly);
  EXPECT_FALSE(f.onlyReadOnly());
  EXPECT_EQ(f.ignored, (std::vector<std::string>{"discard", "data=ordered", "sync"}));
  EXPECT_EQ(f.describe(), "rw,nosuid,nodev,noexec,noatime");
}

TEST(BindFlags, ReadOnlyFromCsiOrFromTheFlagsAndLastMentionWins) {
  EXPECT_EQ(bindFlagsFor({}, true).msFlags, static_cast<unsigned long>(MS_RDONLY));
  EXPECT_TRUE(bindFlagsFor({}, true).onlyReadOnly());
  EXPECT_TRUE(bindFlagsFor({}, false).onlyReadOnly());
  EXPECT_TRUE(bindFlagsFor({"ro"}, false).readOnly);
  EXPECT_FALSE(bindFlagsFor({"ro,rw"}, false).readOnly);
  EXPECT_TRUE(bindFlagsFor({"rw"}, true).readOnly);  // CSI readonly cannot be undone by "rw"
  EXPECT_EQ(bindFlagsFor({"noatime", "atime"}, false).msFlags, 0u);
  EXPECT_EQ(bindFlagsFor({"defaults"}, false).ignored.size(), 0u);
  EXPECT_EQ(bindFlagsFor({"strictatime"}, false).describe(), "rw,strictatime");
  EXPECT_EQ(bindFlagsFor({"nodiratime"}, false).describe(), "rw,nodiratime,relatime");
  EXPECT_EQ(bindFlagsFor({"relatime", "ro"}, false).describe(), "ro,relatime");
}

TEST(BindFlags, MatchComparesWhatTheKernelShows) {
  const std::string shown = "rw,nosuid,nodev,noexec,noatime,errors=remount-ro";
  EXPECT_TRUE(bindFlagsMatch(bindFlagsFor({"noexec,nosuid,nodev,noatime"}, false), shown));
  // Filesystem options do not matter; a missing or extra per-mount flag does.
  EXPECT_TRUE(bindFlagsMatch(bindFlagsFor({"noexec,nosuid,nodev,noatime,discard"}, false), shown));
  EXPECT_FALSE(bindFlagsMatch(bindFlagsFor({"noexec,nosuid,noatime"}, false), shown));
  EXPECT_FALSE(bindFlagsMatch(bindFlagsFor({"noexec,nosuid,nodev,noatime"}, true), shown));
  EXPECT_FALSE(bindFlagsMatch(bindFlagsFor({"noexec,nosuid,nodev,relatime"}, false), shown));
  EXPECT_FALSE(bindFlagsMatch(bindFlagsFor({"noexec,nosuid,nodev,strictatime"}, false), shown));
  // No atime mode asked: the remount keeps whatever atime mode the mount has.
  EXPECT_TRUE(bindFlagsMatch(bindFlagsFor({"noexec,nosuid,nodev"}, false), shown));
  EXPECT_TRUE(bindFlagsMatch(bindFlagsFor({}, true), "ro,relatime"));
  EXPECT_FALSE(bindFlagsMatch(bindFlagsFor({}, false), "ro,relatime"));
  EXPECT_TRUE(bindFlagsMatch(bindFlagsFor({"strictatime"}, false), "rw"));
  EXPECT_TRUE(bindFlagsMatch(bindFlagsFor({"nodiratime"}, false), "rw,nodiratime,relatime"));
  EXPECT_FALSE(bindFlagsMatch(bindFlagsFor({"nodiratime"}, false), "rw,relatime"));
}

}  // namespace
}  // namespace tnascsi::agent
