#!/usr/bin/env python3
"""A stand-in for iscsid's management socket, for the packaging tests.

Usage: iscsid_listener.py PIDFILE [SECONDS]

Listens on the abstract unix socket @ISCSIADM_ABSTRACT_NAMESPACE (address length 30, the name not
NUL-terminated, exactly as iscsid binds it) in the caller's network namespace and answers like
Debian's iscsid 2.1.8: a request is exactly 16104 bytes (iscsiadm_req_t); a shorter request that
is closed early gets no reply (the agent's layout probe relies on this); a full MGMT_IPC_CONFIG_INAME
(8) request gets a 2464-byte iscsiadm_rsp_t carrying an initiator name. Writes its pid to PIDFILE
once listening and exits after SECONDS (default 120) so a failed test never leaves it behind.
"""
import os
import socket
import struct
import sys
import time

REQ_SIZE = 16104  # open-iscsi 2.1.1-2.1.10
RSP_SIZE = 2464
CONFIG_INAME = 8
INITIATOR = b"iqn.2026-11.io.truenas-csi:packaging-test"


def serve(conn):
    conn.settimeout(5)
    data = b""
    while len(data) < REQ_SIZE:
        chunk = conn.recv(REQ_SIZE - len(data))
        if not chunk:
            return  # short request: iscsid drops it silently
        data += chunk
    command = struct.unpack_from("<i", data, 0)[0]
    rsp = bytearray(RSP_SIZE)
    struct.pack_into("<ii", rsp, 0, command, 0 if command == CONFIG_INAME else 16)
    if command == CONFIG_INAME:
        rsp[8:8 + len(INITIATOR)] = INITIATOR
    conn.sendall(bytes(rsp))


def main():
    pidfile = sys.argv[1]
    deadline = time.monotonic() + (float(sys.argv[2]) if len(sys.argv) > 2 else 120.0)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(b"\0ISCSIADM_ABSTRACT_NAMESPACE")
    s.listen(32)
    with open(pidfile + ".tmp", "w") as f:
        f.write(str(os.getpid()))
    os.rename(pidfile + ".tmp", pidfile)
    while time.monotonic() < deadline:
        s.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            conn, _ = s.accept()
            try:
                serve(conn)
            except OSError:
                pass
            conn.close()
        except socket.timeout:
            break
    return 0


if __name__ == "__main__":
    sys.exit(main())
