"""Brand extraction accuracy on the real-site corpus: `python benchmarks/brand_accuracy.py [site ...]`.

Serves each site of ../shared/corpus/sites on 127.0.0.1, runs the real scrape stage on it, scores
every field against ../shared/corpus/sites.json, and prints a per-site table and the totals against
the goals. Exits non-zero when a goal is missed. `-v` also prints what was found for each site.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._corpus import FIELDS, GOALS, rate, run, totals

MARK = {True: "✓", False: "✗", None: "·"}


def main(argv: list[str]) -> int:
    """Run the benchmark; returns the exit code."""
    verbose = "-v" in argv
    sites = [a for a in argv if not a.startswith("-")]
    started = time.monotonic()
    results = run(sites or None)
    wall = time.monotonic() - started
    columns = [*FIELDS, "email∅", "phone∅"]
    width = max(len(r.site) for r in results)
    print(f"{'site':<{width}}  " + "  ".join(f"{c:>8}" for c in columns) + "      s")
    for r in results:
        cells = "  ".join(f"{MARK[r.scores.get(c)]:>8}" for c in columns)
        print(f"{r.site:<{width}}  {cells}  {r.seconds:5.2f}")
        if verbose:
            for key, value in r.detail.items():
                print(f"{'':<{width}}    {key:>7}: {value}")
    summary = totals(results)
    print()
    print(f"{'field':<10} {'right':>7} {'rate':>7} {'goal':>7}")
    missed = []
    for key in columns:
        right, n = summary[key]
        goal = GOALS.get(key)
        ok = goal is None or rate(summary[key]) >= goal
        if not ok:
            missed.append(key)
        goal_text = f"{goal:>6.0%}" if goal is not None else "     -"
        flag = "" if goal is None else ("  met" if ok else "  MISSED")
        print(f"{key:<10} {right:>3}/{n:<3} {rate(summary[key]):>6.0%} {goal_text}{flag}")
    print(f"\n{len(results)} sites scraped in {wall:.1f}s (several at a time; per-site seconds in the last column)")
    if missed:
        print("goals missed: " + ", ".join(missed))
        return 1
    print("all goals met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
