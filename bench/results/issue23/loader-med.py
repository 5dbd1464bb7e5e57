import json, sys, statistics as st
rows = {}
for line in open(sys.argv[1]):
    if not line.startswith("R "): continue
    _, b, r, sc, js = line.split(" ", 4)
    m = json.loads(js)
    rows.setdefault((sc, b), []).append(m)
bins = []
for (_, b) in rows:
    if b not in bins: bins.append(b)
print("| scenario | " + " | ".join(f"{b} req/s (runs) | {b} p50 ms" for b in bins) + " |")
print("|---|" + "---|---|" * len(bins))
for sc in ["cold1", "cold32", "hist10", "hist100"]:
    cells = []
    for b in bins:
        ms = rows.get((sc, b), [])
        if not ms: cells += ["-", "-"]; continue
        rps = [m["rps"] for m in ms]; p50 = [m["p50_ms"] for m in ms]
        errs = sum(m["graphql_errors"] + m["non200"] for m in ms)
        cells += [f"**{st.median(rps):.0f}** ({', '.join(f'{x:.0f}' for x in rps)}){' ERR'+str(errs) if errs else ''}", f"{st.median(p50):.3f}"]
    print(f"| {sc} | " + " | ".join(cells) + " |")
