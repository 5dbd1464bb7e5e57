#!/usr/bin/env python3
"""Medians of bench/redis_count.sh's runs, step by step.

  redis_medians.py FILE...

Reads the "REDISCOUNT {...}" lines of the files (other lines are ignored)
and prints one "REDISCOUNT_MEDIAN {...}" line per step (idle,
signin-1-conns, ...): every numeric field is the median over the step's
runs, "by_command" the median of each command's count per sign-in (a run
without the command counts 0; commands whose median is 0 are left out),
"runs" how many runs there were. The
per-command medians need not add up to the median total.
Also imported by bench/lib/hot_report.py (read_lines, medians).
"""
import json
import statistics
import sys

PREFIX = "REDISCOUNT "


def read_lines(paths):
    out = []
    for path in paths:
        with open(path) as f:
            for line in f:
                if line.startswith(PREFIX):
                    out.append(json.loads(line[len(PREFIX):]))
    return out


def _median(values):
    values = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return round(statistics.median(values), 2) if values else None


def medians(records):
    """{step: median record} in the order the steps first appear."""
    steps = {}
    for r in records:
        steps.setdefault(r["step"], []).append(r)
    out = {}
    for step, rs in steps.items():
        m = {"step": step, "runs": len(rs)}
        keys = {k for r in rs for k, v in r.items()
                if isinstance(v, (int, float)) and not isinstance(v, bool) and k != "run"}
        for k in sorted(keys):
            m[k] = _median([r.get(k) for r in rs])
        cmds = {c for r in rs for c in r.get("by_command", {})}
        by = {c: _median([r.get("by_command", {}).get(c, 0) for r in rs]) for c in cmds}
        by = {c: v for c, v in by.items() if v}  # a median of 0: in fewer than half the runs
        m["by_command"] = dict(sorted(by.items(), key=lambda kv: (-kv[1], kv[0])))
        out[step] = m
    return out


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for m in medians(read_lines(sys.argv[1:])).values():
        print("REDISCOUNT_MEDIAN " + json.dumps(m))


if __name__ == "__main__":
    main()
