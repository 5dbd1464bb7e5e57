#!/usr/bin/env python3
"""The soak's verdict (run by bench/soak.sh; standard library only).

Reads the RSS samples (t_s, rss_kb; the last line is the sample taken as the
load stopped) and wrk's SOAKJSON line, prints the figures, writes OUT.json
and OUT.md, and exits 1 when the run fails: the resident set at the end is
more than --max-growth x the one at 20 % of the run, a request failed, the
audit found mismatches, or the service did not stop cleanly.
"""
import argparse
import json
import sys


def mib(kb: float) -> float:
    return round(kb / 1024, 1)


def main() -> int:
    p = argparse.ArgumentParser()
    for name in ("rss", "wrk", "out", "audit", "params", "commit", "binary", "wrapper", "command"):
        p.add_argument(f"--{name}", default="")
    p.add_argument("--duration", type=float, required=True)
    p.add_argument("--max-growth", type=float, default=1.25)
    for name in ("audit-rc", "stop-rc", "uncredited", "hwm-kb"):
        p.add_argument(f"--{name}", type=int, default=0)
    a = p.parse_args()

    rows = []
    with open(a.rss) as f:
        next(f)
        for line in f:
            t, kb = line.split()
            rows.append((float(t), int(kb)))
    periodic, (t_end, rss_end) = rows[:-1], rows[-1]
    t20 = 0.2 * a.duration
    at20 = min(periodic, key=lambda r: abs(r[0] - t20))
    ratio = rss_end / at20[1] if at20[1] else float("inf")

    line = next(l for l in open(a.wrk) if l.startswith("SOAKJSON "))
    w = json.loads(line.split(" ", 1)[1])
    failed = w["failed_responses"] + w["socket_errors"] + w["timeouts"]
    audit_text = open(a.audit).read() if a.audit else ""
    checks = {
        f"RSS at the end <= {a.max_growth} x RSS at 20 %": ratio <= a.max_growth,
        "no failed request": failed == 0,
        "books exact (audit exit 0)": a.audit_rc == 0,
        "service stopped cleanly on SIGTERM (exit 0)": a.stop_rc == 0,
    }
    ok = all(checks.values())
    # The series, one sample a minute (and the end).
    step = max(1, round(60 / max(1.0, periodic[1][0] - periodic[0][0]))) if len(periodic) > 1 else 1
    series = [(t, mib(kb)) for t, kb in periodic[::step] if t < t_end - 2] + [(t_end, mib(rss_end))]
    result = {
        "ok": ok,
        "checks": checks,
        "duration_s": a.duration,
        "rss_at_20pct_mib": mib(at20[1]),
        "rss_at_20pct_t_s": at20[0],
        "rss_end_mib": mib(rss_end),
        "rss_end_t_s": t_end,
        "rss_ratio": round(ratio, 3),
        "rss_first_mib": mib(periodic[0][1]),
        "vmhwm_mib": mib(a.hwm_kb),
        "rps": w["rps"],
        "requests": w["requests"],
        "p50_ms": w["p50_ms"],
        "p99_ms": w["p99_ms"],
        "max_ms": w["max_ms"],
        "failed": failed,
        "failed_detail": {k: w[k] for k in ("failed_responses", "non200", "socket_errors", "timeouts")},
        "first_failure": w["first_failure"],
        "error_codes": w["codes"],
        "sent": w["sent"],
        "audit_rc": a.audit_rc,
        "uncredited_after_wait": a.uncredited,
        "stop_rc": a.stop_rc,
        "rss_series_mib": series,
        "params": a.params,
        "commit": a.commit,
        "binary": a.binary,
        "wrapper": a.wrapper,
        "command": a.command,
    }
    with open(a.out + ".json", "w") as f:
        json.dump(result, f, indent=1)

    total_sent = sum(w["sent"].values()) or 1
    mix = ", ".join(f"{k} {100 * v / total_sent:.1f} %" for k, v in sorted(w["sent"].items(), key=lambda kv: -kv[1]))
    md = [
        f"# Soak {a.out.rsplit('/', 1)[-1]}: {'PASSED' if ok else 'FAILED'}",
        "",
        f"commit {a.commit}; {a.params}; {a.duration:.0f} s" + (f"; service under `{a.wrapper}`" if a.wrapper else ""),
        "",
        "| | |",
        "|---|---|",
        f"| RSS at 20 % (t = {at20[0]:.0f} s) | {mib(at20[1])} MiB |",
        f"| RSS at the end (t = {t_end:.0f} s) | {mib(rss_end)} MiB |",
        f"| ratio (limit {a.max_growth}) | {ratio:.3f} |",
        f"| RSS at the start of the load / peak (VmHWM) | {mib(periodic[0][1])} / {mib(a.hwm_kb)} MiB |",
        f"| requests, req/s | {w['requests']:,}, {w['rps']:,.1f} |",
        f"| latency p50 / p99 / max | {w['p50_ms']:.2f} / {w['p99_ms']:.2f} / {w['max_ms']:.1f} ms |",
        f"| failed requests | {failed} |",
        f"| expected GraphQL errors | {json.dumps(w['codes'])} |",
        f"| mix sent | {mix} |",
        f"| audit | exit {a.audit_rc} |",
        "",
        "RSS (MiB) each minute: " + ", ".join(f"{t:.0f} s {m}" for t, m in series),
        "",
        "Checks: " + "; ".join(f"{k}: {'yes' if v else 'NO'}" for k, v in checks.items()),
        "",
        f"Load: `{a.command}`",
        "",
        "```",
        audit_text.strip(),
        "```",
    ]
    if w["first_failure"]:
        md += ["", f"First failure: `{w['first_failure']}`"]
    with open(a.out + ".md", "w") as f:
        f.write("\n".join(md) + "\n")

    print(f"soak: {a.duration:.0f} s, {w['requests']:,} requests, {w['rps']:,.1f} req/s, "
          f"p50 {w['p50_ms']:.2f} ms, p99 {w['p99_ms']:.2f} ms")
    print(f"soak: RSS at 20 % ({at20[0]:.0f} s) {mib(at20[1])} MiB, at the end ({t_end:.0f} s) "
          f"{mib(rss_end)} MiB, ratio {ratio:.3f} (limit {a.max_growth})")
    print(f"soak: failed requests {failed}; expected errors {json.dumps(w['codes'])}; "
          f"audit exit {a.audit_rc}; service exit {a.stop_rc}")
    print("soak: RSS each minute (MiB): " + ", ".join(f"{t:.0f}s {m}" for t, m in series))
    for k, v in checks.items():
        if not v:
            print(f"soak: FAILED: {k}")
    if w["first_failure"]:
        print(f"soak: first failure: {w['first_failure'][:300]}")
    print(f"soak: {'PASSED' if ok else 'FAILED'}; {a.out}.md")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
