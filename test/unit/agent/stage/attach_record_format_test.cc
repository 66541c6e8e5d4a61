// Attach record files across agent versions: records written by the agent before nlohmann-json
// replaced Poco::JSON (the literals below are that agent's recordToJson output, byte for byte)
// still load, so a node upgraded with volumes staged can unstage them; the new writer produces the
// same format; damaged files are refused with DataLoss without quoting their content (CHAP
// secrets).
#include <gtest/gtest.h>

#include <string>

#include "agent/stage/attach_record.h"

namespace tnascsi::agent::stage {
namespace {

// Written by the Poco::JSON agent (main at fc5aae9): an iSCSI record with mutual CHAP and two
// publish targets, and an NFS record.
constexpr char kOldIscsi[] = R"({
  "block": false,
  "formatVersion": 1,
  "fsType": "ext4",
  "iscsi": {
    "chap": {
      "secret": "s3cr3t-s3cr3t",
      "secretIn": "in-s3cr3t-12",
      "user": "u1",
      "userIn": "ui"
    },
    "devnode": "/dev/sdb",
    "iqn": "iqn.2005-10.org.freenas.ctl:pvc-1f2e",
    "lun": 0,
    "naa": "0x6589cfc000000a1b2c3d4e5f60718293",
    "portalAddress": "192.0.2.10",
    "portalPort": 3260,
    "serial": "0123456789ab",
    "sid": 7
  },
  "phase": "staged",
  "protocol": "iscsi",
  "stagingPath": "/var/lib/kubelet/plugins/kubernetes.io/csi/csi.truenas-csi.io/abc/globalmount",
  "targets": [
    {
      "created": true,
      "path": "/var/lib/kubelet/pods/p1/volumes/kubernetes.io~csi/pvc/mount"
    },
    {
      "created": false,
      "path": "/var/lib/kubelet/pods/p2/volumes/kubernetes.io~csi/pvc/mount"
    }
  ],
  "updatedAt": 1764860000,
  "volumeId": "pool/csi/pvc-1f2e\"3d"
}
)";
constexpr char kOldNfs[] = R"({
  "block": false,
  "formatVersion": 1,
  "fsType": "",
  "nfs": {
    "export": "/mnt/tank/nfs/pvc-9",
    "mountOptions": [
      "nconnect=4",
      "hard"
    ],
    "server": "nas.example",
    "version": "4.1"
  },
  "phase": "detaching",
  "protocol": "nfs",
  "stagingPath": "/var/lib/kubelet/plugins/x/globalmount",
  "updatedAt": 1764860001,
  "volumeId": "tank/nfs/pvc-9"
}
)";

TEST(AttachRecordFormat, RecordsOfTheOlderAgentLoad) {
  auto r = recordFromJson(kOldIscsi);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->volumeId, "pool/csi/pvc-1f2e\"3d");
  EXPECT_EQ(r->protocol, "iscsi");
  EXPECT_EQ(r->phase, AttachRecord::Phase::kStaged);
  EXPECT_EQ(r->stagingPath,
            "/var/lib/kubelet/plugins/kubernetes.io/csi/csi.truenas-csi.io/abc/globalmount");
  EXPECT_FALSE(r->block);
  EXPECT_EQ(r->fsType, "ext4");
  EXPECT_EQ(r->updatedAt, 1764860000);
  EXPECT_EQ(r->iqn, "iqn.2005-10.org.freenas.ctl:pvc-1f2e");
  EXPECT_EQ(r->portalAddress, "192.0.2.10");
  EXPECT_EQ(r->portalPort, 3260);
  EXPECT_EQ(r->lun, 0);
  EXPECT_EQ(r->serial, "0123456789ab");
  EXPECT_EQ(r->naa, "0x6589cfc000000a1b2c3d4e5f60718293");
  EXPECT_EQ(r->sid, 7);
  EXPECT_EQ(r->devnode, "/dev/sdb");
  EXPECT_EQ(r->chap.user, "u1");
  EXPECT_EQ(r->chap.secret, "s3cr3t-s3cr3t");
  EXPECT_EQ(r->chap.userIn, "ui");
  EXPECT_EQ(r->chap.secretIn, "in-s3cr3t-12");
  ASSERT_EQ(r->targets.size(), 2u);
  EXPECT_EQ(r->targets[0].path, "/var/lib/kubelet/pods/p1/volumes/kubernetes.io~csi/pvc/mount");
  EXPECT_TRUE(r->targets[0].created);
  EXPECT_FALSE(r->targets[1].created);

  auto n = recordFromJson(kOldNfs);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->protocol, "nfs");
  EXPECT_EQ(n->phase, AttachRecord::Phase::kDetaching);
  EXPECT_EQ(n->nfsServer, "nas.example");
  EXPECT_EQ(n->nfsExport, "/mnt/tank/nfs/pvc-9");
  EXPECT_EQ(n->nfsVersion, "4.1");
  EXPECT_EQ(n->mountOptions, (std::vector<std::string>{"nconnect=4", "hard"}));
  EXPECT_TRUE(n->targets.empty());
}

TEST(AttachRecordFormat, TheWriterKeepsTheFormat) {
  // Same keys, types, order and layout as the older agent wrote: a downgrade reads them too.
  auto r = recordFromJson(kOldIscsi);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(recordToJson(*r), kOldIscsi);
  auto n = recordFromJson(kOldNfs);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(recordToJson(*n), kOldNfs);
}

TEST(AttachRecordFormat, HashedNamesOfLongIdsAreUnchanged) {
  // The name the older agent (Poco's SHA2Engine) gave a 302-character id.
  AttachRecordStore store("/st");
  EXPECT_EQ(store.pathFor(std::string(300, 'v') + "/x"),
            "/st/volumes/" + std::string(158, 'v') +
                "~3b8d54b46d254460a69f72044d774482546b910cc71d81a5b10dee24b8e4d780.json");
}

TEST(AttachRecordFormat, DamageIsDataLossWithoutTheContent) {
  for (const std::string& bad : {
           std::string("{\"formatVersion\": 1, \"volumeId\": \"s3cr3t"),  // cut short
           std::string("[1, 2]"),                                         // not an object
           std::string("{\"formatVersion\": 2, \"volumeId\": \"v\"}"),    // newer format
           std::string("{\"formatVersion\": 1, \"volumeId\": \"v\"}"),    // fields missing
           std::string(kOldIscsi).replace(std::string(kOldIscsi).find("3260"), 4, "\"s3cr3t\""),
           std::string(kOldIscsi).replace(std::string(kOldIscsi).find("\"staged\""), 8, "\"gone\""),
       }) {
    auto r = recordFromJson(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << r.status();
    EXPECT_EQ(std::string(r.status().message()).find("s3cr3t"), std::string::npos) << r.status();
  }
}

}  // namespace
}  // namespace tnascsi::agent::stage
