#!/usr/bin/env python3
"""CPU accounting for a bench interval, from /proc (Linux only).

  cpu.py snap            prints a JSON snapshot (cumulative CPU seconds)
  cpu.py diff A B        prints where the CPU went between two snapshots

Groups by process name: the service under test (signin-rewards or
bench-baseline), postgres (postmaster's children's time included, so
backends that exit in between still count), redis-server; "other" is the
rest of the machine's busy time (mostly the load generator: wrk or pgbench).
"""
import json
import os
import sys

TICK = os.sysconf("SC_CLK_TCK")
GROUPS = {
    "signin-rewards": "service",
    "bench-baseline": "service",
    "postgres": "postgres",
    "redis-server": "redis",
}


def snap():
    out = {"service": 0.0, "postgres": 0.0, "redis": 0.0}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        group = GROUPS.get(comm)
        if group is None:
            continue
        # fields[11..14] = utime stime cutime cstime
        ticks = sum(int(x) for x in fields[11:15])
        out[group] += ticks / TICK
    with open("/proc/stat") as f:
        cpu = [int(x) for x in f.readline().split()[1:]]
    idle = cpu[3] + cpu[4]
    out["total"] = sum(cpu[:8]) / TICK
    out["busy"] = (sum(cpu[:8]) - idle) / TICK
    return out


def diff(a, b):
    d = {k: b[k] - a[k] for k in a}
    wall_cores = d["total"]  # CPU-seconds available in the interval (all cores)
    d["other"] = d["busy"] - d["service"] - d["postgres"] - d["redis"]
    return {
        "cpu_busy_pct": round(100 * d["busy"] / wall_cores, 1) if wall_cores else None,
        "cpu_s": {k: round(d[k], 2) for k in ("service", "postgres", "redis", "other", "busy")},
    }


if __name__ == "__main__":
    if sys.argv[1] == "snap":
        print(json.dumps(snap()))
    else:
        print(json.dumps(diff(json.loads(sys.argv[2]), json.loads(sys.argv[3]))))
