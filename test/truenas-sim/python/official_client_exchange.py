#!/usr/bin/env python3
"""Protocol-level test of the official TrueNAS Python client's exchange against truenas-sim.

The official client (github.com/truenas/api_client, truenas_api_client) is not packaged in Debian,
so this script speaks the same frames it does, on every personality, and checks the answers a
real system gives (middleware source cited in the simulator):

  JSON-RPC (25.04, 25.10; Client -> JSONRPCClient on ws://host/api/current):
    on_open: core.set_options {legacy_jobs: false, private_methods, py_exceptions}
    login_with_api_key(PLAIN): auth.mechanism_choices (unauthenticated: 25.04.2-25.10.2 fail with
      "'NoneType' object has no attribute 'may_create_auth_token'", which the client treats as
      "API_KEY_PLAIN only"), then auth.login_ex {mechanism: API_KEY_PLAIN, username, api_key}
      -> response_type SUCCESS
  Legacy (13.0, 24.10; Client -> LegacyClient on ws://host/websocket, DDP):
    connect -> connected; login_with_api_key: auth.mechanism_choices -> ENOMETHOD error
    ("Method 'mechanism_choices' not found in 'auth'"), then auth.login_with_api_key(key) -> true
  Then ordinary calls: system.info, pool.query, core.ping; an unknown method; a call before login.

Usage: official_client_exchange.py --sim PATH_TO_truenas-sim
"""
import argparse
import base64
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile

KEY = "1-" + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ01"


class WebSocket:
    """A minimal RFC 6455 client (text frames, masked, no extensions)."""

    def __init__(self, host, port, path):
        self.sock = socket.create_connection((host, port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        req = (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
        self.sock.sendall(req.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise RuntimeError("closed during handshake")
            head += chunk
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status:
            raise RuntimeError(f"handshake to {path} failed: {status!r}")

    def send(self, obj):
        data = json.dumps(obj).encode()
        mask = os.urandom(4)
        header = bytes([0x81])
        if len(data) < 126:
            header += bytes([0x80 | len(data)])
        elif len(data) < 65536:
            header += bytes([0x80 | 126]) + struct.pack(">H", len(data))
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", len(data))
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        self.sock.sendall(header + mask + masked)

    def _read(self, n):
        out = b""
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                raise RuntimeError("connection closed")
            out += chunk
        return out

    def recv(self):
        while True:
            b0, b1 = self._read(2)
            length = b1 & 0x7F
            if length == 126:
                length = struct.unpack(">H", self._read(2))[0]
            elif length == 127:
                length = struct.unpack(">Q", self._read(8))[0]
            payload = self._read(length)
            opcode = b0 & 0x0F
            if opcode == 0x1:
                return json.loads(payload)
            if opcode == 0x8:
                raise RuntimeError("server closed the connection")


class JsonRpc:
    def __init__(self, port):
        self.ws = WebSocket("127.0.0.1", port, "/api/current")
        self.next_id = 0

    def call(self, method, *params):
        self.next_id += 1
        self.ws.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": list(params)})
        while True:
            msg = self.ws.recv()
            if msg.get("id") == self.next_id:
                return msg


class Legacy:
    def __init__(self, port):
        self.ws = WebSocket("127.0.0.1", port, "/websocket")
        self.ws.send({"msg": "connect", "version": "1", "support": ["1"]})
        msg = self.ws.recv()
        check(msg.get("msg") == "connected", f"DDP connect: {msg}")
        self.next_id = 0

    def call(self, method, *params):
        self.next_id += 1
        call_id = f"c{self.next_id}"
        self.ws.send({"id": call_id, "msg": "method", "method": method, "params": list(params)})
        while True:
            msg = self.ws.recv()
            if msg.get("msg") == "result" and msg.get("id") == call_id:
                return msg


FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what)


def run_jsonrpc(port, personality):
    c = JsonRpc(port)
    r = c.call("core.set_options", {"legacy_jobs": False, "private_methods": False,
                                    "py_exceptions": False})
    check("result" in r, f"{personality} core.set_options: {r}")
    before = c.call("pool.query")
    check(before.get("error", {}).get("data", {}).get("error") == 207,
          f"{personality} call before login is ENOTAUTHENTICATED: {before}")
    r = c.call("auth.mechanism_choices")
    reason = r.get("error", {}).get("data", {}).get("reason", "")
    check("'NoneType' object has no attribute 'may_create_auth_token'" in reason,
          f"{personality} unauthenticated auth.mechanism_choices: {r}")
    r = c.call("auth.login_ex", {"mechanism": "API_KEY_PLAIN", "username": "root", "api_key": KEY})
    check(r.get("result", {}).get("response_type") == "SUCCESS", f"{personality} login_ex: {r}")
    r = c.call("auth.mechanism_choices")
    check("API_KEY_PLAIN" in r.get("result", []), f"{personality} mechanism_choices: {r}")
    ordinary(c, personality, lambda r: r.get("result"), lambda r: r.get("error", {}).get("code"))
    r = c.call("nosuch.method.x")
    check(r.get("error", {}).get("code") == -32601, f"{personality} unknown method: {r}")


def run_legacy(port, personality):
    c = Legacy(port)
    before = c.call("pool.query")
    want = 13 if personality == "13.0" else 207  # EACCES on CORE
    check(before.get("error", {}).get("error") == want,
          f"{personality} call before login: {before}")
    r = c.call("auth.mechanism_choices")
    err = r.get("error", {})
    check(err.get("error") == 201 and
          "Method 'mechanism_choices' not found in 'auth'" in err.get("reason", ""),
          f"{personality} auth.mechanism_choices is ENOMETHOD: {r}")
    r = c.call("auth.login_with_api_key", KEY)
    check(r.get("result") is True, f"{personality} login_with_api_key: {r}")
    ordinary(c, personality, lambda r: r.get("result"), lambda r: r.get("error", {}).get("error"))
    r = c.call("pool.nosuch")
    check(r.get("error", {}).get("error") == 201 and
          "Method 'nosuch' not found in 'pool'" in r.get("error", {}).get("reason", ""),
          f"{personality} unknown method: {r}")


def ordinary(c, personality, result, error):
    info = result(c.call("system.info"))
    check(isinstance(info, dict) and "version" in info, f"{personality} system.info: {info}")
    pools = result(c.call("pool.query"))
    check(isinstance(pools, list) and pools and pools[0].get("name") == "tank",
          f"{personality} pool.query: {pools}")
    check(result(c.call("core.ping")) == "pong", f"{personality} core.ping")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sim", required=True)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        key_file = os.path.join(tmp, "key")
        with open(key_file, "w") as f:
            f.write(KEY + "\n")
        for personality in ("13.0", "24.10", "25.04", "25.10"):
            proc = subprocess.Popen(
                [args.sim, "--personality", personality, "--listen", "127.0.0.1:0",
                 "--api-key-file", key_file, "--state", os.path.join(tmp, personality + ".json"),
                 "--pool", "tank:100G"],
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            try:
                line = proc.stdout.readline()
                m = re.search(r":(\d+)\s*$", line.strip())
                check(m is not None, f"{personality}: no listening line: {line!r}")
                if not m:
                    continue
                port = int(m.group(1))
                if personality in ("25.04", "25.10"):
                    run_jsonrpc(port, personality)
                else:
                    run_legacy(port, personality)
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=20)
    if FAILURES:
        print(f"{len(FAILURES)} failure(s)")
        return 1
    print("official client exchange: OK on 13.0, 24.10, 25.04, 25.10")
    return 0


if __name__ == "__main__":
    sys.exit(main())
