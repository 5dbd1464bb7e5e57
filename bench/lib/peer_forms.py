"""The peer's forms of each workload (bench/peer.sh) and which one counts:
the faster, by median req/s (issue 23: "the peer given its best form for
each workload"). Shared by peer.sh's report and hot_report.py (stdlib only)."""
import statistics

FORM_NAMES = {
    "condition": "`allSignIns(condition: {userId}, orderBy: DAY_DESC, first: 1)`",
    "relation": "`userByRowId(rowId) { signInsByUserId(first: 1, orderBy: DAY_DESC) }`",
    "function": "`benchPeerSignInHistory(userIds, fromDay, toDay)` (bench/peer/peer.sql)",
    "filter": "`allUsers(filter: {rowId: {in}}) { signInsByUserId(filter: {day: {gte, lte}}) }`",
    "": "the only form (a peer.jsonl from before the forms)",
}


def median(xs):
    xs = [x for x in xs if isinstance(x, (int, float)) and not isinstance(x, bool)]
    return statistics.median(xs) if xs else None


def forms(rows, workload):
    """{form: [the peer's runs of that form]} for one workload, in first-run order."""
    out = {}
    for r in rows:
        if r.get("workload") == workload and r.get("target") == "postgraphile":
            out.setdefault(r.get("form", ""), []).append(r)
    return out


def best(rows, workload):
    """(form, its runs) of the form with the highest median req/s, or (None, [])."""
    fs = forms(rows, workload)
    if not fs:
        return None, []
    name = max(fs, key=lambda f: median([r.get("rps") for r in fs[f]]) or 0)
    return name, fs[name]
