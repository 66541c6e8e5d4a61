// Table tests for VPD page 0x80/0x83 parsing on byte sequences built from the SPC layout.
#include "agent/block/vpd.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <initializer_list>

namespace tnascsi::agent {
namespace {

using ::testing::ElementsAre;

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int v : b) {
    s.push_back(static_cast<char>(v));
  }
  return s;
}

// A page: 4-byte header (device type 0, page code, 2-byte big-endian length) + body.
std::string page(int code, const std::string& body) {
  return bytes({0x00, code, static_cast<int>(body.size() >> 8),
                static_cast<int>(body.size() & 0xff)}) +
         body;
}

// One designator: byte0 = protocol<<4 | code set, byte1 = piv<<7 | assoc<<4 | type, len.
std::string designator(int protocol, int codeSet, int piv, int assoc, int type,
                       const std::string& value) {
  return bytes({(protocol << 4) | codeSet, (piv << 7) | (assoc << 4) | type, 0x00,
                static_cast<int>(value.size())}) +
         value;
}

TEST(VpdSerialTest, TrimsSpacesAndNuls) {
  auto s = parseVpdSerial(page(0x80, std::string("  0c4d0c3e-9c1f   ") + '\0'));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(*s, "0c4d0c3e-9c1f");
}

TEST(VpdSerialTest, EmptySerial) {
  auto s = parseVpdSerial(page(0x80, ""));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, "");
}

TEST(VpdSerialTest, RejectsWrongPageAndOverrun) {
  EXPECT_FALSE(parseVpdSerial(page(0x83, "abc")).ok());
  EXPECT_FALSE(parseVpdSerial(bytes({0x00, 0x80, 0x00, 0x10, 'a', 'b'})).ok());
  EXPECT_FALSE(parseVpdSerial(bytes({0x00, 0x80})).ok());
}

// What a LIO target (the guest rig's target) reports for a LUN.
TEST(VpdDesignatorsTest, LioLogicalUnitDesignatorsOnly) {
  const std::string naa = bytes({0x60, 0x01, 0x40, 0x5a, 0xbc, 0xde, 0xf0, 0x12, 0x34, 0x56, 0x78,
                                 0x9a, 0xbc, 0xde, 0xf0, 0x12});
  const std::string body =
      designator(0, 1, 0, 0, 3, naa) +                               // NAA, LU
      designator(0, 2, 0, 0, 1, "LIO-ORG 0c4d0c3e-9c1f-4b55    ") +  // T10, LU
      designator(5, 1, 1, 1, 4, bytes({0, 0, 0, 1})) +               // rel. port, port
      designator(5, 1, 1, 1, 5, bytes({0, 0, 0, 0})) +               // TPG, port
      designator(5, 3, 1, 2, 8, std::string("iqn.2003-01.org.x:t1,t,0x0001\0\0\0", 32));
  auto ids = parseVpdDesignators(page(0x83, body));
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_THAT(
      *ids, ElementsAre("naa.6001405abcdef0123456789abcdef012", "t10.LIO-ORG 0c4d0c3e-9c1f-4b55"));
}

// SCST (TrueNAS): NAA registered (type 6, 8 bytes), EUI-64 and a LU SCSI name string.
TEST(VpdDesignatorsTest, NaaEuiAndScsiName) {
  const std::string body =
      designator(0, 1, 0, 0, 3, bytes({0x6A, 0xBC, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55})) +
      designator(0, 1, 0, 0, 2, bytes({0x00, 0x14, 0x05, 0xFF, 0xFE, 0x01, 0x02, 0x03})) +
      designator(0, 3, 0, 0, 8, std::string("naa.6589CFC000000\0\0\0", 20));
  auto ids = parseVpdDesignators(page(0x83, body));
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_THAT(*ids,
              ElementsAre("naa.6abc001122334455", "eui.001405fffe010203", "naa.6589CFC000000"));
}

TEST(VpdDesignatorsTest, EmptyPageHasNoDesignators) {
  auto ids = parseVpdDesignators(page(0x83, ""));
  ASSERT_TRUE(ids.ok());
  EXPECT_TRUE(ids->empty());
}

TEST(VpdDesignatorsTest, RejectsMalformedPages) {
  // Designator claims 16 bytes, only 4 present.
  const std::string truncated = bytes({0x01, 0x03, 0x00, 0x10, 0x60, 0x01, 0x40, 0x5a});
  EXPECT_EQ(parseVpdDesignators(page(0x83, truncated)).status().code(),
            StatusCode::kInvalidArgument);
  // Header shorter than 4 bytes inside the body.
  EXPECT_FALSE(parseVpdDesignators(page(0x83, bytes({0x01, 0x03}))).ok());
  EXPECT_FALSE(parseVpdDesignators(page(0x80, "")).ok());
}

}  // namespace
}  // namespace tnascsi::agent
