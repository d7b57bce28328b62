"""Paired comparison of two models on the same rendered benchmark images.

Usage:
    python scripts/compare_bench_runs.py RUN_A RUN_B [RUN_A2 RUN_B2 ...]

Each RUN is an --out folder of scripts/bench_other_simulator.py (manifest.csv and
results/results.csv); the two folders of a pair must hold the same images (same simulator,
seed and size, another --model). It prints, per pair and
pooled over all pairs, each model's correct count, the images right for only one of the two,
and the two-sided exact McNemar p-value of those discordant counts (a binomial test at 1/2).
Where the manifests carry the lesion boxes (x0, y0, x1, y1), the same for the boxes: among the
lesion images both models classify right, those whose box fits (IoU >= 0.3) for only one.
"""

from __future__ import annotations

import argparse
import csv
import sys
from math import comb
from pathlib import Path

from bench_infer_accuracy import iou

BOX = ("x0", "y0", "x1", "y1")
ROI = ("roi_x0", "roi_y0", "roi_x1", "roi_y1")


def _rows(run: Path) -> tuple[dict[str, dict], dict[str, dict]]:
    """(manifest rows, results rows), each by file name."""
    with open(run / "manifest.csv", newline="", encoding="utf-8") as f:
        truth = {Path(r["path"]).name: r for r in csv.DictReader(f)}
    with open(run / "results" / "results.csv", newline="", encoding="utf-8") as f:
        pred = {Path(r["path"]).name: r for r in csv.DictReader(f)}
    missing = sorted(set(truth) - set(pred))
    if missing:
        raise ValueError(f"{run}: no result for {len(missing)} image(s), e.g. {missing[0]}")
    return truth, pred


def score_run(run: Path) -> tuple[dict[str, bool], dict[str, bool]]:
    """(file name -> whether results.csv's pattern equals the manifest's label, file name ->
    whether the box fits (IoU >= 0.3) for the lesion images classified right; the second is
    empty where the manifest or the results carry no boxes)."""
    truth, pred = _rows(run)
    correct = {name: pred[name]["pattern"] == t["label"] for name, t in truth.items()}
    box = {}
    for name, t in truth.items():
        p = pred[name]
        if t["label"] == "none" or not correct[name] or not all(t.get(k) for k in BOX):
            continue
        box[name] = all(p.get(k) for k in ROI) and iou([float(t[k]) for k in BOX], [float(p[k]) for k in ROI]) >= 0.3
    return correct, box


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
    box_pool = [0, 0]
    for a_dir, b_dir in zip(args.runs[::2], args.runs[1::2]):
        try:
            (a, box_a), (b, box_b) = score_run(a_dir), score_run(b_dir)
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
        both = sorted(set(box_a) & set(box_b))
        if both:
            fa = sum(box_a[k] and not box_b[k] for k in both)
            fb = sum(box_b[k] and not box_a[k] for k in both)
            print(f"  boxes (IoU >= 0.3) on the {len(both)} lesions both classify right: A {sum(box_a[k] for k in both)}, "
                  f"B {sum(box_b[k] for k in both)}; fit only for A {fa}, only for B {fb}, exact McNemar p "
                  f"{mcnemar_exact(fa, fb):.2g}")
            box_pool = [box_pool[0] + fa, box_pool[1] + fb]
    if len(args.runs) > 2:
        print(f"pooled over {len(args.runs) // 2} pairs: A {tot_a}/{n}, B {tot_b}/{n}; right only for A {only_a}, "
              f"only for B {only_b}, exact McNemar p {mcnemar_exact(only_a, only_b):.2g}")
        if any(box_pool):
            print(f"pooled boxes: fit only for A {box_pool[0]}, only for B {box_pool[1]}, exact McNemar p "
                  f"{mcnemar_exact(*box_pool):.2g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
