#!/usr/bin/env python
"""Does the image calibration hold for images larger than the validation phantoms?

    PYTHONPATH=. .venv/bin/python scripts/tile_count_calibration.py [--model M.safetensors]

``calcvision infer`` calls an image from its most suspicious tile. A lesion-free image with
more tiles has more chances that one of them fires, so an image calibration fitted on the
512 x 512 validation phantoms (9-25 tiles at 0.2 mm/pixel) may call far more of the
lesion-free images of a full plate (hundreds of tiles) a lesion. This fits, on the validation
phantoms of ``--fit-seed`` (as ``calcvision train`` does), the two-number calibration
``sigmoid(a logit(e) + b)`` and the three-number one ``sigmoid(a logit(e) + b - c ln(n_tiles))``
(``calcvision.model.calibration.fit_image_calibration``), then prints, on the held-out
phantoms of ``--seed`` at each ``--shape`` (fields kept whole at model scale), per calibration: mean tiles per image, accuracy, lesion-free images called a
lesion, lesion images called ``none``, and the image ECE; and the same for the calibration
stored in the model. ``--fit-shape 512 1536`` fits on the validation phantoms of both sizes
pooled (64-256 tiles at 1536, as many as a real plate). ``--write OUT`` saves a copy of the
model carrying the three-number calibration fitted here (weights and temperature unchanged), to
measure it elsewhere (e.g. ``scripts/bench_real_anatomy.py --model OUT``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from calcvision.model import load_model  # noqa: E402
from calcvision.model.checkpoint import save_recalibrated  # noqa: E402
from calcvision.model.calibration import expected_calibration_error, fit_image_calibration, image_probs  # noqa: E402
from calcvision.model.data import NONE_IDX, PhantomSpec, phantom_items  # noqa: E402
from calcvision.model.evaluate import strongest_tiles  # noqa: E402
from calcvision.phantoms.params import ranges  # noqa: E402


def scored(model, seed: int, per_class: int, side: int, cache: str | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(strongest tile's probabilities [N, 7], tiles per image [N], labels [N]) of the phantoms
    of ``seed`` with ``side`` x ``side`` pixel fields, whole (nothing cropped) at model scale."""
    widest_mm = side * ranges()["field"]["spacing_mm"]["range"][1]
    keep = max(576, int(widest_mm / model.mm_per_pixel) + 16)  # 576 as data.keep_px: the training run's cache serves 512 x 512
    items = phantom_items(PhantomSpec(seed, per_class, (side, side)), model.mm_per_pixel, keep, 2, cache)
    best, n_tiles, labels, _, _ = strongest_tiles(model.net, model.temperature, items, model.tile_px,
                                                  tta_tiles=model.tta_tiles)
    return best, n_tiles, labels


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="model file (default: the shipped model)")
    ap.add_argument("--fit-seed", type=int, default=2, help="validation phantoms the calibrations are fitted on")
    ap.add_argument("--fit-per-class", type=int, default=100, help="as data.phantoms.val_per_class")
    ap.add_argument("--fit-shape", type=int, nargs="+", default=[512],
                    help="field sides (pixels) of the fitting phantoms, pooled (512: the training run's)")
    ap.add_argument("--seed", type=int, default=3, help="held-out phantoms")
    ap.add_argument("--per-class", type=int, default=60)
    ap.add_argument("--shape", type=int, nargs="+", default=[512, 1024], help="field sides (pixels) to test at")
    ap.add_argument("--cache", default=None, help="phantom cache folder (as data.cache_dir)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--write", type=Path, default=None, metavar="OUT",
                    help="also write a copy of the model with the (a, b, c) fitted here (must not exist)")
    args = ap.parse_args(argv)
    if args.write is not None and args.write.exists():
        ap.error(f"--write {args.write}: already exists (nothing is overwritten)")
    torch.set_num_threads(args.threads)
    model = load_model(args.model)

    best, n, labels = (np.concatenate(a) for a in zip(*(scored(model, args.fit_seed, args.fit_per_class, side, args.cache)
                                                         for side in args.fit_shape)))
    e, lesion = 1.0 - best[:, NONE_IDX], labels != NONE_IDX
    calibrations = {"(a, b)": fit_image_calibration(e, lesion), "(a, b, c)": fit_image_calibration(e, lesion, n),
                    "stored": model.image_calibration}
    sides = " and ".join(f"{side} x {side}" for side in args.fit_shape)
    print(f"fitted on seed {args.fit_seed} ({len(labels)} images of {sides}, {n.min()}-{n.max()} tiles): "
          + "; ".join(f"{k} = ({', '.join(f'{v:.3f}' for v in cal)})" for k, cal in calibrations.items())
          + f"; stored in the model: {tuple(round(v, 3) for v in model.image_calibration)}")
    if args.write is not None:
        save_recalibrated(args.write, model, calibrations["(a, b, c)"], float(lesion.mean()),
                          f"tile-count-{'-'.join(map(str, args.fit_shape))}")
        print(f"wrote {args.write}")
    print(f"{'field':>6} {'tiles':>6} {'calibration':<11} {'accuracy':>9} {'none -> lesion':>15} {'lesion -> none':>15} "
          f"{'image ECE':>10}")
    for side in args.shape:
        best, n, labels = scored(model, args.seed, args.per_class, side, args.cache)
        none = labels == NONE_IDX
        for name, cal in calibrations.items():
            probs = image_probs(best, NONE_IDX, *cal, n_tiles=n)
            pred = probs.argmax(1)
            print(f"{side:>6} {n.mean():>6.1f} {name:<11} {(pred == labels).mean():>9.3f} "
                  f"{(pred[none] != NONE_IDX).mean():>15.3f} {(pred[~none] == NONE_IDX).mean():>15.3f} "
                  f"{expected_calibration_error(probs, labels):>10.3f}")
    print(f"     (seed {args.seed}, {args.per_class} phantoms per class and field size)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
