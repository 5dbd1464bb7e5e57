#!/usr/bin/env python3
"""Writes bench/ab.sh's report: each figure's median over the rounds, per
build, and its ratio to the first build's (stdlib only).

  ab_report.py --dir bench/out/ab --revs REV... --rounds N --scripts-rev REV
               --command CMD --out FILE

Each pass dir (<dir>/<rev>-<round>/) holds run.sh's results.jsonl (scenarios
a, b), peer.sh's peer.jsonl and this tree's run.sh's extra.jsonl (m, n).
The bench's ratios are taken within a pass (signIn over the pgbench of its
SQL, the warm status read over the bare framework, the service over the
peer's faster form), then their median over the rounds: a ratio never
divides figures measured minutes apart. Discarded runs (foreign CPU) are
left out.
"""
import argparse
import datetime
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True
from peer_forms import best  # noqa: E402

PEER = [("status-32", "peer: status, 32 connections"),
        ("status-cold", "peer: status, cold"),
        ("status-1", "peer: status, 1 connection"),
        ("history-32", "peer: history, 32 connections"),
        ("history-1", "peer: history, 1 connection")]


def rows(path):
    if not os.path.exists(path):
        return []
    out = []
    for line in open(path):
        line = line.strip()
        if line.startswith("{"):
            r = json.loads(line)
            if "note" not in r and not r.get("discarded"):
                out.append(r)
    return out


def rps(rs, scenario, target):
    vals = [r["rps"] for r in rs if r.get("scenario") == scenario and r.get("target") == target]
    return statistics.median(vals) if vals else None


def p50(rs, scenario, target):
    vals = [r["p50_ms"] for r in rs if r.get("scenario") == scenario and r.get("target") == target]
    return statistics.median(vals) if vals else None


def peer_ratio(rs, workload):
    svc = [r["rps"] for r in rs if r.get("workload") == workload and r.get("target") == "service"]
    _, peer_runs = best(rs, workload)
    peer = [r["rps"] for r in peer_runs]
    if not svc or not peer:
        return None
    return statistics.median(svc) / statistics.median(peer)


def div(a, b):
    return a / b if a is not None and b else None


def figures(pass_dir):
    """{figure: value} of one pass."""
    run = rows(os.path.join(pass_dir, "results.jsonl"))
    peer = rows(os.path.join(pass_dir, "peer.jsonl"))
    extra = rows(os.path.join(pass_dir, "extra.jsonl"))
    f = {
        "signIn, req/s": rps(run, "a", "service"),
        "pgbench of its SQL, tps": rps(run, "a", "pgbench"),
        "signIn / pgbench": div(rps(run, "a", "service"), rps(run, "a", "pgbench")),
        "warm status, req/s": rps(run, "b", "service"),
        "bare `{ hello }`, req/s": rps(run, "b", "baseline"),
        "warm status / bare framework": div(rps(run, "b", "service"), rps(run, "b", "baseline")),
    }
    for workload, name in PEER:
        f[name] = peer_ratio(peer, workload)
    f["login, req/s"] = rps(extra, "m", "service")
    f["login, p50 ms"] = p50(extra, "m", "service")
    f["status over graphql-transport-ws, ops/s"] = rps(extra, "n", "service")
    f["status over graphql-transport-ws, p50 ms"] = p50(extra, "n", "service")
    return f


def fmt(v):
    if v is None:
        return "n/a"
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.2f}"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--revs", nargs="+", required=True)
    p.add_argument("--rounds", type=int, required=True)
    p.add_argument("--scripts-rev", required=True)
    p.add_argument("--command", default="")
    p.add_argument("--out", required=True)
    a = p.parse_args()

    per_rev = {}
    for rev in a.revs:
        passes = [figures(os.path.join(a.dir, f"{rev}-{r}")) for r in range(1, a.rounds + 1)]
        per_rev[rev] = {k: [x[k] for x in passes] for k in passes[0]}
    names = list(per_rev[a.revs[0]])
    med = {rev: {k: statistics.median([v for v in vals if v is not None])
                 if any(v is not None for v in vals) else None
                 for k, vals in per_rev[rev].items()} for rev in a.revs}

    w = []
    w.append(f"# A/B of {', '.join(a.revs)} (bench/ab.sh)")
    w.append("")
    w.append(f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, `{a.command}`. "
             f"{a.rounds} rounds, each running every build once (the order rotating); the standard "
             f"scenarios with the bench scripts and data of {a.scripts_rev}, scenarios m and n with "
             "this tree's run.sh. Each cell: the median over the rounds (the rounds' own figures in "
             "brackets); ratios are taken within a pass, then their median. Last column(s): the "
             f"median against {a.revs[0]}'s.")
    w.append("")
    head = "| figure | " + " | ".join(a.revs) + " | " + \
        " | ".join(f"{rev} / {a.revs[0]}" for rev in a.revs[1:]) + " |"
    w.append(head)
    w.append("|" + "---|" * (1 + 2 * len(a.revs) - 1))
    for k in names:
        if all(med[rev][k] is None for rev in a.revs):
            continue  # a part the run left out
        cells = []
        for rev in a.revs:
            each = ", ".join(fmt(v) for v in per_rev[rev][k])
            cells.append(f"{fmt(med[rev][k])} ({each})")
        changes = []
        for rev in a.revs[1:]:
            r = div(med[rev][k], med[a.revs[0]][k])
            changes.append("n/a" if r is None else f"{r:.3f}")
        w.append(f"| {k} | " + " | ".join(cells) + " | " + " | ".join(changes) + " |")
    w.append("")
    text = "\n".join(w) + "\n"
    with open(a.out, "w") as out:
        out.write(text)
    print(text)


if __name__ == "__main__":
    main()
