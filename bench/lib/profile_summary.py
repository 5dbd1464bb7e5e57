#!/usr/bin/env python3
"""Summarises a perf profile of the service by area (bench/profile.sh).

  profile_summary.py PERF_DATA WRK_JSON CPU_TICKS CLK_TCK LABEL BINARY

Self time per symbol (perf report --no-children), grouped by the first
matching area below, with the service's CPU time per request (from /proc
ticks over the wrk run, divided by its requests). The perf here cannot read
the release binary's symbols, so its addresses are resolved with `nm`.
"""
import bisect
import json
import re
import subprocess
import sys

AREAS = [
    ("kernel (syscalls, TCP, scheduling)", lambda s, k: k),
    ("allocator (mimalloc/libc malloc)", lambda s, k: re.search(r"\bmi_|_mi_|malloc|free|realloc|calloc|cfree", s)),
    ("async-graphql (parse, validate, execute)", lambda s, k: "async_graphql" in s),
    ("serde / JSON", lambda s, k: re.search(r"serde|json", s)),
    ("JWT / crypto / base64", lambda s, k: re.search(r"jsonwebtoken|sha2|hmac|base64|ring::", s)),
    ("PostgreSQL client (diesel, tokio-postgres)", lambda s, k: re.search(r"diesel|postgres|bb8", s)),
    ("Redis client", lambda s, k: "redis" in s),
    ("apalis (jobs)", lambda s, k: "apalis" in s),
    ("HTTP (hyper, axum, tower)", lambda s, k: re.search(r"hyper|axum|tower|http::|httparse", s)),
    ("tokio runtime", lambda s, k: "tokio" in s),
    ("tracing / metrics", lambda s, k: re.search(r"tracing|metrics", s)),
    ("hashing / collections", lambda s, k: re.search(r"hashbrown|indexmap|HashMap|BTree|core::hash|siphash", s)),
    ("memcpy / string ops", lambda s, k: re.search(r"memcpy|memmove|memset|memcmp|strlen|__memc", s)),
    ("signin-rewards code", lambda s, k: "signin_rewards" in s),
]


def symbols(binary: str):
    out = subprocess.run(["nm", "-C", "--defined-only", binary], capture_output=True, text=True).stdout
    table = []
    for line in out.splitlines():
        parts = line.split(" ", 2)
        if len(parts) == 3 and parts[1] in "tTwW":
            table.append((int(parts[0], 16), parts[2]))
    table.sort()
    return [a for a, _ in table], [n for _, n in table]


def main() -> None:
    data, wrk, ticks, clk, label, binary = sys.argv[1:7]
    addrs, names = symbols(binary)
    wrk = json.loads(wrk)
    cpu_s = int(ticks) / int(clk)
    requests = max(1, wrk["requests"])
    report = subprocess.run(
        ["perf", "report", "-i", data, "--no-children", "--sort", "symbol", "--stdio", "-g", "none"],
        capture_output=True, text=True).stdout
    totals = {name: 0.0 for name, _ in AREAS}
    totals["other"] = 0.0
    resolved = {}
    for line in report.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+\[(.)\]\s+(.*)$", line)
        if not m:
            continue
        pct, kind, sym = float(m.group(1)), m.group(2), m.group(3).strip()
        if re.fullmatch(r"0x[0-9a-f]+", sym.split()[0] if sym else "") and addrs:
            i = bisect.bisect_right(addrs, int(sym.split()[0], 16)) - 1
            sym = names[i] if i >= 0 else sym
        resolved[sym] = resolved.get(sym, 0.0) + pct
        for name, test in AREAS:
            if test(sym, kind == "k"):
                totals[name] += pct
                break
        else:
            totals["other"] += pct
    per_req_ms = 1000 * cpu_s / requests
    print(f"### {label}: {wrk['rps']:,.0f} req/s, p50 {wrk['p50_ms']:.2f} ms, "
          f"service CPU {per_req_ms:.3f} ms per request\n")
    print("| area | share of the service's CPU | ms per request |")
    print("|---|---|---|")
    for name, pct in sorted(totals.items(), key=lambda kv: -kv[1]):
        if pct >= 0.5:
            print(f"| {name} | {pct:.1f} % | {per_req_ms * pct / 100:.3f} |")
    print()
    print("Top symbols (self time):\n")
    for sym, pct in sorted(resolved.items(), key=lambda kv: -kv[1])[:15]:
        print(f"- {pct:.1f} % `{sym[:110]}`")
    print()


if __name__ == "__main__":
    main()
