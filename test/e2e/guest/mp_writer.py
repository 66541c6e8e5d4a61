#!/usr/bin/env python3
"""Writer for the multipath guest suite: O_DSYNC 4 KiB writes in a loop (block seq % 256, each
holding its sequence number) until SIGTERM, recording every completion time, then prints JSON:
writes, the longest gap between completions (the I/O stall) and when it started, and every gap
over 500 ms. `verify FILE` re-reads the file with O_DIRECT and checks each block holds the last
sequence number written to it (the writer leaves them in FILE.last)."""
import json
import mmap
import os
import signal
import sys
import time

BLOCKS, SIZE = 256, 4096


def write(path):
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_DSYNC, 0o600)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    last, times, seq = {}, [], 0
    t0 = time.time()
    while not stop:
        block = seq % BLOCKS
        data = (f"seq={seq}\n".encode()).ljust(SIZE, b"\0")
        os.pwrite(fd, data, block * SIZE)
        times.append(time.time())
        last[block] = seq
        seq += 1
    os.close(fd)
    gaps = [(times[i] - times[i - 1], times[i - 1]) for i in range(1, len(times))]
    worst = max(gaps) if gaps else (0, t0)
    with open(path + ".last", "w") as f:
        json.dump(last, f)
    print(json.dumps({"writes": seq, "max_gap_ms": round(worst[0] * 1000),
                      "max_gap_at": round(worst[1] * 1000),
                      "gaps_over_500ms": [[round(t * 1000), round(g * 1000)]
                                          for g, t in gaps if g > 0.5]}))


def verify(path):
    with open(path + ".last") as f:
        last = {int(k): v for k, v in json.load(f).items()}
    fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
    buf = mmap.mmap(-1, SIZE)
    bad = 0
    for block, seq in last.items():
        os.preadv(fd, [buf], block * SIZE)
        if not bytes(buf[:32]).startswith(f"seq={seq}\n".encode()):
            bad += 1
    os.close(fd)
    print(json.dumps({"blocks": len(last), "bad": bad}))
    return 1 if bad else 0


if __name__ == "__main__":
    if sys.argv[1] == "verify":
        sys.exit(verify(sys.argv[2]))
    write(sys.argv[1])
