#!/usr/bin/env python3
"""Turns one pgbench run into the bench's metrics JSON.

  pgbench_stats.py PGBENCH_OUTPUT CPU_JSON LOGFILE...

Throughput is pgbench's own tps (without connection time); latency
percentiles come from the per-transaction logs (-l), third column in us.
"""
import json
import re
import sys


def pct(sorted_values, p):
    if not sorted_values:
        return None
    i = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values)) - 1))
    return sorted_values[i]


def main():
    out, cpu, logs = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3:]
    lat = []
    for path in logs:
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3 and parts[2].isdigit():
                    lat.append(int(parts[2]) / 1000)
    lat.sort()

    def grab(pattern, cast=float):
        m = re.search(pattern, out)
        return cast(m.group(1)) if m else None

    m = {
        "rps": grab(r"tps = ([\d.]+) \(without initial connection time\)"),
        "requests": grab(r"number of transactions actually processed: (\d+)", int),
        "failed": grab(r"number of failed transactions: (\d+)", int) or 0,
        "seconds": grab(r"duration: (\d+) s", int),
        "mean_ms": grab(r"latency average = ([\d.]+) ms"),
        "p50_ms": pct(lat, 50),
        "p90_ms": pct(lat, 90),
        "p99_ms": pct(lat, 99),
        "max_ms": lat[-1] if lat else None,
        "aborted": "aborted" in out.lower(),
        "graphql_errors": 0,
    }
    m.update(cpu)
    print(json.dumps(m))


if __name__ == "__main__":
    main()
