#!/usr/bin/env python3
"""A stand-in for iscsid's management socket, for the packaging tests.

Usage: iscsid_listener.py PIDFILE [SECONDS]

Listens on the abstract unix socket @ISCSIADM_ABSTRACT_NAMESPACE (address length 30, the name not
NUL-terminated, exactly as iscsid binds it) in the caller's network namespace, accepts and closes
connections, writes its pid to PIDFILE once listening, and exits after SECONDS (default 120) so a
failed test never leaves it behind.
"""
import os
import socket
import sys
import time


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
            conn.close()
        except socket.timeout:
            break
    return 0


if __name__ == "__main__":
    sys.exit(main())
