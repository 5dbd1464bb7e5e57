#!/usr/bin/env python3
"""Mints the bench's bearer tokens and writes request bodies (stdlib only).

Tokens are HS256 JWTs exactly as src/auth/token.rs issues them:
header {"alg":"HS256","typ":"JWT","kid":...}, claims {sub: user id as a string,
ver: users.token_version (0 for generated users), sid: the user's bench session
(its id is the user id, see seed_sessions in bench/lib/common.sh), iat, exp} in seconds.

  tokens.py users  --secret S --users N --iat T --out FILE   one token per line, shuffled
  tokens.py admin  --secret S --id ID --iat T                prints one token
  tokens.py history --users N --sizes 10,100,1000 --from D --to D --out-prefix P
  tokens.py search --out FILE
  tokens.py peer-status --users N --form condition|relation --out FILE
  tokens.py peer-history --bodies-from HISTORY.jsonl --form function|filter --out FILE
  tokens.py login --users N --password P --bodies K --out FILE   successful logins of K users
"""
import argparse
import base64
import hashlib
import hmac
import json
import random


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def kid(secret: bytes) -> str:
    """The `kid` src/auth/token.rs names a secret by: 16 hex digits of HMAC-SHA256(secret, "signin-rewards kid")."""
    return hmac.new(secret, b"signin-rewards kid", hashlib.sha256).digest()[:8].hex()


def mint(secret: bytes, sub: int, iat: int, ttl: int, ver: int = 0) -> str:
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid(secret)}, separators=(",", ":")).encode())
    # sid: the session bench/lib/common.sh's seed_sessions opens for each user (id = user id).
    claims = {"sub": str(sub), "ver": ver, "sid": sub, "iat": iat, "exp": iat + ttl}
    payload = b64(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{header}.{payload}".encode()
    sig = b64(hmac.new(secret, signing_input, hashlib.sha256).digest())
    return f"{header}.{payload}.{sig}"


HISTORY_QUERY = (
    "query($ids:[ID!]!,$from:Date!,$to:Date!){signInHistory(userIds:$ids,from:$from,to:$to)"
    "{user{id} days{date signedIn cycleDay streak reward}}}"
)
SEARCH_QUERY = (
    "query($q:String!){searchUsers(query:$q,first:20)"
    "{edges{node{id username}} pageInfo{hasNextPage}}}"
)

# The peer (PostGraphile 5, bench/peer): the same reads, as its schema has them,
# each in every form the peer offers for it (issue 23: "the peer given its best
# form for each workload"); bench/peer.sh runs each form and counts the faster.
# Field names checked against the peer's introspected schema (Amber preset +
# postgraphile-plugin-connection-filter 4).
PEER_STATUS_FORMS = {
    # allSignIns with a condition on the (user_id, day) unique index's first column
    "condition": (
        "query($u:BigInt!){allSignIns(condition:{userId:$u},orderBy:DAY_DESC,first:1)"
        "{nodes{day cycleDay streak reward}}}"
    ),
    # the user by primary key, then its sign-ins through the foreign key
    "relation": (
        "query($u:BigInt!){userByRowId(rowId:$u){signInsByUserId(first:1,orderBy:DAY_DESC)"
        "{nodes{day cycleDay streak reward}}}}"
    ),
}
PEER_HISTORY_FORMS = {
    # one SQL function, bench_peer.sign_in_history (bench/peer/peer.sql)
    "function": (
        "query($ids:[BigInt]!,$from:Date!,$to:Date!){benchPeerSignInHistory(userIds:$ids,fromDay:$from,toDay:$to)"
        "{nodes{userId day cycleDay streak reward}}}"
    ),
    # postgraphile-plugin-connection-filter: the users by id, each one's sign-ins in the range
    "filter": (
        "query($ids:[BigInt!]!,$from:Date!,$to:Date!){allUsers(filter:{rowId:{in:$ids}})"
        "{nodes{rowId signInsByUserId(filter:{day:{greaterThanOrEqualTo:$from,lessThanOrEqualTo:$to}})"
        "{nodes{day cycleDay streak reward}}}}}"
    ),
}
PEER_STATUS_QUERY = PEER_STATUS_FORMS["condition"]
PEER_HISTORY_QUERY = PEER_HISTORY_FORMS["function"]

def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["users", "admin", "history", "search", "search-miss",
                                    "peer-status", "peer-history", "login"])
    p.add_argument("--secret")
    p.add_argument("--users", type=int)
    p.add_argument("--id", type=int)
    p.add_argument("--iat", type=int)
    p.add_argument("--ttl", type=int, default=400 * 86400)
    p.add_argument("--out")
    p.add_argument("--out-prefix")
    p.add_argument("--sizes", default="10,100,1000")
    p.add_argument("--from", dest="from_")
    p.add_argument("--to")
    p.add_argument("--bodies", type=int, default=50)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--bodies-from")
    p.add_argument("--form", help="peer-status: condition|relation; peer-history: function|filter")
    p.add_argument("--password", help="login: every generated user's password")
    a = p.parse_args()
    rng = random.Random(a.seed)

    if a.what == "users":
        ids = list(range(1, a.users + 1))
        rng.shuffle(ids)  # sign-ins hit users in random order, as real traffic would
        secret = a.secret.encode()
        with open(a.out, "w") as f:
            for uid in ids:
                f.write(mint(secret, uid, a.iat, a.ttl) + "\n")
    elif a.what == "peer-status":
        # The peer's status read (PostGraphile: the user's latest sign-in),
        # one body per user in the very order of the `users` tokens.
        ids = list(range(1, a.users + 1))
        rng.shuffle(ids)
        with open(a.out, "w") as f:
            query = PEER_STATUS_FORMS[a.form or "condition"]
            for uid in ids:
                f.write(json.dumps({"query": query, "variables": {"u": str(uid)}},
                                   separators=(",", ":")) + "\n")
    elif a.what == "peer-history":
        # The service's history bodies (--bodies-from) as the peer's query:
        # the same users and days.
        query = PEER_HISTORY_FORMS[a.form or "function"]
        with open(a.bodies_from) as src, open(a.out, "w") as f:
            for line in src:
                v = json.loads(line)["variables"]
                body = {"query": query,
                        "variables": {"ids": v["ids"], "from": v["from"], "to": v["to"]}}
                f.write(json.dumps(body, separators=(",", ":")) + "\n")
    elif a.what == "login":
        # Successful logins of --bodies random generated users (gen_data.sql:
        # user000001.. share the bench admin's password), selecting only
        # __typename so that every build since the first answers the same.
        query = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { __typename } }"
        width = max(6, len(str(a.users)))
        with open(a.out, "w") as f:
            for uid in rng.sample(range(1, a.users + 1), min(a.bodies, a.users)):
                body = {"query": query, "variables": {"u": f"user{uid:0{width}d}", "p": a.password}}
                f.write(json.dumps(body, separators=(",", ":")) + "\n")
    elif a.what == "admin":
        print(mint(a.secret.encode(), a.id, a.iat, a.ttl))
    elif a.what == "history":
        # Several different random user sets per size, one JSON body per line.
        for size in (int(s) for s in a.sizes.split(",")):
            with open(f"{a.out_prefix}{size}.jsonl", "w") as f:
                for _ in range(a.bodies):
                    ids = [str(i) for i in rng.sample(range(1, a.users + 1), min(size, a.users))]
                    body = {"query": HISTORY_QUERY,
                            "variables": {"ids": ids, "from": a.from_, "to": a.to}}
                    f.write(json.dumps(body, separators=(",", ":")) + "\n")
    elif a.what == "search":
        # 3-digit substrings like "123" (the usernames are user000001..):
        # each matches a few hundred of 100,000 users.
        with open(a.out, "w") as f:
            for _ in range(a.bodies):
                body = {"query": SEARCH_QUERY, "variables": {"q": f"{rng.randrange(1000):03d}"}}
                f.write(json.dumps(body, separators=(",", ":")) + "\n")
    elif a.what == "search-miss":
        # 3-letter strings no generated username contains: no early exit.
        letters = "abcdfghijklmnopqtvwxyz"  # not u, s, e, r
        with open(a.out, "w") as f:
            for _ in range(a.bodies):
                q = "".join(rng.choice(letters) for _ in range(3))
                body = {"query": SEARCH_QUERY, "variables": {"q": q}}
                f.write(json.dumps(body, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
