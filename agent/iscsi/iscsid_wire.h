// iscsid management-IPC wire format: the request/response structs iscsid reads and writes on its
// abstract unix socket, declared here from the layout tables in
// shared/reference/iscsid-ipc-and-talos.md (§1.5, §1.7) — not copied from open-iscsi's headers.
// One node record layout per ABI generation:
//   NodeRec2_1_1  open-iscsi 2.1.1 … 2.1.10   request 16104 bytes
//   NodeRec2_1_11 open-iscsi 2.1.11           request 16112 bytes (+ sess_reopen_log_freq)
//   NodeRec2_1_12 open-iscsi HEAD / 2.1.12    request 16128 bytes (+ tcp congestion_control)
// The static_asserts pin sizes and key offsets (x86_64/aarch64, LP64). Plain data; no behaviour.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tnascsi::agent::wire {

// Name of iscsid's abstract socket; the address length is offsetof(sun_path) + 1 + strlen = 30.
inline constexpr char kIscsidSocketName[] = "ISCSIADM_ABSTRACT_NAMESPACE";

// Management commands (enum iscsiadm_cmd; stable since 2.1.0).
enum Command : int32_t {
  kSessionLogin = 1,
  kSessionLogout = 2,
  kConfigIname = 8,
  kConfigIalias = 9,
  kConfigFile = 10,
  kSessionSync = 12,
  kSessionInfo = 13,
};

// iscsid error numbers (enum iscsi_error_list).
enum Error : int32_t {
  kErrSuccess = 0,
  kErrGeneric = 1,
  kErrSessNotFound = 2,
  kErrNoMem = 3,
  kErrTrans = 4,
  kErrLogin = 5,
  kErrIdbm = 6,
  kErrInval = 7,
  kErrTransTimeout = 8,
  kErrInternal = 9,
  kErrLogout = 10,
  kErrPduTimeout = 11,
  kErrTransNotFound = 12,
  kErrAccess = 13,
  kErrTransCaps = 14,
  kErrSessExists = 15,
  kErrInvalidMgmtReq = 16,
  kErrIsnsUnavailable = 17,
  kErrIscsidCommErr = 18,
  kErrFatalLogin = 19,
  kErrIscsidNotConn = 20,
  kErrNoObjsFound = 21,
  kErrSysfsLookup = 22,
  kErrHostNotFound = 23,
  kErrLoginAuthFailed = 24,
  kErrIsnsQuery = 25,
  kErrIsnsRegFailed = 26,
  kErrOpNotSupp = 27,
  kErrBusy = 28,
  kErrAgain = 29,
  kErrUnknownDiscoveryType = 30,
  kErrChildTerminated = 31,
  kErrSessionNotConnected = 32,
  kErrReqTimedOut = 33,
};

inline constexpr size_t kValueMaxLen = 255;  // target name, config var
inline constexpr size_t kAuthStrMaxLen = 256;
inline constexpr size_t kBootNameMaxLen = 256;
inline constexpr size_t kNiMaxHost = 1025;
inline constexpr size_t kIfNameSize = 16;
inline constexpr size_t kMaxIfaceLen = 65;
inline constexpr size_t kHwAddressLen = 18;
inline constexpr size_t kTransportNameLen = 16;
inline constexpr size_t kChapAlgMax = 5;
inline constexpr uint32_t kChapAlgMd5 = 5;
inline constexpr uint32_t kChapAlgUnused = 0xFFFFFFFFu;

// struct list_head: two pointers, kept as integers (always zero on the wire).
struct ListHead {
  uint64_t next;
  uint64_t prev;
};

struct AuthConfig {
  int32_t authmethod;  // 0 none, 1 CHAP
  char username[kAuthStrMaxLen];
  unsigned char password[kAuthStrMaxLen];
  int32_t password_length;
  char username_in[kAuthStrMaxLen];
  unsigned char password_in[kAuthStrMaxLen];
  int32_t password_in_length;
  uint32_t chap_algs[kChapAlgMax];
};

struct SessionTimeouts {
  int32_t replacement_timeout;
};

struct ErrorTimeouts {
  int32_t abort_timeout;
  int32_t host_reset_timeout;
  int32_t lu_reset_timeout;
  int32_t tgt_reset_timeout;
};

struct SessionOperational {
  int32_t DataPDUInOrder;
  int32_t DataSequenceInOrder;
  int32_t protocol;
  int32_t InitialR2T;
  int32_t ImmediateData;
  int32_t FirstBurstLength;
  int32_t MaxBurstLength;
  int32_t DefaultTime2Wait;
  int32_t DefaultTime2Retain;
  int32_t MaxConnections;
  int32_t MaxOutstandingR2T;
  int32_t ERL;
  int32_t FastAbort;
};

// The fields shared by every session_rec_t generation, as a macro so each generation stays a plain
// standard-layout struct (offsetof is well defined).
#define TNAS_ISCSID_SESSION_FIELDS       \
  int32_t initial_cmdsn;                 \
  int32_t reopen_max;                    \
  int32_t xmit_thread_priority;          \
  int32_t cmds_max;                      \
  int32_t queue_depth;                   \
  int32_t initial_login_retry_max;       \
  int32_t nr_sessions;                   \
  int32_t scan;                          \
  AuthConfig auth;                       \
  SessionTimeouts timeo;                 \
  ErrorTimeouts err_timeo;               \
  SessionOperational iscsi;              \
  uint64_t info; /* pointer; always 0 */ \
  uint32_t sid;                          \
  unsigned char multiple;                \
  char boot_root[kBootNameMaxLen];       \
  char boot_nic[kBootNameMaxLen];        \
  char boot_target[kBootNameMaxLen];

struct SessionRec2_1_1 {
  TNAS_ISCSID_SESSION_FIELDS
};

struct SessionRec2_1_11 {
  TNAS_ISCSID_SESSION_FIELDS
  int32_t sess_reopen_log_freq;
};

#undef TNAS_ISCSID_SESSION_FIELDS

struct TcpConfig2_1_1 {
  int32_t window_size;
  int32_t type_of_service;
};

struct TcpConfig2_1_12 {
  int32_t window_size;
  int32_t type_of_service;
  char congestion_control[16];
};

struct ConnTimeouts {
  int32_t login_timeout;
  int32_t logout_timeout;
  int32_t auth_timeout;
  int32_t active_timeout;
  int32_t noop_out_interval;
  int32_t noop_out_timeout;
};

struct ConnOperational {
  int32_t MaxRecvDataSegmentLength;
  int32_t MaxXmitDataSegmentLength;
  int32_t HeaderDigest;
  int32_t DataDigest;
  int32_t IFMarker;
  int32_t OFMarker;
};

template <typename Tcp>
struct ConnRec {
  int32_t startup;
  char address[kNiMaxHost];
  int32_t port;
  Tcp tcp;
  ConnTimeouts timeo;
  ConnOperational iscsi;
};

// iface_rec_t: only the fields software iSCSI over TCP sets; the ~80 offload/IP settings between
// ipaddress and hwaddress stay zero and are kept as an opaque block.
struct IfaceRec {
  ListHead list;
  char name[kMaxIfaceLen];
  uint32_t iface_num;
  char netdev[kIfNameSize];
  char ipaddress[kNiMaxHost];
  unsigned char offload_settings[10043];
  char hwaddress[kHwAddressLen];
  char transport_name[kTransportNameLen];
  char alias[256];
  char iname[256];
};

template <typename Session, typename Tcp>
struct NodeRec {
  ListHead list;
  char name[kValueMaxLen];
  int32_t tpgt;
  int32_t startup;
  int32_t leading_login;
  Session session;
  ConnRec<Tcp> conn[1];
  IfaceRec iface;
  int32_t disc_type;
  char disc_address[kNiMaxHost];
  int32_t disc_port;
};

using NodeRec2_1_1 = NodeRec<SessionRec2_1_1, TcpConfig2_1_1>;
using NodeRec2_1_11 = NodeRec<SessionRec2_1_11, TcpConfig2_1_1>;
using NodeRec2_1_12 = NodeRec<SessionRec2_1_11, TcpConfig2_1_12>;

// iscsiadm_req_t restricted to the session member of its union (the largest member).
template <typename Rec>
struct Request {
  int32_t command;
  uint32_t payload_len;
  int32_t sid;
  int32_t pad_;
  Rec rec;
};

using Request2_1_1 = Request<NodeRec2_1_1>;
using Request2_1_11 = Request<NodeRec2_1_11>;
using Request2_1_12 = Request<NodeRec2_1_12>;

// iscsiadm_rsp_t: the union is kept as raw bytes (config var at 0, session_state at 0/4).
struct Response {
  int32_t command;
  int32_t err;
  alignas(8) unsigned char u[2456];
};

// ---- layout pins (values from the reference's offset table) ----
static_assert(sizeof(void*) == 8, "iscsid wire layouts are known for LP64 only");
static_assert(sizeof(Response) == 2464);
static_assert(offsetof(Response, u) == 8);
static_assert(sizeof(AuthConfig) == 1056);
static_assert(sizeof(IfaceRec) == 11720);
static_assert(offsetof(IfaceRec, name) == 16);
static_assert(offsetof(IfaceRec, netdev) == 88);
static_assert(offsetof(IfaceRec, ipaddress) == 104);
static_assert(offsetof(IfaceRec, hwaddress) == 11172);
static_assert(offsetof(IfaceRec, transport_name) == 11190);
static_assert(offsetof(IfaceRec, alias) == 11206);
static_assert(offsetof(IfaceRec, iname) == 11462);

// 2.1.1 – 2.1.10
static_assert(sizeof(NodeRec2_1_1) == 16088);
static_assert(sizeof(Request2_1_1) == 16104);
static_assert(offsetof(Request2_1_1, rec) == 16);
static_assert(offsetof(NodeRec2_1_1, name) == 16);
static_assert(offsetof(NodeRec2_1_1, tpgt) == 272);
static_assert(offsetof(NodeRec2_1_1, startup) == 276);
static_assert(offsetof(NodeRec2_1_1, leading_login) == 280);
static_assert(offsetof(NodeRec2_1_1, session) == 288);
static_assert(offsetof(NodeRec2_1_1, session) + offsetof(SessionRec2_1_1, scan) == 316);
static_assert(offsetof(NodeRec2_1_1, session) + offsetof(SessionRec2_1_1, auth) == 320);
static_assert(offsetof(NodeRec2_1_1, session) + offsetof(SessionRec2_1_1, auth) +
                  offsetof(AuthConfig, password) ==
              580);
static_assert(offsetof(NodeRec2_1_1, session) + offsetof(SessionRec2_1_1, auth) +
                  offsetof(AuthConfig, password_length) ==
              836);
static_assert(offsetof(NodeRec2_1_1, session) + offsetof(SessionRec2_1_1, auth) +
                  offsetof(AuthConfig, username_in) ==
              840);
static_assert(offsetof(NodeRec2_1_1, session) + offsetof(SessionRec2_1_1, auth) +
                  offsetof(AuthConfig, password_in_length) ==
              1352);
static_assert(offsetof(NodeRec2_1_1, session) + offsetof(SessionRec2_1_1, auth) +
                  offsetof(AuthConfig, chap_algs) ==
              1356);
static_assert(offsetof(NodeRec2_1_1, session) + offsetof(SessionRec2_1_1, timeo) == 1376);
static_assert(offsetof(NodeRec2_1_1, session) + offsetof(SessionRec2_1_1, err_timeo) == 1380);
static_assert(offsetof(NodeRec2_1_1, session) + offsetof(SessionRec2_1_1, iscsi) == 1396);
static_assert(offsetof(NodeRec2_1_1, session) + offsetof(SessionRec2_1_1, info) == 1448);
static_assert(offsetof(NodeRec2_1_1, session) + offsetof(SessionRec2_1_1, sid) == 1456);
static_assert(offsetof(NodeRec2_1_1, session) + offsetof(SessionRec2_1_1, multiple) == 1460);
static_assert(offsetof(NodeRec2_1_1, session) + offsetof(SessionRec2_1_1, boot_target) == 1973);
static_assert(offsetof(NodeRec2_1_1, conn) == 2232);
static_assert(offsetof(NodeRec2_1_1, conn) + offsetof(ConnRec<TcpConfig2_1_1>, address) == 2236);
static_assert(offsetof(NodeRec2_1_1, conn) + offsetof(ConnRec<TcpConfig2_1_1>, port) == 3264);
static_assert(offsetof(NodeRec2_1_1, conn) + offsetof(ConnRec<TcpConfig2_1_1>, tcp) == 3268);
static_assert(offsetof(NodeRec2_1_1, conn) + offsetof(ConnRec<TcpConfig2_1_1>, timeo) == 3276);
static_assert(offsetof(NodeRec2_1_1, conn) + offsetof(ConnRec<TcpConfig2_1_1>, iscsi) == 3300);
static_assert(offsetof(NodeRec2_1_1, iface) == 3328);
static_assert(offsetof(NodeRec2_1_1, iface) + offsetof(IfaceRec, transport_name) == 14518);
static_assert(offsetof(NodeRec2_1_1, iface) + offsetof(IfaceRec, iname) == 14790);
static_assert(offsetof(NodeRec2_1_1, disc_type) == 15048);
static_assert(offsetof(NodeRec2_1_1, disc_address) == 15052);
static_assert(offsetof(NodeRec2_1_1, disc_port) == 16080);

// 2.1.11
static_assert(sizeof(NodeRec2_1_11) == 16096);
static_assert(sizeof(Request2_1_11) == 16112);
static_assert(offsetof(NodeRec2_1_11, session) + offsetof(SessionRec2_1_11, auth) == 320);
static_assert(offsetof(NodeRec2_1_11, session) + offsetof(SessionRec2_1_11, timeo) == 1376);
static_assert(offsetof(NodeRec2_1_11, session) + offsetof(SessionRec2_1_11, sess_reopen_log_freq) ==
              2232);
static_assert(offsetof(NodeRec2_1_11, conn) == 2240);
static_assert(offsetof(NodeRec2_1_11, conn) + offsetof(ConnRec<TcpConfig2_1_1>, address) == 2244);
static_assert(offsetof(NodeRec2_1_11, conn) + offsetof(ConnRec<TcpConfig2_1_1>, port) == 3272);
static_assert(offsetof(NodeRec2_1_11, conn) + offsetof(ConnRec<TcpConfig2_1_1>, timeo) == 3284);
static_assert(offsetof(NodeRec2_1_11, iface) == 3336);
static_assert(offsetof(NodeRec2_1_11, iface) + offsetof(IfaceRec, iname) == 14798);
static_assert(offsetof(NodeRec2_1_11, disc_type) == 15056);
static_assert(offsetof(NodeRec2_1_11, disc_port) == 16088);

// HEAD / 2.1.12
static_assert(sizeof(NodeRec2_1_12) == 16112);
static_assert(sizeof(Request2_1_12) == 16128);
static_assert(offsetof(NodeRec2_1_12, conn) == 2240);
static_assert(offsetof(NodeRec2_1_12, conn) + offsetof(ConnRec<TcpConfig2_1_12>, port) == 3272);
static_assert(offsetof(NodeRec2_1_12, conn) + offsetof(ConnRec<TcpConfig2_1_12>, tcp) +
                  offsetof(TcpConfig2_1_12, congestion_control) ==
              3284);
static_assert(offsetof(NodeRec2_1_12, conn) + offsetof(ConnRec<TcpConfig2_1_12>, timeo) == 3300);
static_assert(offsetof(NodeRec2_1_12, conn) + offsetof(ConnRec<TcpConfig2_1_12>, iscsi) == 3324);
static_assert(offsetof(NodeRec2_1_12, iface) == 3352);
static_assert(offsetof(NodeRec2_1_12, iface) + offsetof(IfaceRec, name) == 3368);
static_assert(offsetof(NodeRec2_1_12, iface) + offsetof(IfaceRec, transport_name) == 14542);
static_assert(offsetof(NodeRec2_1_12, disc_type) == 15072);
static_assert(offsetof(NodeRec2_1_12, disc_address) == 15076);
static_assert(offsetof(NodeRec2_1_12, disc_port) == 16104);

}  // namespace tnascsi::agent::wire
