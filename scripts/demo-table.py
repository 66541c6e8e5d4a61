#!/usr/bin/env python3
"""Prints the demo's final table from tnas-e2e JSON reports (one per volume), plus the node
agent's stage split (login/device/identity/mkfs/mount) parsed from its log when present.

    demo-table.py [--node-log=FILE] [--failure-out=FILE] REPORT.json...

A missing or unreadable report is one line ("iscsi-ext4: no report (...)"), never a traceback.
Exit status: 0 when every report exists and passed, else 1. With --failure-out, the first failure
("iscsi-ext4: step NodeStageVolume" or "nfs-4.2: no report") is written to FILE for the caller's
one-line summary."""
import json
import os
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
                splits[vol] = {}
                for k, v in fields.items():
                    if k.endswith("_ms"):
                        try:
                            splits[vol][k[:-3]] = float(v.strip('"'))
                        except ValueError:
                            pass
    except OSError:
        pass
    return splits


def load_report(path):
    """(report, None) or (None, why) for a tnas-e2e JSON report."""
    try:
        with open(path, encoding="utf-8") as f:
            r = json.load(f)
    except FileNotFoundError:
        return None, f"{path} was not written"
    except (OSError, ValueError) as e:
        return None, f"{path} is unreadable: {e}"
    if not isinstance(r, dict) or not isinstance(r.get("steps"), list):
        return None, f"{path} is not a tnas-e2e report"
    return r, None


def print_report(r):
    """Prints one volume's steps; returns the name of its first failed step, or None."""
    steps = [s for s in r["steps"] if isinstance(s, dict)]
    total = sum(float(s.get("ms", 0)) for s in steps)
    ok = bool(r.get("ok"))
    print(f"\n{r.get('name', '?')}: {'PASSED' if ok else 'FAILED'} ({total / 1000:.1f} s)")
    print(f"  {'step':<38} {'ms':>8}")
    first_failed = None
    for s in steps:
        mark = ""
        if not s.get("ok"):
            mark = "   <-- FAILED: " + str(s.get("detail", ""))
            first_failed = first_failed or str(s.get("name", "?"))
        print(f"  {str(s.get('name', '?')):<38} {float(s.get('ms', 0)):>8.0f}{mark}")
    if not ok and first_failed is None:
        first_failed = "(report says failed)"
    return first_failed


def main(argv):
    node_log = None
    failure_out = None
    reports = []
    for a in argv:
        if a.startswith("--node-log="):
            node_log = a.split("=", 1)[1]
        elif a.startswith("--failure-out="):
            failure_out = a.split("=", 1)[1]
        else:
            reports.append(a)
    failures = []
    for path in reports:
        name = os.path.basename(path)
        name = name[:-5] if name.endswith(".json") else name
        r, why = load_report(path)
        if r is None:
            print(f"\n{name}: no report ({why})")
            failures.append(f"{name}: no report")
            continue
        failed_step = print_report(r)
        if failed_step:
            failures.append(f"{name}: step {failed_step}")
    if node_log:
        splits = stage_split(node_log)
        if splits:
            print("\nNodeStageVolume split (from the agent's log, ms):")
            keys = ["login", "device", "identity", "mkfs", "mount", "total"]
            print("  " + f"{'volume':<44}" + "".join(f"{k:>10}" for k in keys))
            for vol, t in splits.items():
                print("  " + f"{vol[:44]:<44}" + "".join(
                    f"{t[k]:>10.0f}" if k in t else f"{'-':>10}" for k in keys))
    if failure_out and failures:
        try:
            with open(failure_out, "w", encoding="utf-8") as f:
                f.write(failures[0] + "\n")
        except OSError:
            pass
    return 1 if failures or not reports else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Exception as e:  # the demo's last line must stay one line, never a traceback
        print(f"demo-table: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
