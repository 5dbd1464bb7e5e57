#!/usr/bin/env python3
"""Extracts the statements one database received, per operation, from a
PostgreSQL server log written with log_statement = 'all' and the Debian
log_line_prefix '%m [%p] %q%u@%d '. Operations are delimited by the bench's
marker statements (SELECT 'BENCH-MARK name').

  sqllog.py DBNAME < server.log
"""
import re
import sys

db = sys.argv[1]
prefix = re.compile(r"^\d{4}-\d\d-\d\d [\d:.]+ \w+ \[(\d+)\] [^@\s]*@(\S+) (LOG|DETAIL|ERROR|STATEMENT):\s+(.*)$")
RELAY = ("SKIP LOCKED", '"enqueued_at" = $1', 'SELECT COUNT(*) FROM "sign_ins"')
SETUP = ("SET TIME ZONE", "SET CLIENT_ENCODING")

entries = []  # [pid, kind, text]
current = None
for raw in sys.stdin:
    line = raw.rstrip("\n")
    m = prefix.match(line)
    if m:
        pid, dbname, kind, text = m.groups()
        if dbname != db:
            current = None
            continue
        current = [pid, kind, text]
        entries.append(current)
    elif current is not None and (line.startswith("\t") or line.startswith(" ")):
        current[2] += " " + line.strip()

segments, name = {}, None
order = []
for pid, kind, text in entries:
    mk = re.search(r"BENCH-MARK (\w+)", text)
    if kind == "LOG" and mk:
        name = mk.group(1)
        if name != "end":
            order.append(name)
            segments[name] = []
        continue
    if "/* bench */" in text:
        continue  # the bench's own queries (it waits for the reward to be credited)
    if name and name != "end":
        segments[name].append((pid, kind, text))

for name in order:
    items = segments[name]
    stmts = [i for i, (_, k, _) in enumerate(items) if k == "LOG"]
    tag = {}
    for i in stmts:
        text = items[i][2]
        if any(s in text for s in SETUP):
            tag[i] = "new pool connection"
        elif any(s in text for s in RELAY):
            tag[i] = "relay"
            pid = items[i][0]
            for j in reversed([s for s in stmts if s < i and items[s][0] == pid]):
                if items[j][2].endswith("BEGIN"):
                    tag[j] = "relay"
                    break
            for j in [s for s in stmts if s > i and items[s][0] == pid]:
                if items[j][2].endswith("COMMIT"):
                    tag[j] = "relay"
                    break
    counted = [i for i in stmts if i not in tag]
    print(f"== {name}: {len(counted)} statements (round trips), "
          f"on {len({items[i][0] for i in counted})} connection(s)"
          + (f"; {len(stmts) - len(counted)} others not counted (pool connection setup, outbox relay)" if len(stmts) != len(counted) else ""))
    for i, (pid, kind, text) in enumerate(items):
        text = re.sub(r'"(\w+)"', r"\1", text)  # diesel quotes every identifier
        if kind == "LOG":
            text = re.sub(r"^execute \w+: ", "", text)
            text = re.sub(r"^statement: ", "", text)
            print(f"  [{pid}] {text}" + (f"   -- ({tag[i]})" if i in tag else ""))
        elif kind == "DETAIL":
            print(f"          -- {text[:300]}" + (" ..." if len(text) > 300 else ""))
        else:
            print(f"  [{pid}] {kind}: {text}")
    print()
