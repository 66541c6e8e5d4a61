// Tests for SysfsBlockDevices on a fake sysfs tree with a mocked udev waiter.
#include "agent/block/sysfs_block_devices.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/block/scsi_address.h"
#include "test/fakes/agent/iscsid/fake_sysfs.h"

namespace tnascsi::agent {
namespace {

using ::testing::_;
using ::testing::ElementsAre;
using testing::FakeSysfs;
using ::testing::Return;
using ::testing::StrictMock;

class MockDiskWaiter : public DiskWaiter {
 public:
  MOCK_METHOD(StatusOr<std::string>, waitForDisk,
              (const ScsiAddress& address, std::chrono::milliseconds timeout), (override));
};

std::string vpd80(const std::string& serial) {
  return std::string("\x00\x80\x00", 3) + static_cast<char>(serial.size()) + serial;
}

class SysfsBlockDevicesTest : public ::testing::Test {
 protected:
  SysfsBlockDevicesTest() {
    auto w = std::make_unique<StrictMock<MockDiskWaiter>>();
    waiter_ = w.get();
    devices_ = std::make_unique<SysfsBlockDevices>(sysfs_.root(), std::move(w), "/dev");
    sysfs_.addSession(3, 7, "iqn.a:vol", "10.0.0.5", 3260);
  }
  FakeSysfs sysfs_;
  StrictMock<MockDiskWaiter>* waiter_;
  std::unique_ptr<SysfsBlockDevices> devices_;
};

TEST(ScsiAddressTest, FormatsAndParses) {
  EXPECT_EQ((ScsiAddress{2, 0, 1, 14}).str(), "2:0:1:14");
  EXPECT_EQ(parseScsiAddress("2:0:1:14"), (ScsiAddress{2, 0, 1, 14}));
  EXPECT_FALSE(parseScsiAddress("target2:0:0").has_value());
  EXPECT_FALSE(parseScsiAddress("2:0:0:").has_value());
  EXPECT_FALSE(parseScsiAddress("2:0:0:1:5").has_value());
  EXPECT_FALSE(parseScsiAddress("2:0:x:1").has_value());
}

TEST_F(SysfsBlockDevicesTest, MapsSessionToLunsAndDisks) {
  sysfs_.addLun(3, 7, 0, 0, "sdb", 4096, vpd80("SERIAL-0"));
  sysfs_.addLun(3, 7, 0, 2, "sdc", 8192);
  auto luns = devices_->sessionLuns(3);
  ASSERT_TRUE(luns.ok()) << luns.status();
  EXPECT_THAT(*luns, ElementsAre(ScsiAddress{7, 0, 0, 0}, ScsiAddress{7, 0, 0, 2}));
  auto d = devices_->findLun({7, 0, 0, 0});
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->sysname, "sdb");
  EXPECT_EQ(d->devnode, "/dev/sdb");
  EXPECT_EQ(d->sizeBytes, 4096u * 512);
  EXPECT_EQ(d->vendor, "TrueNAS");
  EXPECT_EQ(d->model, "iSCSI Disk");
  EXPECT_EQ(d->state, "running");
  EXPECT_EQ(d->identity.serial, "SERIAL-0");
  EXPECT_EQ(devices_->sessionLuns(99).status().code(), StatusCode::kNotFound);
}

TEST_F(SysfsBlockDevicesTest, MissingLunIsScannedThenAwaited) {
  EXPECT_EQ(devices_->findLun({7, 0, 0, 1}).status().code(), StatusCode::kNotFound);
  EXPECT_CALL(*waiter_, waitForDisk(ScsiAddress{7, 0, 0, 1}, std::chrono::milliseconds(500)))
      .WillOnce([this](const ScsiAddress&, std::chrono::milliseconds) -> StatusOr<std::string> {
        // The kernel's scan found the LUN while we waited.
        sysfs_.addLun(3, 7, 0, 1, "sdd", 2048);
        return std::string("sdd");
      });
  auto d = devices_->waitForLun({7, 0, 0, 1}, std::chrono::milliseconds(500));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->sysname, "sdd");
  EXPECT_EQ(sysfs_.read("class/scsi_host/host7/scan"), "0 0 1");
}

TEST_F(SysfsBlockDevicesTest, PresentLunIsNotScanned) {
  sysfs_.addLun(3, 7, 0, 0, "sdb");
  EXPECT_CALL(*waiter_, waitForDisk(ScsiAddress{7, 0, 0, 0}, _))
      .WillOnce(Return(std::string("sdb")));
  ASSERT_TRUE(devices_->waitForLun({7, 0, 0, 0}, std::chrono::milliseconds(100)).ok());
  EXPECT_EQ(sysfs_.read("class/scsi_host/host7/scan"), "");
}

TEST_F(SysfsBlockDevicesTest, WaitTimeoutPropagates) {
  EXPECT_CALL(*waiter_, waitForDisk(_, _)).WillOnce(Return(absl::DeadlineExceededError("no disk")));
  EXPECT_EQ(devices_->waitForLun({7, 0, 0, 4}, std::chrono::milliseconds(10)).status().code(),
            StatusCode::kDeadlineExceeded);
}

TEST_F(SysfsBlockDevicesTest, RescanWritesOne) {
  const std::string dir = sysfs_.addLun(3, 7, 0, 0, "sdb");
  auto d = devices_->rescanLun({7, 0, 0, 0});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(sysfs_.read(dir + "/rescan"), "1");
  EXPECT_EQ(devices_->rescanLun({7, 0, 0, 9}).status().code(), StatusCode::kNotFound);
}

TEST_F(SysfsBlockDevicesTest, DeleteRefusesHolders) {
  const std::string dir = sysfs_.addLun(3, 7, 0, 0, "sdb");
  sysfs_.write(dir + "/block/sdb/holders/dm-0", "");
  Status st = devices_->removeLun({7, 0, 0, 0});
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(sysfs_.read(dir + "/delete"), "");
}

TEST_F(SysfsBlockDevicesTest, DeleteWritesOneAndGoneIsOk) {
  const std::string dir = sysfs_.addLun(3, 7, 0, 0, "sdb");
  ASSERT_TRUE(devices_->removeLun({7, 0, 0, 0}).ok());
  EXPECT_EQ(sysfs_.read(dir + "/delete"), "1");
  EXPECT_TRUE(devices_->removeLun({7, 0, 0, 5}).ok());
}

TEST_F(SysfsBlockDevicesTest, FlushOfMissingDeviceIsNotFound) {
  EXPECT_EQ(devices_->flush(sysfs_.root() + "/no-such-dev").code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace tnascsi::agent
