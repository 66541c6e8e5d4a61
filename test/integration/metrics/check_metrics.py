#!/usr/bin/env python3
"""Checks one scrape of a truenas-csi binary's /metrics with a real Prometheus parser.

Usage: check_metrics.py --scrape FILE --component controller|node [--csi-calls JSON]
                        [--truenas-calls SIM_JSON] [--expect-sweep]
       check_metrics.py --self-test

The text is parsed by python3-prometheus-client (prometheus_client.parser), which refuses what a
Prometheus server would refuse. Then: naming conventions (prefix truenas_csi_, counters and only
counters end in _total, durations in base units: histograms end in _seconds, no _ms/_bytes
spellings of other units, snake_case labels, HELP on every family); histogram consistency
(cumulative buckets ending in +Inf == _count); the families each binary must expose; and, when
given, that the counts match: --csi-calls {"Method": {"CODE": n}} are exactly the CSI calls made
(so truenas_csi_rpc_requests_total must equal them, nothing more), --truenas-calls is the
simulator's GET /_sim/calls ({"methods": {"pool.query": n}}) which must equal
truenas_csi_truenas_calls_total per method, except the connection's own login and keepalive.
Prints every problem; exits 1 if there is any.
"""
import argparse
import json
import re
import sys

from prometheus_client.parser import text_string_to_metric_families

PREFIX = "truenas_csi_"
# Other spellings of units Prometheus wants in base units (seconds, bytes) or spelled out.
BAD_UNITS = re.compile(r"_(ms|msec|millis|milliseconds|us|microseconds|ns|nanoseconds|minutes|"
                       r"hours|days|kb|mb|gb|kib|mib|gib|kilobytes|megabytes|percent)(_|$)")
LABEL = re.compile(r"^[a-z][a-z0-9_]*$")
REQUIRED = {
    "common": ["truenas_csi_build_info", "truenas_csi_rpc_requests_total",
               "truenas_csi_rpc_duration_seconds", "truenas_csi_rpc_in_flight"],
    "controller": ["truenas_csi_truenas_calls_total", "truenas_csi_truenas_call_duration_seconds",
                   "truenas_csi_truenas_calls_in_flight", "truenas_csi_truenas_connected",
                   "truenas_csi_truenas_reconnects_total", "truenas_csi_leftover_sweeps_total",
                   "truenas_csi_leftover_objects_removed_total"],
    "node": ["truenas_csi_node_stage_phase_duration_seconds", "truenas_csi_node_heal_passes_total",
             "truenas_csi_node_heal_actions_total", "truenas_csi_node_heal_abnormal_volumes",
             "truenas_csi_node_iscsi_sessions", "truenas_csi_node_volumes",
             "truenas_csi_node_iscsid_layout_info"],
}
# Calls the WebSocket connection makes itself (login, keepalive): not TrueNasClient calls.
CONNECTION_METHODS = {"auth.login_with_api_key", "auth.login_ex", "core.ping", "ping"}


def parse(text):
    """(families by exposed name, problems). The parser strips _total from counter families."""
    problems = []
    families = {}
    try:
        for fam in text_string_to_metric_families(text):
            name = fam.name + "_total" if fam.type == "counter" else fam.name
            families[name] = fam
    except ValueError as e:
        return {}, [f"the Prometheus parser rejects the text: {e}"]
    declared = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))
    helps = set(re.findall(r"^# HELP (\S+) \S", text, re.M))
    for name, kind in declared.items():
        if not name.startswith(PREFIX):
            problems.append(f"{name}: does not start with {PREFIX}")
        if (kind == "counter") != name.endswith("_total"):
            problems.append(f"{name}: counters, and only counters, end in _total ({kind})")
        if kind == "histogram" and not name.endswith("_seconds"):
            problems.append(f"{name}: a duration histogram must be in _seconds")
        if BAD_UNITS.search(name):
            problems.append(f"{name}: use base units (seconds, bytes), not {BAD_UNITS.search(name).group(1)}")
        if name not in helps:
            problems.append(f"{name}: no HELP")
        if kind not in ("counter", "gauge", "histogram"):
            problems.append(f"{name}: unexpected type {kind}")
    for name, fam in families.items():
        for s in fam.samples:
            for label in s.labels:
                if label != "le" and not LABEL.match(label):
                    problems.append(f"{name}: label {label} is not snake_case")
        if fam.type == "histogram":
            problems.extend(check_histogram(name, fam))
        if fam.type == "counter":
            for s in fam.samples:
                if s.value < 0:
                    problems.append(f"{name}: negative counter {s.labels}")
    return families, problems


def check_histogram(name, fam):
    problems = []
    series = {}
    for s in fam.samples:
        key = tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))
        entry = series.setdefault(key, {"buckets": [], "count": None})
        if s.name.endswith("_bucket"):
            entry["buckets"].append((float(s.labels["le"]), s.value))
        elif s.name.endswith("_count"):
            entry["count"] = s.value
    for key, e in series.items():
        b = sorted(e["buckets"])
        if not b or b[-1][0] != float("inf"):
            problems.append(f"{name}{dict(key)}: no +Inf bucket")
            continue
        if any(b[i][1] > b[i + 1][1] for i in range(len(b) - 1)):
            problems.append(f"{name}{dict(key)}: buckets are not cumulative")
        if e["count"] != b[-1][1]:
            problems.append(f"{name}{dict(key)}: _count {e['count']} != +Inf bucket {b[-1][1]}")
    return problems


def samples(families, name, suffix=""):
    fam = families.get(name)
    if fam is None:
        return []
    want = (name if not name.endswith("_total") else name) + suffix
    return [s for s in fam.samples if s.name == want]


def check_counts(families, component, csi_calls, truenas_calls, expect_sweep):
    problems = []
    for name in REQUIRED["common"] + REQUIRED[component]:
        if name not in families:
            problems.append(f"missing family {name}")
    info = samples(families, "truenas_csi_build_info")
    if not any(s.labels.get("component") == component and s.value == 1 for s in info):
        problems.append(f"truenas_csi_build_info has no component={component} sample of 1")
    if csi_calls is not None:
        got = {}
        for s in samples(families, "truenas_csi_rpc_requests_total"):
            got.setdefault(s.labels["method"], {})[s.labels["code"]] = s.value
        want = {m: {c: float(n) for c, n in codes.items()} for m, codes in csi_calls.items()}
        if got != want:
            problems.append(f"truenas_csi_rpc_requests_total {got} != the CSI calls made {want}")
        counts = {s.labels["method"]: s.value
                  for s in samples(families, "truenas_csi_rpc_duration_seconds", "_count")}
        for m, codes in want.items():
            if counts.get(m) != sum(codes.values()):
                problems.append(f"rpc_duration_seconds_count{{method={m}}} {counts.get(m)} != "
                                f"{sum(codes.values())}")
        for s in samples(families, "truenas_csi_rpc_in_flight"):
            if s.value != 0:
                problems.append(f"rpc_in_flight {s.labels} is {s.value} after the calls ended")
    if truenas_calls is not None:
        ours = {}
        for s in samples(families, "truenas_csi_truenas_calls_total"):
            ours[s.labels["method"]] = ours.get(s.labels["method"], 0) + s.value
        sim = {m: float(n) for m, n in truenas_calls.get("methods", {}).items()}
        if not ours:
            problems.append("no TrueNAS call was counted")
        for m in sorted(set(ours) | set(sim)):
            if m in CONNECTION_METHODS and m not in ours:
                continue
            if ours.get(m, 0) != sim.get(m, 0):
                problems.append(f"TrueNAS {m}: metrics count {ours.get(m, 0)}, the simulator "
                                f"received {sim.get(m, 0)}")
        durations = {}
        for s in samples(families, "truenas_csi_truenas_call_duration_seconds", "_count"):
            durations[s.labels["method"]] = durations.get(s.labels["method"], 0) + s.value
        if durations != ours:
            problems.append(f"truenas_call_duration_seconds counts {durations} != calls {ours}")
        connected = samples(families, "truenas_csi_truenas_connected")
        if not connected or any(s.value != 1 for s in connected):
            problems.append(f"truenas_csi_truenas_connected is not 1: {connected}")
    if expect_sweep:
        ok = [s for s in samples(families, "truenas_csi_leftover_sweeps_total")
              if s.labels.get("result") == "ok" and s.value >= 1]
        if not ok:
            problems.append("no successful leftover sweep counted")
    return problems


def summary(families):
    lines = []
    for name in sorted(families):
        fam = families[name]
        lines.append(f"  {fam.type:9} {name} ({len(fam.samples)} samples)")
    return "\n".join(lines)


class SelfTest:
    """The checker must reject what it claims to reject (so a pass means something)."""
    GOOD = ("# HELP truenas_csi_x_total X.\n# TYPE truenas_csi_x_total counter\n"
            "truenas_csi_x_total{method=\"A\"} 1\n")

    def run(self):
        cases = [
            (self.GOOD, None),
            (self.GOOD.replace("x_total", "x"), "end in _total"),
            ("# HELP truenas_csi_d_ms D.\n# TYPE truenas_csi_d_ms gauge\ntruenas_csi_d_ms 1\n",
             "base units"),
            ("# HELP truenas_csi_d H.\n# TYPE truenas_csi_d histogram\n"
             "truenas_csi_d_bucket{le=\"+Inf\"} 1\ntruenas_csi_d_count 1\ntruenas_csi_d_sum 1\n",
             "_seconds"),
            ("# HELP truenas_csi_h_seconds H.\n# TYPE truenas_csi_h_seconds histogram\n"
             "truenas_csi_h_seconds_bucket{le=\"1\"} 2\ntruenas_csi_h_seconds_bucket{le=\"+Inf\"} 1\n"
             "truenas_csi_h_seconds_count 1\ntruenas_csi_h_seconds_sum 1\n", "not cumulative"),
            ("# TYPE truenas_csi_g gauge\ntruenas_csi_g 1\n", "no HELP"),
            ("# HELP other_g G.\n# TYPE other_g gauge\nother_g 1\n", "does not start"),
            ("truenas_csi_g{a=\"1\" 1\n", "parser rejects"),
        ]
        bad = 0
        for text, want in cases:
            _, problems = parse(text)
            joined = "\n".join(problems)
            if want is None and problems:
                print(f"self-test: good text rejected: {joined}")
                bad += 1
            elif want is not None and want not in joined:
                print(f"self-test: expected a problem with {want!r}, got {joined!r}")
                bad += 1
        fams, _ = parse(self.GOOD)
        if not any("!=" in p for p in check_counts(fams, "controller", {"A": {"OK": 2}}, None,
                                                   False)):
            print("self-test: a count mismatch was not reported")
            bad += 1
        tn = ("# HELP truenas_csi_truenas_calls_total C.\n"
              "# TYPE truenas_csi_truenas_calls_total counter\n"
              "truenas_csi_truenas_calls_total{backend=\"b\",method=\"pool.query\",code=\"OK\"} 2\n")
        fams, _ = parse(tn)
        got = "\n".join(check_counts(fams, "controller", None,
                                     {"methods": {"pool.query": 3, "core.ping": 9}}, False))
        if "pool.query: metrics count 2.0, the simulator received 3.0" not in got or "ping" in got:
            print(f"self-test: TrueNAS count mismatch not reported right: {got!r}")
            bad += 1
        print(f"self-test: {len(cases) + 2 - bad} passed, {bad} failed")
        return 1 if bad else 0


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scrape")
    p.add_argument("--component", choices=["controller", "node"])
    p.add_argument("--csi-calls")
    p.add_argument("--truenas-calls")
    p.add_argument("--expect-sweep", action="store_true")
    p.add_argument("--self-test", action="store_true")
    a = p.parse_args()
    if a.self_test:
        return SelfTest().run()
    if not a.scrape or not a.component:
        p.error("--scrape and --component are required")
    with open(a.scrape) as f:
        text = f.read()
    families, problems = parse(text)
    load = lambda path: json.load(open(path)) if path else None  # noqa: E731
    problems += check_counts(families, a.component, load(a.csi_calls), load(a.truenas_calls),
                             a.expect_sweep)
    for prob in problems:
        print(f"check_metrics: {prob}")
    if problems:
        return 1
    print(f"check_metrics: {a.component}: {len(families)} families parsed, conventions and "
          "counts OK")
    print(summary(families))
    return 0


if __name__ == "__main__":
    sys.exit(main())
