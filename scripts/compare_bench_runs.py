"""Paired comparison of two models on the same rendered benchmark images.

Usage:
    python scripts/compare_bench_runs.py RUN_A RUN_B [RUN_A2 RUN_B2 ...]

Each RUN is an --out folder of scripts/bench_other_simulator.py (manifest.csv and
results/results.csv); the two folders of a pair must hold the same images (same simulator,
seed and size, another --model). It prints, per pair and
pooled over all pairs, each model's correct count, the images right for only one of the two,
and the two-sided exact McNemar p-value of those discordant counts (a binomial test at 1/2).
"""

from __future__ import annotations

import argparse
import csv
import sys
from math import comb
from pathlib import Path


def correct_by_image(run: Path) -> dict[str, bool]:
    """File name -> whether results.csv's pattern equals the manifest's label."""
    with open(run / "manifest.csv", newline="", encoding="utf-8") as f:
        truth = {Path(r["path"]).name: r["label"] for r in csv.DictReader(f)}
    with open(run / "results" / "results.csv", newline="", encoding="utf-8") as f:
        pred = {Path(r["path"]).name: r["pattern"] for r in csv.DictReader(f)}
    missing = sorted(set(truth) - set(pred))
    if missing:
        raise ValueError(f"{run}: no result for {len(missing)} image(s), e.g. {missing[0]}")
    return {name: pred[name] == label for name, label in truth.items()}


def mcnemar_exact(only_a: int, only_b: int) -> float:
    """Two-sided exact McNemar p-value: P(a split at least this uneven | each side 1/2)."""
    n, k = only_a + only_b, min(only_a, only_b)
    if n == 0:
        return 1.0
    return min(1.0, 2 * sum(comb(n, i) for i in range(k + 1)) / 2 ** n)


def main(argv: list[str] | None = None) -> int:
    """Print the pairs' counts and the pooled test."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("runs", nargs="+", type=Path, help="RUN_A RUN_B pairs")
    args = ap.parse_args(argv)
    if len(args.runs) % 2:
        ap.error("give the runs in pairs: RUN_A RUN_B [RUN_A2 RUN_B2 ...]")
    tot_a = tot_b = only_a = only_b = n = 0
    for a_dir, b_dir in zip(args.runs[::2], args.runs[1::2]):
        try:
            a, b = correct_by_image(a_dir), correct_by_image(b_dir)
            if set(a) != set(b):
                raise ValueError(f"{a_dir} and {b_dir} do not hold the same images")
        except (OSError, KeyError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        oa = sum(a[k] and not b[k] for k in a)
        ob = sum(b[k] and not a[k] for k in a)
        print(f"{a_dir} {sum(a.values())}/{len(a)} vs {b_dir} {sum(b.values())}/{len(b)}: "
              f"right only for A {oa}, only for B {ob}, exact McNemar p {mcnemar_exact(oa, ob):.2g}")
        tot_a, tot_b, only_a, only_b, n = tot_a + sum(a.values()), tot_b + sum(b.values()), only_a + oa, only_b + ob, n + len(a)
    if len(args.runs) > 2:
        print(f"pooled over {len(args.runs) // 2} pairs: A {tot_a}/{n}, B {tot_b}/{n}; right only for A {only_a}, "
              f"only for B {only_b}, exact McNemar p {mcnemar_exact(only_a, only_b):.2g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
