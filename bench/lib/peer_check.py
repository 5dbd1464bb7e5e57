#!/usr/bin/env python3
"""Checks, before bench/peer.sh measures, that every form of a peer workload
answers with the same data, and that the peer's history is the service's
(stdlib only). Exits 1 if two peer forms disagree or a form answers with an
error or no data; the service's history is compared and any difference is
printed as a warning (the two schemas differ: the service lists every day,
signed in or not).

  peer_check.py status  --peer URL --form NAME=FILE [--form NAME=FILE ...] [--n 20]
  peer_check.py history --peer URL --form NAME=FILE [...] [--n 3]
                        [--service URL --token-file F --service-bodies FILE]

Each FILE is the bodies file the form's wrk runs use (tokens.py peer-status /
peer-history); the first N bodies of each are asked (the files list the same
users in the same order).
"""
import argparse
import json
import sys
import urllib.request


def post(url, body, token=None):
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=30) as r:
        out = json.loads(r.read())
    if out.get("errors"):
        raise SystemExit(f"peer_check: {url} answered with errors: {json.dumps(out['errors'])[:400]}")
    return out["data"]


def first_lines(path, n):
    with open(path) as f:
        return [line.strip() for line, _ in zip(f, range(n)) if line.strip()]


def row(n):
    return (n["day"], n["cycleDay"], n["streak"], str(n["reward"]))


def status_of(form, data):
    if "allSignIns" in data:
        nodes = data["allSignIns"]["nodes"]
    elif "userByRowId" in data:
        nodes = (data["userByRowId"] or {}).get("signInsByUserId", {}).get("nodes", [])
    else:
        raise SystemExit(f"peer_check: form {form}: unexpected answer {json.dumps(data)[:200]}")
    return [row(n) for n in nodes]


def history_of(form, data):
    if "benchPeerSignInHistory" in data:
        rows = [(str(n["userId"]),) + row(n) for n in data["benchPeerSignInHistory"]["nodes"]]
    elif "allUsers" in data:
        rows = [(str(u["rowId"]),) + row(n) for u in data["allUsers"]["nodes"] for n in u["signInsByUserId"]["nodes"]]
    else:
        raise SystemExit(f"peer_check: form {form}: unexpected answer {json.dumps(data)[:200]}")
    return sorted(rows)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["status", "history"])
    ap.add_argument("--peer", required=True)
    ap.add_argument("--form", action="append", required=True, help="NAME=FILE")
    ap.add_argument("--n", type=int)
    ap.add_argument("--service")
    ap.add_argument("--token-file")
    ap.add_argument("--service-bodies")
    a = ap.parse_args()
    n = a.n or (20 if a.what == "status" else 3)
    forms = [f.split("=", 1) for f in a.form]
    parse = status_of if a.what == "status" else history_of
    answers = {}
    for name, path in forms:
        answers[name] = [parse(name, post(a.peer, body)) for body in first_lines(path, n)]
        total = sum(len(x) for x in answers[name])
        if total == 0:
            raise SystemExit(f"peer_check: {a.what} form {name}: no sign-ins in {n} answers (wrong query or data?)")
    ref_name, ref = forms[0][0], answers[forms[0][0]]
    for name, _ in forms[1:]:
        if answers[name] != ref:
            bad = next(i for i, (x, y) in enumerate(zip(ref, answers[name])) if x != y)
            raise SystemExit(f"peer_check: {a.what}: forms {ref_name} and {name} differ at body {bad + 1}: "
                             f"{ref[bad][:3]} vs {answers[name][bad][:3]}")
    msg = f"peer_check: {a.what}: {', '.join(f for f, _ in forms)} agree on {len(ref)} bodies ({sum(len(x) for x in ref)} sign-ins)"
    if a.what == "history" and a.service:
        token = open(a.token_file).read().strip()
        diffs = 0
        for body, peer_rows in zip(first_lines(a.service_bodies, n), ref):
            data = post(a.service, body, token)
            svc = sorted((str(h["user"]["id"]), d["date"], d["cycleDay"], d["streak"], str(d["reward"]))
                         for h in data["signInHistory"] for d in h["days"] if d["signedIn"])
            diffs += svc != peer_rows
        msg += (f"; the service's signed-in days are the peer's in all {n}" if not diffs
                else f"; WARNING: the service's signed-in days differ from the peer's in {diffs} of {n} bodies")
    print(msg)


if __name__ == "__main__":
    sys.dont_write_bytecode = True
    main()
