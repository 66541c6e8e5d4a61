// NodePublishVolume's mount flags: per-mount VFS flags go onto the bind, filesystem options are
// left to the staging mount, a repeat with the same flags is OK and one with other flags is
// AlreadyExists. Runs against the fake host through a Mounter that records the bind's flags the
// way mountinfo would show them (the real kernel's behaviour is checked by
// agent_mount_privileged_test and the guest test guest_e2e_access).
#include "test/unit/agent/stage/stage_fixture.h"

namespace tnascsi::agent::stage::testing {
namespace {

using ::testing::HasSubstr;

// Forwards to the fake mounter; a bind with flags becomes a fake bind whose options read as the
// kernel would print them.
class FlagsMounter final : public Mounter {
 public:
  explicit FlagsMounter(fakes::FakeHost& host) : host_(host) {}
  StatusOr<std::optional<MountEntry>> findByTarget(const std::string& target) override {
    return host_.mounter.findByTarget(target);
  }
  StatusOr<std::vector<MountEntry>> findByDevice(const std::string& devnode) override {
    return host_.mounter.findByDevice(devnode);
  }
  StatusOr<std::vector<MountEntry>> findByNumbers(unsigned major, unsigned minor) override {
    return host_.mounter.findByNumbers(major, minor);
  }
  Status mount(const std::string& source, const ResolvedPath& target, const std::string& fsType,
               const std::string& options) override {
    return host_.mounter.mount(source, target, fsType, options);
  }
  Status bindMount(const std::string& source, const ResolvedPath& target, bool readOnly) override {
    return host_.mounter.bindMount(source, target, readOnly);
  }
  Status bindMountWithFlags(const ResolvedPath& source, const ResolvedPath& target,
                            const BindFlags& flags) override {
    ++withFlags;
    last = flags;
    TNAS_RETURN_IF_ERROR(host_.mounter.bindMount(source.path(), target, flags.readOnly));
    std::lock_guard<std::mutex> lock(host_.kernel.mu);
    host_.kernel.mounts.back().options = flags.describe();
    return absl::OkStatus();
  }
  Status mountNfs(const NfsMountSpec& spec, const ResolvedPath& target) override {
    return host_.mounter.mountNfs(spec, target);
  }
  Status unmount(const ResolvedPath& target, bool force) override {
    return host_.mounter.unmount(target, force);
  }
  bool isStale(const std::string& target) override { return host_.mounter.isStale(target); }

  int withFlags = 0;
  BindFlags last;

 private:
  fakes::FakeHost& host_;
};

class PublishFlagsTest : public StageTest {
 protected:
  PublishFlagsTest() : flagsMounter_(host_) {
    healer_.reset();
    volumes_.reset();
    attacher_.reset();
    inflight_ = std::make_unique<common::InFlight>();
    StageEnv env{host_.initiator, host_.blocks, host_.filesystems, flagsMounter_,
                 clock_,          store_,       *inflight_};
    attacher_ = std::make_unique<IscsiAttacher>(env, config_);
    volumes_ = std::make_unique<NodeVolumes>(env, config_, *attacher_, health_);
  }

  PublishRequest withFlags(std::vector<std::string> flags, bool ro = false) const {
    auto p = publishRequest("pvc-1", ro);
    p.mountFlags = std::move(flags);
    return p;
  }

  FlagsMounter flagsMounter_;
};

TEST_F(PublishFlagsTest, PerMountFlagsGoOntoTheBindAndFilesystemOptionsDoNot) {
  ASSERT_TRUE(volumes_->stage(iscsiRequest()).ok());
  auto st = volumes_->publish(withFlags({"noexec,nosuid", "nodev", "noatime", "discard"}));
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(flagsMounter_.withFlags, 1);
  EXPECT_EQ(flagsMounter_.last.describe(), "rw,nosuid,nodev,noexec,noatime");
  EXPECT_EQ(flagsMounter_.last.ignored, std::vector<std::string>{"discard"});
  auto m = host_.mounter.findByTarget(target());
  ASSERT_TRUE(m.ok() && m->has_value());
  EXPECT_EQ((*m)->source, host_.kernel.devnodeFor(kIqn, 0));
}

TEST_F(PublishFlagsTest, SameFlagsAgainIsOkOtherFlagsAreAlreadyExists) {
  ASSERT_TRUE(volumes_->stage(iscsiRequest()).ok());
  ASSERT_TRUE(volumes_->publish(withFlags({"noexec", "nosuid", "noatime"})).ok());
  // Same per-mount flags, in another order and with a filesystem option: the same publish.
  ASSERT_TRUE(volumes_->publish(withFlags({"noatime,nosuid,noexec", "data=ordered"})).ok());
  EXPECT_EQ(flagsMounter_.withFlags, 1);
  auto other = volumes_->publish(withFlags({"noexec"}));
  EXPECT_EQ(other.code(), StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(other.message()), HasSubstr("other mount flags"));
  EXPECT_EQ(volumes_->publish(withFlags({"noexec", "nosuid", "relatime"})).code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(volumes_->publish(withFlags({"noexec", "nosuid", "noatime"}, true)).code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(flagsMounter_.withFlags, 1);
}

TEST_F(PublishFlagsTest, ReadOnlyFromTheFlagsOrFromCsi) {
  ASSERT_TRUE(volumes_->stage(iscsiRequest()).ok());
  ASSERT_TRUE(volumes_->publish(withFlags({"ro", "nodev"})).ok());
  EXPECT_TRUE(flagsMounter_.last.readOnly);
  EXPECT_TRUE((*host_.mounter.findByTarget(target()))->readOnly());
  // CSI readonly with the same flags is the same publish.
  EXPECT_TRUE(volumes_->publish(withFlags({"nodev"}, true)).ok());
  EXPECT_EQ(volumes_->publish(withFlags({"nodev"}, false)).code(), StatusCode::kAlreadyExists);
}

TEST_F(PublishFlagsTest, DisallowedOptionsAreStillRefusedByName) {
  ASSERT_TRUE(volumes_->stage(iscsiRequest()).ok());
  auto st = volumes_->publish(withFlags({"noexec", "context=system_u:object_r:x"}));
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(st.message()), HasSubstr("context="));
  EXPECT_EQ(flagsMounter_.withFlags, 0);
  EXPECT_FALSE(host_.kernel.isMounted(target()));
}

// A Mounter without per-mount flag support (the default bindMountWithFlags) still publishes
// plain and read-only binds, and refuses other flags instead of silently dropping them.
TEST_F(StageTest, MounterWithoutFlagSupportRefusesFlagsAndMountsNothing) {
  ASSERT_TRUE(volumes_->stage(iscsiRequest()).ok());
  auto req = publishRequest();
  req.mountFlags = {"discard"};
  ASSERT_TRUE(volumes_->publish(req).ok());
  ASSERT_TRUE(volumes_->unpublish("pvc-1", target()).ok());
  req.mountFlags = {"noexec"};
  EXPECT_EQ(volumes_->publish(req).code(), StatusCode::kUnimplemented);
  EXPECT_FALSE(host_.kernel.isMounted(target()));
}

}  // namespace
}  // namespace tnascsi::agent::stage::testing
