#!/usr/bin/env python3
"""CPU accounting for a bench interval, from /proc (Linux only).

  cpu.py snap [PID]             prints a JSON snapshot (cumulative CPU seconds)
  cpu.py diff A B [LOADGEN_S]   prints where the CPU went between two snapshots;
                                LOADGEN_S: CPU-seconds the load generator used

Groups: "service" is the process under test, by PID (the bench's own
signin-rewards or bench-baseline; none for pgbench); "postgres" is every
postgres process (the postmaster's children's time included, so backends
that exit in between still count); "redis" is redis-server; "receiver" is
scenario k's webhook receiver (hook-receiver); "other" is the
rest of the machine's busy time, split into the load generator (measured
by the caller), interrupt/softirq time (loopback networking, disk) and
"foreign": whatever else ran meanwhile (another build, another test run),
which makes a run unrepresentative.
"""
import json
import os
import sys

TICK = os.sysconf("SC_CLK_TCK")
GROUPS = {
    "postgres": "postgres",
    "redis-server": "redis",
    "hook-receiver": "receiver",  # scenario k's webhook receiver
}


def snap(service_pid=None):
    out = {"service": 0.0, "postgres": 0.0, "redis": 0.0, "receiver": 0.0}
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
        group = "service" if pid == service_pid else GROUPS.get(comm)
        if group is None:
            continue
        # fields[11..14] = utime stime cutime cstime
        ticks = sum(int(x) for x in fields[11:15])
        out[group] += ticks / TICK
    with open("/proc/stat") as f:
        cpu = [int(x) for x in f.readline().split()[1:]]
    idle = cpu[3] + cpu[4]
    out["irq"] = (cpu[5] + cpu[6]) / TICK
    out["total"] = sum(cpu[:8]) / TICK
    out["busy"] = (sum(cpu[:8]) - idle) / TICK
    return out


def diff(a, b, loadgen=0.0):
    d = {k: b.get(k, 0.0) - a.get(k, 0.0) for k in a}
    wall_cores = d["total"]  # CPU-seconds available in the interval (all cores)
    d["loadgen"] = loadgen
    d["foreign"] = max(0.0, d["busy"] - d["service"] - d["postgres"] - d["redis"] - d["receiver"]
                       - loadgen - d["irq"])
    return {
        "cpu_busy_pct": round(100 * d["busy"] / wall_cores, 1) if wall_cores else None,
        "foreign_pct": round(100 * d["foreign"] / wall_cores, 1) if wall_cores else None,
        "cpu_s": {k: round(d[k], 2)
                  for k in ("service", "postgres", "redis", "receiver", "loadgen", "irq", "foreign",
                            "busy")},
    }


if __name__ == "__main__":
    if sys.argv[1] == "snap":
        print(json.dumps(snap(sys.argv[2] if len(sys.argv) > 2 else None)))
    else:
        loadgen = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
        print(json.dumps(diff(json.loads(sys.argv[2]), json.loads(sys.argv[3]), loadgen)))
