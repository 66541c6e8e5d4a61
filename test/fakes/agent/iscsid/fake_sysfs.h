// FakeSysfs: builds the slice of sysfs the agent reads for software iSCSI (reference §2.1) in a
// temporary directory: iscsi_session/iscsi_connection classes, the hostH/sessionN/targetH:0:T/
// H:0:T:L/block/sdX device chain, bus/scsi/devices links and scsi_host scan files. Header-only
// test helper; not thread-safe.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace tnascsi::agent::testing {

class FakeSysfs {
 public:
  FakeSysfs() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tnas-sysfs-XXXXXX").string();
    root_ = ::mkdtemp(tmpl.data());
  }
  ~FakeSysfs() {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  FakeSysfs(const FakeSysfs&) = delete;
  FakeSysfs& operator=(const FakeSysfs&) = delete;

  std::string root() const { return root_.string(); }
  std::filesystem::path path(const std::string& rel) const { return root_ / rel; }

  void write(const std::string& rel, const std::string& content) const {
    std::filesystem::create_directories(path(rel).parent_path());
    std::ofstream out(path(rel), std::ios::binary | std::ios::trunc);
    out << content;
  }
  std::string read(const std::string& rel) const {
    std::ifstream in(path(rel), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  void link(const std::string& rel, const std::string& target) const {
    std::filesystem::create_directories(path(rel).parent_path());
    std::filesystem::create_directory_symlink(target, path(rel));
  }

  static std::string sessionDevice(int sid, int host) {
    return "devices/platform/host" + std::to_string(host) + "/session" + std::to_string(sid);
  }

  void addSession(int sid, int host, const std::string& iqn, const std::string& address, int port,
                  const std::string& state = "LOGGED_IN", int tpgt = 1) const {
    const std::string s = std::to_string(sid);
    const std::string dev = sessionDevice(sid, host);
    const std::string cls = dev + "/iscsi_session/session" + s;
    write(cls + "/targetname", iqn + "\n");
    write(cls + "/tpgt", std::to_string(tpgt) + "\n");
    write(cls + "/state", state + "\n");
    write(cls + "/initiatorname", "iqn.2004-10.org.example:fake-node\n");
    link(cls + "/device", "../../../session" + s);
    link("class/iscsi_session/session" + s, "../../" + cls);
    const std::string conn = dev + "/connection" + s + ":0/iscsi_connection/connection" + s + ":0";
    write(conn + "/persistent_address", address + "\n");
    write(conn + "/persistent_port", std::to_string(port) + "\n");
    link("class/iscsi_connection/connection" + s + ":0", "../../" + conn);
    write("class/scsi_host/host" + std::to_string(host) + "/scan", "");
  }

  static std::string addr(int host, int target, int lun) {
    return std::to_string(host) + ":0:" + std::to_string(target) + ":" + std::to_string(lun);
  }

  // Adds a SCSI device under session `sid`; with a non-empty `disk` also its block disk.
  std::string addLun(int sid, int host, int target, int lun, const std::string& disk,
                     uint64_t sectors = 2048, const std::string& vpd80 = "",
                     const std::string& vpd83 = "") const {
    const std::string a = addr(host, target, lun);
    const std::string dir = sessionDevice(sid, host) + "/target" + std::to_string(host) +
                            ":0:" + std::to_string(target) + "/" + a;
    write(dir + "/state", "running\n");
    write(dir + "/vendor", "TrueNAS \n");
    write(dir + "/model", "iSCSI Disk      \n");
    write(dir + "/rescan", "");
    write(dir + "/delete", "");
    if (!vpd80.empty()) write(dir + "/vpd_pg80", vpd80);
    if (!vpd83.empty()) write(dir + "/vpd_pg83", vpd83);
    if (!disk.empty()) {
      write(dir + "/block/" + disk + "/size", std::to_string(sectors) + "\n");
      std::filesystem::create_directories(path(dir + "/block/" + disk + "/holders"));
    }
    std::error_code ec;
    if (!std::filesystem::exists(path("bus/scsi/devices/" + a), ec)) {
      link("bus/scsi/devices/" + a, "../../../" + dir);
    }
    return dir;
  }

 private:
  std::filesystem::path root_;
};

}  // namespace tnascsi::agent::testing
