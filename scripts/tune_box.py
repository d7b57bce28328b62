#!/usr/bin/env python
"""Choose the box settings of ``calcvision infer`` (``finding_region`` support / reach,
``locate`` cam_threshold / all_components) on TUNING sets of phantoms, never on the benchmark set.

    PYTHONPATH=. .venv/bin/python scripts/tune_box.py [--per-class 10] [--seed 777002 --seed 777003] [--model CKPT]

For every correctly classified lesion image it computes the tile probabilities once, the
Layer-CAM map once per region setting, then the box for each setting, and prints per setting
the fraction of boxes with IoU >= 0.3 against the true lesion box and the median IoU (the
figures ``scripts/bench_infer_accuracy.py`` reports on its own set, seed 777001), then that
fraction per class with the defaults. Several ``--seed`` pool their sets.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_infer_accuracy import box_hits_per_class, iou, make_set  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-class", type=int, default=10)
    ap.add_argument("--seed", type=int, action="append", help="tuning set seed, repeatable (default: 777002)")
    ap.add_argument("--model", default=None, help="model file (default: the shipped model)")
    ap.add_argument("--data", default=None, help="folder to write / reuse the phantoms in (one subfolder per seed)")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)

    from calcvision.infer.predict import (aggregate, finding_region, map_box, prepare, region_map, scale_params,
                                          tile_probabilities)
    from calcvision.io import read_radiograph
    from calcvision.model import load_model
    from calcvision.patterns import CLASSES, NONE

    model = load_model(args.model)
    seeds = args.seed or [777002]
    data = Path(args.data or tempfile.mkdtemp(prefix="calcvision-tune-box-"))
    truth = [t for seed in seeds for t in make_set(data / str(seed), args.per_class * len(CLASSES), seed, None, args.workers)]
    params = scale_params(model)
    supports, reaches, thresholds, components = (0.3, 0.5, 0.7), (1.0, 2.0, 3.0), (0.2, 0.3, 0.4), (True, False)
    settings = list(itertools.product(supports, reaches, thresholds, components))
    ious: dict[tuple, list[float]] = {k: [] for k in settings}
    labels = []
    for t in truth:
        if t["label"] == NONE:
            continue
        prep = prepare(read_radiograph(t["path"])[0], params)
        probs = tile_probabilities(prep, model)
        best, p = aggregate(probs, model.image_calibration)
        cls = int(np.argmax(p))
        if CLASSES[cls] != t["label"]:
            continue
        labels.append(t["label"])
        for support, reach in itertools.product(supports, reaches):
            rmap = region_map(prep, model, finding_region(prep, probs, best, cls, support=support, reach=reach), cls)
            for thr, allc in itertools.product(thresholds, components):
                ious[(support, reach, thr, allc)].append(iou(map_box(prep, rmap, thr, allc), t["box"]))
    print(f"tuning sets: seeds {', '.join(map(str, seeds))}, {len(truth)} phantoms, {len(labels)} correctly "
          f"classified lesions; model {model.meta.get('version')} sha256 {model.sha256[:12]}")
    print(f"{'support':>8s} {'reach':>6s} {'cam_thr':>8s} {'all parts':>9s} {'IoU>=0.3':>9s} {'median IoU':>10s}")
    for (support, reach, thr, allc), v in sorted(ious.items(), key=lambda kv: -np.mean(np.asarray(kv[1]) >= 0.3)):
        print(f"{support:8.1f} {reach:6.1f} {thr:8.1f} {str(allc):>9s} {np.mean(np.asarray(v) >= 0.3):9.3f} {np.median(v):10.2f}")
    print("IoU >= 0.3 per class with the defaults (support 0.3, reach 2, cam_thr 0.3, all parts): "
          + box_hits_per_class(ious[(0.3, 2.0, 0.3, True)], labels))


if __name__ == "__main__":
    main()
