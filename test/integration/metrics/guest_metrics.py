#!/usr/bin/env python3
"""After a guest lifecycle run: scrape both binaries and check the counts against what happened.

Usage: guest_metrics.py --controller URL --node URL --sim URL --controller-log F --node-log F
                        --sim-baseline F --out DIR

Runs inside the QEMU guest at the end of test/e2e/guest/lifecycle-in-guest.sh (the guest sees the
host's /usr, so python3-prometheus-client is there). Waits until the controller's TrueNAS calls
stand still (the leftover sweep runs 5 s after the last iSCSI delete), then parses each /metrics
with check_metrics.py and checks, besides the conventions:
  - CSI calls: truenas_csi_rpc_requests_total equals, per method and code, the "rpc done" lines
    each daemon logged (both run at --log-level debug, so every call is logged);
  - TrueNAS calls: truenas_csi_truenas_calls_total equals what the simulator received
    (GET /_sim/calls) minus what it had received before the controller started (the setup tool);
  - node: one stage-split observation per "stage timings" line (every iSCSI stage), no attach
    record left, and at least one leftover sweep on the controller.
Writes the scrapes to DIR. Prints every problem; exits 1 if there is any.
"""
import argparse
import json
import os
import re
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_metrics  # noqa: E402

METHOD = re.compile(r'(?:^|\s)method=(\S+)')
CODE = re.compile(r'(?:^|\s)code=(\S+)')


def get(url):
    with urllib.request.urlopen(url, timeout=20) as r:
        return r.read().decode()


def logged_calls(path):
    calls = {}
    with open(path, errors="replace") as f:
        for line in f:
            if 'msg="rpc done"' not in line:
                continue
            method, code = METHOD.search(line), CODE.search(line)
            if method and code:
                codes = calls.setdefault(method.group(1), {})
                codes[code.group(1)] = codes.get(code.group(1), 0) + 1
    return calls


def truenas_counts(text):
    fams, _ = check_metrics.parse(text)
    return sorted((s.labels["method"], s.labels["code"], s.value)
                  for s in check_metrics.samples(fams, "truenas_csi_truenas_calls_total"))


def stable_scrape(url, seconds=180):
    """The controller's /metrics once its TrueNAS call counts are the same 4 s apart."""
    deadline = time.time() + seconds
    last = get(url)
    while time.time() < deadline:
        time.sleep(4)
        now = get(url)
        if truenas_counts(now) == truenas_counts(last):
            return now
        last = now
    return last


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for a in ("--controller", "--node", "--sim", "--controller-log", "--node-log",
              "--sim-baseline", "--out"):
        p.add_argument(a, required=True)
    a = p.parse_args()
    problems = []
    ctrl_text = stable_scrape(a.controller + "/metrics")
    node_text = get(a.node + "/metrics")
    sim = json.loads(get(a.sim + "/_sim/calls"))
    with open(a.sim_baseline) as f:
        base = json.load(f)
    received = {"methods": {m: n - base.get("methods", {}).get(m, 0)
                            for m, n in sim.get("methods", {}).items()}}
    received["methods"] = {m: n for m, n in received["methods"].items() if n}
    os.makedirs(a.out, exist_ok=True)
    for name, text in (("controller.prom", ctrl_text), ("node.prom", node_text)):
        with open(os.path.join(a.out, name), "w") as f:
            f.write(text)

    fams, probs = check_metrics.parse(ctrl_text)
    problems += [f"controller: {x}" for x in probs]
    problems += [f"controller: {x}" for x in check_metrics.check_counts(
        fams, "controller", logged_calls(a.controller_log), received, True)]
    ctrl_calls = sum(s.value for s in check_metrics.samples(fams, "truenas_csi_rpc_requests_total"))
    tn_calls = sum(s.value for s in check_metrics.samples(fams, "truenas_csi_truenas_calls_total"))

    fams, probs = check_metrics.parse(node_text)
    problems += [f"node: {x}" for x in probs]
    problems += [f"node: {x}" for x in check_metrics.check_counts(
        fams, "node", logged_calls(a.node_log), None, False)]
    with open(a.node_log, errors="replace") as f:
        stages = sum(1 for line in f if 'msg="stage timings"' in line)
    split = {s.labels["phase"]: s.value for s in check_metrics.samples(
        fams, "truenas_csi_node_stage_phase_duration_seconds", "_count")}
    for phase in ("login", "device", "identity", "mkfs", "mount"):
        if split.get(phase) != stages:
            problems.append(f"node: stage split {phase} count {split.get(phase)} != {stages} "
                            "logged iSCSI stages")
    left = sum(s.value for s in check_metrics.samples(fams, "truenas_csi_node_volumes"))
    if left:
        problems.append(f"node: {left} attach records left after the lifecycle")
    node_calls = sum(s.value for s in check_metrics.samples(fams, "truenas_csi_rpc_requests_total"))

    for prob in problems:
        print(f"guest_metrics: {prob}")
    if problems:
        return 1
    print(f"guest_metrics: OK: controller {int(ctrl_calls)} CSI calls and {int(tn_calls)} TrueNAS "
          f"calls, node {int(node_calls)} CSI calls and {stages} iSCSI stage splits, all equal "
          "to the logs and the simulator's count")
    return 0


if __name__ == "__main__":
    sys.exit(main())
