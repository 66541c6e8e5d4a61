#!/usr/bin/env python3
"""Prints the demo's final table from tnas-e2e JSON reports (one per volume), plus the node
agent's stage split (login/device/identity/mkfs/mount) parsed from its log when present."""
import json
import re
import sys


def stage_split(node_log):
    """The last 'stage timings' line per volume in the agent's logfmt log."""
    splits = {}
    try:
        with open(node_log, encoding="utf-8", errors="replace") as f:
            for line in f:
                if "stage timings" not in line:
                    continue
                fields = dict(re.findall(r'(\w+)=("[^"]*"|\S+)', line))
                vol = fields.get("volume", "?").strip('"')
                splits[vol] = {k[:-3]: float(v) for k, v in fields.items() if k.endswith("_ms")}
    except OSError:
        pass
    return splits


def main(argv):
    node_log = None
    reports = []
    for a in argv:
        if a.startswith("--node-log="):
            node_log = a.split("=", 1)[1]
        else:
            reports.append(a)
    ok = True
    for path in reports:
        with open(path, encoding="utf-8") as f:
            r = json.load(f)
        ok = ok and r["ok"]
        total = sum(s["ms"] for s in r["steps"])
        print(f"\n{r['name']}: {'PASSED' if r['ok'] else 'FAILED'} ({total / 1000:.1f} s)")
        print(f"  {'step':<38} {'ms':>8}")
        for s in r["steps"]:
            mark = "" if s["ok"] else "   <-- FAILED: " + s["detail"]
            print(f"  {s['name']:<38} {s['ms']:>8.0f}{mark}")
    if node_log:
        splits = stage_split(node_log)
        if splits:
            print("\nNodeStageVolume split (from the agent's log, ms):")
            keys = ["login", "device", "identity", "mkfs", "mount", "total"]
            print("  " + f"{'volume':<44}" + "".join(f"{k:>10}" for k in keys))
            for vol, t in splits.items():
                print("  " + f"{vol[:44]:<44}" + "".join(
                    f"{t[k]:>10.0f}" if k in t else f"{'-':>10}" for k in keys))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
