"""Brand extraction accuracy on the labelled corpora: `python benchmarks/brand_accuracy.py [options] [site ...]`.

Serves each site of ../shared/corpus (tuning set) and benchmarks/corpus (`split`: tune or heldout) on
127.0.0.1, runs the real scrape stage on it, scores every field against its label, and prints the
totals of the tuning and held-out sets side by side against the goals. Exits non-zero when a goal
is missed on a set that was scored.

Per-site rows are printed for the tuning set only: held-out sites are for measuring, not for
tuning (`--show-heldout` prints theirs too, for a final report). `-v` adds what was found per site.
`--render on|off|auto` sets PIPELINE_SCRAPE_RENDER for the run (default: the settings' own value).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._corpus import FIELDS, GOALS, MISSING, SPLITS, SiteResult, bench_settings, rate, run, totals

MARK = {True: "✓", False: "✗", None: "·"}
COLUMNS = [*FIELDS, "email∅", "phone∅"]
NO_INVENTION = {"email∅": 1.0, "phone∅": 1.0}


def print_sites(results: list[SiteResult], verbose: bool) -> None:
    """One row per site: a mark per field and the seconds it took."""
    if not results:
        return
    width = max(len(r.site) for r in results)
    print(f"{'site':<{width}}  " + "  ".join(f"{c:>8}" for c in COLUMNS) + "      s")
    for r in results:
        cells = "  ".join(f"{MARK[r.scores.get(c)]:>8}" for c in COLUMNS)
        print(f"{r.site:<{width}}  {cells}  {r.seconds:5.2f}")
        if verbose:
            for key, value in r.detail.items():
                print(f"{'':<{width}}    {key:>7}: {value}")


def print_totals(by_split: dict[str, list[SiteResult]]) -> list[str]:
    """The totals table, one column pair per split; returns the goals missed as 'split:field'."""
    shown = [s for s in SPLITS if by_split.get(s)]
    print(f"{'field':<10}" + "".join(f" {split + ' right':>14} {'rate':>5}" for split in shown) + f" {'goal':>6}")
    missed = []
    for key in COLUMNS:
        goal = GOALS.get(key, NO_INVENTION.get(key))
        cells = ""
        for split in shown:
            pair = totals(by_split[split])[key]
            ok = goal is None or rate(pair) >= goal
            if not ok:
                missed.append(f"{split}:{key}")
            cells += f" {pair[0]:>9}/{pair[1]:<4} {rate(pair):>5.0%}{'' if ok else '!'}"
        print(f"{key:<10}{cells} {f'{goal:.0%}' if goal is not None else '-':>6}")
    return missed


def main(argv: list[str]) -> int:
    """Run the benchmark; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("sites", nargs="*", help="only these sites")
    parser.add_argument("-v", "--verbose", action="store_true", help="what was found for each printed site")
    parser.add_argument("--split", choices=[*SPLITS, "all"], default="all", help="which set to score")
    parser.add_argument("--show-heldout", action="store_true", help="print held-out sites' rows too (reports only)")
    parser.add_argument("--render", choices=["on", "off", "auto"], help="PIPELINE_SCRAPE_RENDER for this run")
    parser.add_argument("--workers", type=int, default=7, help="sites scraped at a time")
    args = parser.parse_args(argv)
    overrides = {"scrape_render": args.render} if args.render else {}
    split = None if args.split == "all" else args.split
    started = time.monotonic()
    try:
        results = run(args.sites or None, bench_settings(**overrides), args.workers, split=split)
    except KeyError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    wall = time.monotonic() - started
    by_split = {s: [r for r in results if r.split == s] for s in SPLITS}
    print_sites(by_split["tune"] + (by_split["heldout"] if args.show_heldout else []), args.verbose)
    if by_split["heldout"] and not args.show_heldout:
        print(f"({len(by_split['heldout'])} held-out sites scored; their rows are not shown)")
    print()
    missed = print_totals(by_split)
    sizes = ", ".join(f"{len(by_split[s])} {s}" for s in SPLITS if by_split[s])
    if MISSING:
        print(f"{len(MISSING)} labelled sites have no files here (set BRAND_CORPUS_SITES): not scored")
    print(f"\n{len(results)} sites ({sizes}) scraped in {wall:.1f}s, {args.workers} at a time")
    if missed:
        print("goals missed: " + ", ".join(missed))
        return 1
    print("all goals met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
