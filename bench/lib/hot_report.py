#!/usr/bin/env python3
"""Writes bench/results/hot.md, issue 16's figures, from the outputs of
bench/hot.sh's passes, and prints it.

  hot_report.py --pass LABEL=DIR [--pass LABEL=DIR ...] --report FILE
                [--quick 0|1] [--command CMD] [--seconds N]

Each DIR (bench/out/hot/<label>/) holds what the three scripts wrote:
  redis_count.txt  bench/redis_count.sh's stdout: its "REDISCOUNT {...}" lines,
                   one per step (idle, signin-<n>-conns) and run
  results.jsonl    bench/run.sh's bench/out/results.jsonl (scenarios a and b)
  peer.jsonl       bench/peer.sh's bench/out/peer.jsonl
  meta.json        written by hot.sh: the binary, the commit, dates, load averages
Every figure is the median of its runs (run.sh's discarded runs left out).
With two passes (BEFORE_BIN) the tables get a column per pass, side by side.
"""
import argparse
import datetime
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in bench/lib
from redis_medians import medians, read_lines  # noqa: E402
from report import sh  # noqa: E402
from peer_forms import FORM_NAMES, best as best_form, forms as peer_forms  # noqa: E402

PEER_ORDER = ["status-32", "status-cold", "status-1", "history-32", "history-1"]
PEER_NAMES = {
    "status-32": "random users' latest sign-in (status), 32 conns, caches warm",
    "status-cold": "the same, service restarted + its Redis emptied, each user once per run",
    "status-1": "the same as status-32, 1 connection",
    "history-32": "history, 100 users x 31 days, 32 conns",
    "history-1": "the same, 1 connection",
}
TARGET_CMDS = 12          # Redis commands per sign-in at 16 connections, at most
TARGET_A = 0.7            # signIn req/s / pgbench tps, at least
TARGET_B = 0.5            # warm status req/s / bare framework req/s, at least
TARGET_CREDIT_MS = 1000   # credit delay p99, at most
TARGET_PEER = 2.0         # service req/s / PostGraphile req/s, at least, every workload
TARGET_STATUS1_P50 = 0.35  # ms, the service's status read at 1 connection


def med(values):
    values = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return statistics.median(values) if values else None


def num(v, digits=2):
    if v is None:
        return "n/a"
    if abs(v) >= 100 and digits <= 2:
        return f"{v:,.0f}"
    return f"{v:,.{digits}f}"


def rate(v):
    if v is None:
        return "n/a"
    return f"{v:,.0f}" if v >= 100 else f"{v:,.1f}"


def verdict(ok):
    return "" if ok is None else ("met" if ok else "**missed**")


def errors_of(r):
    """Failed requests of a run (an answer can be both non-200 and a GraphQL error: counted once)."""
    return (max(r.get("graphql_errors") or 0, r.get("non200") or 0)
            + sum(r.get(k) or 0 for k in ("socket_errors", "timeouts", "failed")))


def md_code(text, n=160):
    return "`" + text[:n].replace("`", "'").replace("|", "\\|").replace("\n", " ") + "`"


def read_jsonl(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


class Pass:
    def __init__(self, label, path):
        self.label, self.dir = label, path
        mp = os.path.join(path, "meta.json")
        self.meta = json.load(open(mp)) if os.path.exists(mp) else {}
        rc = os.path.join(path, "redis_count.txt")
        self.redis = read_lines([rc]) if os.path.exists(rc) else []
        self.redis_med = medians(self.redis)
        rows = read_jsonl(os.path.join(path, "results.jsonl"))
        self.notes = {r["note"]: r["value"] for r in rows if "note" in r}
        self.rows = [r for r in rows if "note" not in r]
        self.peer = [r for r in read_jsonl(os.path.join(path, "peer.jsonl")) if r.get("workload") in PEER_ORDER]

    # run.sh: kept runs of a scenario/target, and a median
    def runs(self, scenario, target):
        return [r for r in self.rows if r["scenario"] == scenario and r["target"] == target and not r.get("discarded")]

    def m(self, scenario, target, key):
        return med([r.get(key) for r in self.runs(scenario, target)])

    def errs(self, scenario, target):
        return sum(errors_of(r) for r in self.runs(scenario, target))

    def peer_errs(self, workload, target):
        """Failed requests of a target's runs (the peer: every form's)."""
        return sum(errors_of(r) for r in self.peer if r["workload"] == workload and r["target"] == target)

    def peer_m(self, workload, target, key):
        """Median of a key; for the peer, of its best form's runs (the highest median req/s)."""
        if target == "postgraphile":
            return med([r.get(key) for r in best_form(self.peer, workload)[1]])
        return med([r.get(key) for r in self.peer if r["workload"] == workload and r["target"] == target])

    def peer_best(self, workload):
        return best_form(self.peer, workload)[0]

    def peer_forms(self, workload):
        return peer_forms(self.peer, workload)

    def redis_errs(self, step):
        """Failed sign-in requests, plus sign-ins never credited (their jobs' commands are missing)."""
        return sum((r.get("errors") or 0) + (r.get("uncredited") or 0) for r in self.redis if r["step"] == step)

    def step(self, name):
        return self.redis_med.get(name)

    def signin_steps(self):
        steps = [s for s in self.redis_med if s.startswith("signin-")]
        return sorted(steps, key=lambda s: int(s.split("-")[1]) if s.split("-")[1].isdigit() else 0)

    def title(self):
        name = self.meta.get("name") or ""
        return f"{self.label}" + (f" ({name})" if name else "")


def cell(value, ok=None, detail="", digits=2, errors=0):
    if value is None:
        return "n/a" + (f" ({detail})" if detail else "")
    out = f"**{num(value, digits)}**"
    if errors:  # error answers are fast: the rates are not comparable
        out += f": **invalid**, {errors:,} failed requests"
    elif ok is not None:
        out += f": {verdict(ok)}"
    if detail:
        out += f" ({detail})"
    return out


def headline(p):
    """[(figure, target, cell)] for one pass."""
    rows = []
    for conns, target in ((16, True), (1, False)):
        s = p.step(f"signin-{conns}-conns")
        v = s and s.get("per_unit")
        ok = (v <= TARGET_CMDS) if (target and v is not None) else None
        detail = f"{num(s.get('per_unit_raw'))} before subtracting the idle rate" if s else "not run"
        rows.append((f"Redis commands per sign-in, {conns} connection{'s' if conns > 1 else ''}",
                     f"<= {TARGET_CMDS}" if target else "shown (the target is at 16)",
                     cell(v, ok, detail, errors=p.redis_errs(f"signin-{conns}-conns"))))
    for conns in (16, 1):
        s = p.step(f"signin-{conns}-conns")
        v = s and s.get("reads_per_unit")
        rows.append((f"Redis read events per sign-in (~ round trips), {conns} connection{'s' if conns > 1 else ''}",
                     "reported", cell(v, None, "" if s else "not run")))
    a_s, a_p = p.m("a", "service", "rps"), p.m("a", "pgbench", "rps")
    ra = a_s / a_p if a_s and a_p else None
    rows.append(("signIn req/s / pgbench tps (scenario a)", f">= {TARGET_A}",
                 cell(ra, None if ra is None else ra >= TARGET_A,
                      f"{rate(a_s)} req/s, p50 {num(p.m('a', 'service', 'p50_ms'))} ms / {rate(a_p)} tps"
                      if ra is not None else "scenario a not run",
                      errors=p.errs("a", "service") + p.errs("a", "pgbench"))))
    b_s, b_b = p.m("b", "service", "rps"), p.m("b", "baseline", "rps")
    rb = b_s / b_b if b_s and b_b else None
    rows.append(("warm status read req/s / bare async-graphql + axum `{ hello }` (scenario b)", f">= {TARGET_B}",
                 cell(rb, None if rb is None else rb >= TARGET_B,
                      f"{rate(b_s)} / {rate(b_b)} req/s" if rb is not None else "scenario b not run",
                      errors=p.errs("b", "service") + p.errs("b", "baseline"))))
    idle = p.step("idle")
    rows.append(("idle `serve` (API + worker), Redis commands per second", "reported",
                 cell(idle and idle.get("per_unit"), None,
                      f"read events {num(idle.get('reads_per_unit'))}/s" if idle else "not run")))
    for conns in (16, 1):
        s = p.step(f"signin-{conns}-conns")
        v = s and s.get("credit_ms_p99")
        rows.append((f"credit delay p99, {conns} connection{'s' if conns > 1 else ''} (ms)",
                     f"<= {TARGET_CREDIT_MS} ms",
                     cell(v, None if v is None else v <= TARGET_CREDIT_MS,
                          f"p50 {num(s.get('credit_ms_p50'), 1)}, max {num(s.get('credit_ms_max'), 1)}" if s else "not run",
                          digits=1)))
    return rows


def peer_rows(p):
    rows = []
    for w in PEER_ORDER:
        s, g = p.peer_m(w, "service", "rps"), p.peer_m(w, "postgraphile", "rps")
        r = s / g if s and g else None
        detail = (f"{rate(s)} / {rate(g)} req/s; p50 {num(p.peer_m(w, 'service', 'p50_ms'))} / "
                  f"{num(p.peer_m(w, 'postgraphile', 'p50_ms'))} ms") if r is not None else "not run"
        fs = p.peer_forms(w)
        if r is not None and (len(fs) > 1 or "" not in fs):
            detail += "; peer's best form " + (p.peer_best(w) or "?")
            others = [f"{f} {rate(med([x.get('rps') for x in rs]))}" for f, rs in fs.items() if f != p.peer_best(w)]
            if others:
                detail += " (" + ", ".join(others) + " req/s)"
        rows.append((PEER_NAMES[w], f">= {TARGET_PEER:g}", cell(r, None if r is None else r >= TARGET_PEER, detail,
                                                               errors=p.peer_errs(w, "service") + p.peer_errs(w, "postgraphile"))))
    p50 = p.peer_m("status-1", "service", "p50_ms")
    rows.append(("status, 1 connection: the service's p50 (ms)", f"< {TARGET_STATUS1_P50}",
                 cell(p50, None if p50 is None else p50 < TARGET_STATUS1_P50,
                      f"p99 {num(p.peer_m('status-1', 'service', 'p99_ms'))} ms" if p50 is not None else "not run",
                      errors=p.peer_errs("status-1", "service"))))
    return rows


def span(values):
    values = sorted(v for v in values if v is not None)
    if not values:
        return "?"
    return f"{values[0]:g}%" if values[0] == values[-1] else f"{values[0]:g}-{values[-1]:g}%"


def warnings(p, runs_expected):
    out = []
    for step in p.redis_med:
        rs = [r for r in p.redis if r["step"] == step and step != "idle"]
        tag = f"redis_count.sh {step}"
        if sum(r.get("errors") or 0 for r in rs):
            out.append(f"{tag}: {sum(r.get('errors') or 0 for r in rs):,} failed requests")
        if sum(r.get("uncredited") or 0 for r in rs):
            out.append(f"{tag}: {sum(r.get('uncredited') or 0 for r in rs):,} sign-ins still uncredited after 30 s "
                       "(their jobs' commands are missing from the count)")
        if sum(r.get("tokens_wrapped") or 0 for r in rs):
            out.append(f"{tag}: tokens reused (each user should sign in once per run; raise COUNT_USERS)")
        if p.redis_med[step]["runs"] != runs_expected:
            out.append(f"{tag}: {p.redis_med[step]['runs']} runs, not {runs_expected}")
    foreign_max = float(p.notes.get("foreign_max", "10"))
    for scen, target in (("a", "service"), ("a", "pgbench"), ("b", "service"), ("b", "baseline")):
        rs = [r for r in p.rows if r["scenario"] == scen and r["target"] == target]
        if not rs:
            continue
        tag = f"run.sh {scen}/{target}"
        disc = [r for r in rs if r.get("discarded")]
        dist = [r for r in rs if not r.get("discarded") and (r.get("foreign_pct") or 0) > foreign_max]
        if disc:
            out.append(f"{tag}: {len(disc)} run{'s' if len(disc) > 1 else ''} discarded and repeated (foreign CPU {span(r.get('foreign_pct') for r in disc)})")
        if dist:
            out.append(f"{tag}: {len(dist)} of the kept runs disturbed all the same (foreign CPU "
                       f"{span(r.get('foreign_pct') for r in dist)}, kept after {p.notes.get('max_retries', '2')} repeats)")
        if p.errs(scen, target):
            first = next((r["first_error"] for r in rs if r.get("first_error")), "")
            out.append(f"{tag}: {p.errs(scen, target):,} failed requests" + (f"; first: {md_code(first)}" if first else ""))
        late = [r for r in rs if str(r.get("credit_drain_s", "")).startswith("not")]
        if late:
            out.append(f"{tag}: in {len(late)} run{'s' if len(late) > 1 else ''} not every sign-in was credited within DRAIN_WAIT")
        kept = len(p.runs(scen, target))
        if kept != runs_expected:
            out.append(f"{tag}: {kept} kept runs, not {runs_expected}")
    for wl in PEER_ORDER:
        for target in ("service", "postgraphile"):
            rs = [r for r in p.peer if r["workload"] == wl and r["target"] == target]
            for form in sorted({r.get("form", "") for r in rs}):
                frs = [r for r in rs if r.get("form", "") == form]
                n = sum(errors_of(r) for r in frs)
                if n:
                    first = next((r["first_error"] for r in frs if r.get("first_error")), "")
                    out.append(f"peer.sh {wl}/{target}{(' ' + form) if form else ''}: {n:,} failed requests"
                               + (f"; first: {md_code(first)}" if first else ""))
    return out


def table(w, first, cols, per_pass):
    """Writes rows of (name, target, figure) from each pass side by side:
    one column per pass."""
    w(f"| {first} | target | " + " | ".join(cols) + " |")
    w("|---|---|" + "---|" * len(cols))
    for i, (name, tgt, _) in enumerate(per_pass[0]):
        w(f"| {name} | {tgt} | " + " | ".join(rows[i][2] for rows in per_pass) + " |")
    w("")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pass", dest="passes", action="append", required=True, help="LABEL=DIR")
    ap.add_argument("--report", required=True)
    ap.add_argument("--quick", default="0")
    ap.add_argument("--command", default="bash bench/hot.sh")
    ap.add_argument("--seconds")
    ap.add_argument("--runs", type=int, default=int(os.environ.get("RUNS", "3")), help="runs expected per figure")
    a = ap.parse_args()
    passes = [Pass(*spec.split("=", 1)) for spec in a.passes]
    runs_expected = a.runs
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    rel = lambda path: os.path.relpath(path, root) if os.path.abspath(path).startswith(root + os.sep) else path  # noqa: E731

    L = []
    w = L.append
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    w("# Issues 16 and 23: Redis per sign-in, the framework ratios, the peer in its best forms"
      + (" (QUICK mode: small data, short runs - not for quoting)" if a.quick == "1" else ""))
    w("")
    w(f"Generated by `{a.command}` on {now}" + (f" (whole run {a.seconds} s)" if a.seconds else "") + ". "
      f"Every figure is the median of {runs_expected} runs; each is marked met or missed against its target.")
    w("")
    cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
    w("| | " + " | ".join(p.title() for p in passes) + " |")
    w("|---|" + "---|" * len(passes))
    w("| binary | " + " | ".join(f"`{p.meta.get('binary', '?')}` (built {p.meta.get('binary_mtime', '?')})" for p in passes) + " |")
    w("| repository commit | " + " | ".join(f"`{p.meta.get('repo_commit', '?')}`" for p in passes) + " |")
    w("| date (UTC) | " + " | ".join(f"{p.meta.get('started', '?')} .. {p.meta.get('finished', '?')}" for p in passes) + " |")
    w("| load average (1/5/15 min): start; after redis_count.sh; after run.sh; end | "
      + " | ".join("; ".join(p.meta.get(k, "?") for k in ("load_start", "load_after_redis_count", "load_after_run", "load_end"))
                   for p in passes) + " |")
    w("| parameters | " + " | ".join(p.meta.get("params", "") for p in passes) + " |")
    pg = sh("psql -h 127.0.0.1 -U postgres -Atc 'SHOW server_version' postgres")
    redis = sh("redis-cli INFO server | grep redis_version | cut -d: -f2")
    w(f"| machine | {sh('nproc')} cores, {cpu}; PostgreSQL {pg}, Redis {redis}; everything on this one machine |"
      + " |" * (len(passes) - 1))
    w("")

    cols = [p.title() for p in passes] if len(passes) > 1 else ["measured"]
    w("## Headline figures")
    w("")
    table(w, "figure", cols, [headline(p) for p in passes])
    w("Redis figures: `bench/redis_count.sh` on a Redis server of its own, every user signing in once "
      "per run on a fresh day, counted until every sign-in of the run is credited, the idle rate over the "
      "same time subtracted. Commands are `INFO commandstats` calls (commands run inside a script count one "
      "by one). Read events are Redis's `total_reads_processed`: one per request arriving from a client "
      "(a command, a pipeline, a script call), so at 1 connection they are the round trips; at 16 the "
      "commands of concurrent requests sharing a multiplexed connection can arrive in one read, so they are "
      "a lower bound there. Scenario a and b: `bench/run.sh` (a: 16 connections, pgbench 8 clients running "
      "bench/pgbench/signin.sql; b: 32 connections, warm caches).")
    w("")

    # --- Redis by command -----------------------------------------------------
    w("## Redis per sign-in, by command")
    w("")
    colspec = [(p, s) for p in passes for s in p.signin_steps()]
    if colspec:
        label = lambda p, s: (f"{p.label}: " if len(passes) > 1 else "") + s.replace("signin-", "").replace("-conns", " conns").replace("1 conns", "1 conn")  # noqa: E731
        w("Medians over the runs, per sign-in. The per-command counts are raw (the idle worker's commands "
          "over the run not subtracted; see the idle row) and their medians need not add up to the median total.")
        w("")
        w("| | " + " | ".join(label(p, s) for p, s in colspec) + " |")
        w("|---|" + "---|" * len(colspec))
        fixed = [("**total, idle subtracted**", "per_unit"), ("total, raw", "per_unit_raw"),
                 ("**read events (~ round trips), idle subtracted**", "reads_per_unit"),
                 ("read events, raw", "reads_per_unit_raw")]
        for name, key in fixed:
            w(f"| {name} | " + " | ".join(num(p.step(s).get(key)) for p, s in colspec) + " |")
        last_p, last_s = colspec[-1]
        cmds = {c for p, s in colspec for c in p.step(s)["by_command"]}
        order = sorted(cmds, key=lambda c: (-(last_p.step(last_s)["by_command"].get(c) or 0), c))
        for c in order:
            w(f"| `{c}` | " + " | ".join(num(p.step(s)["by_command"].get(c)) if c in p.step(s)["by_command"] else "-"
                                        for p, s in colspec) + " |")
        w("| sign-ins per run | " + " | ".join(num(p.step(s).get("sign_ins"), 0) for p, s in colspec) + " |")
        w("| signIn req/s (wrk, 1 thread) | " + " | ".join(rate(p.step(s).get("rps")) for p, s in colspec) + " |")
        w("| credit delay p50 / p99 / max ms | " + " | ".join(
            f"{num(p.step(s).get('credit_ms_p50'), 1)} / {num(p.step(s).get('credit_ms_p99'), 1)} / {num(p.step(s).get('credit_ms_max'), 1)}"
            for p, s in colspec) + " |")
        w("")
        idle_line = "; ".join(
            f"{(p.label + ': ') if len(passes) > 1 else ''}{num(p.step('idle').get('per_unit'))} commands/s, "
            f"{num(p.step('idle').get('reads_per_unit'))} read events/s ("
            + ", ".join(f"`{c}` {num(v)}" for c, v in list(p.step('idle')['by_command'].items())[:6]) + ")"
            for p in passes if p.step("idle"))
        if idle_line:
            w(f"Idle `serve`, per second: {idle_line}.")
            w("")
    else:
        w("No REDISCOUNT lines (bench/redis_count.sh did not run).")
        w("")

    # --- peer -------------------------------------------------------------------
    w("## Against PostGraphile 5 (`bench/peer.sh`)")
    w("")
    w("Ratio of req/s, service / PostGraphile (service and peer alternating, same database, pool 8 each; "
      "the peer unauthenticated, the service checking a bearer token on every request).")
    w("")
    table(w, "workload", cols, [peer_rows(p) for p in passes])
    used = sorted({r.get("form", "") for p in passes for r in p.peer if r["target"] == "postgraphile"})
    if used:
        w("The peer is given its best form for each workload (issue 23): every form below is measured in "
          "every run, and the ratio is over the form with the higher median req/s (named in each cell, the "
          "other forms' medians beside it; every run in the last table). The forms:")
        w("")
        for u in used:
            w(f"- {u or 'one form'}: {FORM_NAMES.get(u, u)}")
        w("")
    checks = [(p, os.path.join(p.dir, "peer-check.txt")) for p in passes]
    for p, c in checks:
        if os.path.exists(c):
            w(f"{(p.label + ': ') if len(passes) > 1 else ''}" + "; ".join(open(c).read().split("\n")).strip("; "))
            w("")

    # --- warnings ---------------------------------------------------------------
    warn = [(p, x) for p in passes for x in warnings(p, runs_expected)]
    w("## Anomalies")
    w("")
    if warn:
        for p, x in warn:
            w(f"- {(p.label + ': ') if len(passes) > 1 else ''}{x}")
    else:
        w("None: no errors, every sign-in credited, no run discarded for foreign CPU.")
    w("")

    # --- all runs -----------------------------------------------------------------
    w("## All runs")
    w("")
    w("Each cell lists the runs in order (run.sh's discarded runs in brackets).")
    w("")
    w("| pass | script | step | req/s | p50 ms | p99 ms | Redis commands per unit | errors | notes |")
    w("|---|---|---|---|---|---|---|---|---|")
    runs_of = lambda rs, k, f: " / ".join(("[" + f(r.get(k)) + "]") if r.get("discarded") else f(r.get(k)) for r in rs)  # noqa: E731
    for p in passes:
        pre = p.label + " | "
        for step in p.redis_med:
            rs = [r for r in p.redis if r["step"] == step]
            if step == "idle":
                w(f"| {pre}redis_count | idle | | | | {runs_of(rs, 'per_unit', num)} per s (read events {runs_of(rs, 'reads_per_unit', num)}) | | "
                  f"windows of {runs_of(rs, 'seconds', lambda v: num(v, 1))} s |")
            else:
                w(f"| {pre}redis_count | {step} | {runs_of(rs, 'rps', rate)} | | | {runs_of(rs, 'per_unit', num)} per sign-in "
                  f"(read events {runs_of(rs, 'reads_per_unit', num)}) | {sum(r.get('errors') or 0 for r in rs)} | "
                  f"sign-ins {runs_of(rs, 'sign_ins', lambda v: num(v, 0))}; credit delay p99 {runs_of(rs, 'credit_ms_p99', lambda v: num(v, 1))} ms; "
                  f"uncredited {sum(r.get('uncredited') or 0 for r in rs)} |")
        for scen, target in (("a", "service"), ("a", "pgbench"), ("b", "warmup"), ("b", "service"), ("b", "baseline")):
            rs = [r for r in p.rows if r["scenario"] == scen and r["target"] == target]
            if not rs:
                continue
            note = []
            if target == "warmup":
                note.append("warm-up with a cold cache, not in the medians")
            if any("credit_drain_s" in r for r in rs):
                note.append("all credited " + " / ".join(str(r.get("credit_drain_s")) for r in rs) + " s after the load")
            if any(r.get("foreign_pct") is not None for r in rs):
                note.append("foreign CPU " + " / ".join("-" if r.get("foreign_pct") is None else f"{r['foreign_pct']}%" for r in rs))
            cmds = runs_of(rs, "redis_cmds_per_req", num) + " per request (shared Redis)" if any(r.get("redis_cmds_per_req") for r in rs) else ""
            w(f"| {pre}run.sh | {scen}/{target} | {runs_of(rs, 'rps', rate)} | {runs_of(rs, 'p50_ms', num)} | {runs_of(rs, 'p99_ms', num)} | "
              f"{cmds} | {sum(errors_of(r) for r in rs)} | {'; '.join(note)} |")
        for wl in PEER_ORDER:
            groups = [("service", [r for r in p.peer if r["workload"] == wl and r["target"] == "service"])]
            best = p.peer_best(wl)
            groups += [("postgraphile" + (f" {f}" if f else "") + (" (best)" if f == best and len(p.peer_forms(wl)) > 1 else ""), rs)
                       for f, rs in p.peer_forms(wl).items()]
            for target, rs in groups:
                if rs:
                    w(f"| {pre}peer.sh | {wl}/{target} | {runs_of(rs, 'rps', rate)} | {runs_of(rs, 'p50_ms', num)} | {runs_of(rs, 'p99_ms', num)} | "
                      f"{runs_of(rs, 'redis_cmds_per_req', num)} per request | {sum(errors_of(r) for r in rs)} | load1 {runs_of(rs, 'load1', lambda v: num(v, 1))} |")
    w("")
    w("Sources: " + "; ".join(f"{p.label}: " + ", ".join(f"`{rel(os.path.join(p.dir, f))}`" for f in ("redis_count.txt", "results.jsonl", "peer.jsonl"))
                              for p in passes)
      + ". The scripts' own reports are `run.md` and `peer.md` in the same directories.")

    text = "\n".join(L) + "\n"
    os.makedirs(os.path.dirname(os.path.abspath(a.report)), exist_ok=True)
    with open(a.report, "w") as f:
        f.write(text)
    print(text, end="")


if __name__ == "__main__":
    main()
