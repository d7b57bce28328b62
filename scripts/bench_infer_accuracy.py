#!/usr/bin/env python
"""Image-level accuracy of ``calcvision infer`` on a folder of the project's phantoms.

    PYTHONPATH=. .venv/bin/python scripts/bench_infer_accuracy.py [--per-class 15] [--model CKPT]

Writes ``--per-class`` x 7 phantoms with ``calcvision phantoms --mix-encodings`` (seed ``--seed``,
one the shipped model was not trained on): balanced over the seven classes, MONOCHROME1/2,
BitsStored 10-16, windows and pixel spacing 0.1-0.2 mm as the simulator draws them, about half
of the files losslessly compressed (RLE, JPEG-LS, JPEG 2000). Then runs the batch runner over
the folder exactly as ``calcvision infer`` does and prints:
- image-level accuracy (target >= 98 %) with its 95 % Wilson interval, per-class recall and the confusion matrix;
- the accuracy expected where a share ``--prevalence`` of images holds a lesion (this set's lesion and
  ``none`` images weighted to it; default: the share the model's image calibration assumes, 6 of 7
  for the shipped model; see ``calcvision recalibrate``);
- the ``none`` false-positive rate: ``none`` images called a lesion (target <= 3 %);
- the fraction of correctly classified lesions whose box has IoU >= 0.3 with the true
  lesion box (target >= 90 %), the median IoU, and that fraction per class.
- what a stricter image-level decision would trade: `none` images called a lesion and
  lesion images called `none` when an image is called a lesion only above a lesion
  probability 1 - p_none of t.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

def make_set(folder: Path, n: int, seed: int, shape: str | None, workers: int) -> list[dict]:
    """``calcvision phantoms --mix-encodings`` into ``folder`` (resumed / reused if already
    there); returns its manifest rows with absolute paths and the true box."""
    cmd = [sys.executable, "-m", "calcvision", "phantoms", "--out", str(folder), "--n", str(n), "--seed", str(seed),
           "--mix-encodings", "--workers", str(workers)] + (["--shape", shape] if shape else [])
    subprocess.run(cmd, check=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    rows = []
    for r in csv.DictReader(open(folder / "manifest.csv")):
        box = None if r["roi_x0"] in ("", None) else tuple(int(float(r[f"roi_{k}"])) for k in ("x0", "y0", "x1", "y1"))
        rows.append({**r, "path": str((folder / r["path"]).resolve()), "box": box})
    return rows


def box_hits_per_class(ious: list[float], labels: list[str]) -> str:
    """"class share of n" of the boxes with IoU >= 0.3, for each class in ``labels``."""
    from calcvision.patterns import CLASSES

    hit = np.asarray(ious) >= 0.3
    return ", ".join(f"{c} {hit[[lab == c for lab in labels]].mean():.2f} of {labels.count(c)}"
                     for c in CLASSES if c in labels)


def iou(a, b) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-class", type=int, default=15)
    ap.add_argument("--seed", type=int, default=777001)
    ap.add_argument("--shape", default=None, help="ROWSxCOLS phantom size (default: the simulator's, 1024x1024)")
    ap.add_argument("--model", default=None, help="model file (default: the shipped model)")
    ap.add_argument("--overlap", type=float, default=None, help="tile overlap (default: calcvision infer's)")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--data", default=None, help="folder to write / reuse the phantoms in")
    ap.add_argument("--prevalence", type=float, nargs="+", default=None, metavar="P",
                    help="also the accuracy expected where a share P of images holds a lesion (default: the share "
                         "the model's image calibration assumes)")
    args = ap.parse_args()

    from calcvision.infer.runner import run_inference
    from calcvision.model import load_model
    from calcvision.model.evaluate import ci_suffix, wilson_interval
    from calcvision.patterns import CLASSES, NONE

    model = load_model(args.model)
    data = Path(args.data or tempfile.mkdtemp(prefix="calcvision-bench-acc-"))
    t0 = time.perf_counter()
    truth = make_set(data, args.per_class * len(CLASSES), args.seed, args.shape, args.workers)
    print(f"phantoms: {len(truth)} (seed {args.seed}) in {data}, ready in {time.perf_counter() - t0:.0f} s; "
          f"labels {dict(sorted(Counter(t['label'] for t in truth).items()))}; "
          f"photometric {dict(Counter(t['photometric'] for t in truth))}; "
          f"bits {dict(sorted(Counter(t['bits_stored'] for t in truth).items()))}; "
          f"encodings {dict(Counter(t['compression'] or 'none' for t in truth))}")
    print(f"model: {model.path} sha256 {model.sha256[:12]} ({model.meta.get('arch')}, "
          f"{model.meta.get('mm_per_pixel')} mm/px, tile {model.meta.get('tile_px')} px, "
          f"version {model.meta.get('version')})")

    with tempfile.TemporaryDirectory() as tmp:
        extra = {} if args.overlap is None else {"overlap": args.overlap}
        summary = run_inference([t["path"] for t in truth], Path(tmp) / "out", model=model,
                                workers=args.workers, progress=False, **extra)
        rows = {r["path"]: r for r in csv.DictReader(open(Path(tmp) / "out" / "results.csv"))}
    print(f"load average: {os.getloadavg()[0]:.1f}")
    print(f"inference: {summary['seconds']:.1f} s, {summary['images_per_s']:.2f} images/s, status {summary['status']}")

    confusion = np.zeros((len(CLASSES), len(CLASSES)), int)
    ious, boxed, not_ok, lesion_prob = [], [], 0, []  # lesion_prob: (is a none image, 1 - p_none) of each ok image
    for t in truth:
        r = rows.get(t["path"])
        if r is None or r["status"] != "ok":
            not_ok += 1
            continue
        i, j = CLASSES.index(t["label"]), CLASSES.index(r["pattern"])
        confusion[i, j] += 1
        lesion_prob.append((t["label"] == NONE, 1 - float(r["p_none"])))
        if i == j and t["label"] != NONE:
            pred = tuple(int(r[f"roi_{k}"]) for k in ("x0", "y0", "x1", "y1"))
            ious.append(iou(pred, t["box"]))
            boxed.append(t["label"])
    n = len(truth)
    acc = np.trace(confusion) / n
    ni = CLASSES.index(NONE)
    none_fp = 1 - confusion[ni, ni] / max(confusion[ni].sum(), 1)
    box_ok = float(np.mean(np.asarray(ious) >= 0.3)) if ious else float("nan")
    print(f"\nimages not ok: {not_ok}")
    print("confusion (rows = truth, columns = predicted):")
    short = [c[:10] for c in CLASSES]
    print(" " * 26 + " ".join(f"{s:>10s}" for s in short))
    for c, row in zip(CLASSES, confusion):
        print(f"  {c:24s}" + " ".join(f"{v:10d}" for v in row) + f"   recall {row[CLASSES.index(c)] / max(row.sum(), 1):.2f}")
    print(f"\nimage-level accuracy: {acc:.3f}{ci_suffix(wilson_interval(int(np.trace(confusion)), n))} (target >= 0.98)")
    own = model.calibration_prevalence
    lesion_right = (np.trace(confusion) - confusion[ni, ni]) / max(confusion.sum() - confusion[ni].sum(), 1)
    none_right = confusion[ni, ni] / max(confusion[ni].sum(), 1)
    for prev in args.prevalence or ([] if own is None else [own]):  # this set's images weighted to that share
        print(f"accuracy where a share {prev:.3f} of images holds a lesion"
              f"{' (the one the model is calibrated for)' if own is not None and abs(prev - own) < 1e-9 else ''}: "
              f"{prev * lesion_right + (1 - prev) * none_right:.3f}")
    fp_ci = ci_suffix(wilson_interval(int(confusion[ni].sum() - confusion[ni, ni]), int(confusion[ni].sum())))
    print(f"none false-positive rate: {none_fp:.3f}{fp_ci} (target <= 0.03)")
    box_ci = ci_suffix(wilson_interval(int(np.sum(np.asarray(ious) >= 0.3)), len(ious)))
    print(f"correct lesions with box IoU >= 0.3: {box_ok:.3f} of {len(ious)}{box_ci} (target >= 0.90); "
          f"median IoU {np.median(ious) if ious else float('nan'):.2f}")
    print(f"  per class: {box_hits_per_class(ious, boxed)}")
    # what a stricter image-level decision would trade: lesion probability 1 - p_none above t
    is_none, p_lesion = (np.array(v) for v in zip(*lesion_prob))
    print("calling an image a lesion only when its lesion probability 1 - p_none exceeds t:")
    for t in (0.5, 0.7, 0.9, 0.97):
        print(f"  t = {t:.2f}: none images called lesion {int((p_lesion[is_none] > t).sum())} of {int(is_none.sum())}, "
              f"lesion images called none {int((p_lesion[~is_none] <= t).sum())} of {int((~is_none).sum())}")


if __name__ == "__main__":
    main()
