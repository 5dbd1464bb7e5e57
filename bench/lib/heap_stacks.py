#!/usr/bin/env python3
"""Sums a heaptrack flame-graph stack file by allocation site (standard library only).

  heaptrack_print -f HEAP.zst -m 0 --flamegraph-cost-type peak -F STACKS
  python3 bench/lib/heap_stacks.py STACKS [--top 8] [--src src]

Prints: the total; the share held by the metrics recorder's histogram buckets
(metrics-util's AtomicBucket, bucket.rs) against everything else; the top
allocation sites (the innermost frames that are not allocator plumbing); and
the histogram bytes by the service's own frame (a file under --src) that
recorded them. Used for docs/performance.md, "Memory under a long mixed load".
"""
import argparse
import collections
import os
import re

PLUMBING = re.compile(
    r"\((alloc|raw_vec|mod|boxed|spec_from_elem|spec_extend|arc|rc|string|malloc\.c|function|future|"
    r"sync|map|lib)(\.rs)?\)$|\(heaptrack[^)]*\)$"
)
FILE = re.compile(r"\(([\w.]+)\)$")


def size(b: int) -> str:
    return f"{b / 1048576:.2f} MiB" if b >= 1048576 else f"{b / 1024:.1f} KiB"


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("stacks")
    p.add_argument("--top", type=int, default=8)
    p.add_argument("--src", default=os.path.join(os.path.dirname(__file__), "..", "..", "src"))
    a = p.parse_args()
    ours = {f for _, _, files in os.walk(a.src) for f in files if f.endswith(".rs")} - {"mod.rs", "lib.rs"}

    total = 0
    groups, sites, by_caller = collections.Counter(), collections.Counter(), collections.Counter()
    with open(a.stacks) as f:
        for line in f:
            stack, _, n = line.rstrip("\n").rpartition(" ")
            if not n.isdigit():
                continue
            n = int(n)
            total += n
            frames = stack.split(";")
            histogram = any("(bucket.rs)" in fr for fr in frames)
            groups["histogram samples (AtomicBucket blocks)" if histogram else "everything else"] += n
            inner = [fr for fr in reversed(frames) if not PLUMBING.search(fr)][:3]
            sites[" <- ".join(inner)] += n
            if histogram:
                caller = next((fr for fr in reversed(frames)
                               if (m := FILE.search(fr)) and m.group(1) in ours), "?")
                by_caller[caller] += n

    print(f"total: {size(total)}")
    for g, n in groups.most_common():
        print(f"  {size(n):>11} {100 * n / max(total, 1):5.1f} %  {g}")
    print("top sites (innermost frames):")
    for s, n in sites.most_common(a.top):
        print(f"  {size(n):>11}  {s[:240]}")
    if by_caller:
        print("histogram samples by the service's recording frame:")
        for s, n in by_caller.most_common():
            print(f"  {size(n):>11}  {s}")


if __name__ == "__main__":
    main()
