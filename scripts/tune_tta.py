#!/usr/bin/env python
"""Choose ``model.tta_tiles`` (calcvision.model.tta) on the SELECTION phantoms (seed 4), never
on the test set: for each setting, refit the image calibration on the validation images (as
``calcvision train`` does) and print the whole-image accuracy, the share of ``none`` images
called a lesion and the image-level ECE.

    PYTHONPATH=. .venv/bin/python scripts/tune_tta.py [--model FILE] [--per-class 40] [--cache DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from calcvision.model import load_model  # noqa: E402
from calcvision.model.data import PhantomSpec, phantom_items  # noqa: E402
from calcvision.model.evaluate import fit_image_level, image_level  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="model file (default: the shipped model)")
    ap.add_argument("--per-class", type=int, default=40, help="selection phantoms per class")
    ap.add_argument("--settings", type=int, nargs="+", default=[0, 2, 4, 8])
    ap.add_argument("--cache", default="runs/cache", help="phantom cache folder")
    a = ap.parse_args()
    torch.set_num_threads(2)
    model = load_model(a.model)
    cfg = model.meta["training"]["config"]
    p = cfg["data"]["phantoms"]
    keep = max(cfg["data"]["keep_px"], model.tile_px)
    val = phantom_items(PhantomSpec(p["val_seed"], p["val_per_class"], tuple(p["shape"]), p["spacing_mm"]),
                        model.meta["mm_per_pixel"], keep, 2, a.cache)
    sel = phantom_items(PhantomSpec(4, a.per_class, tuple(p["shape"]), p["spacing_mm"]), model.meta["mm_per_pixel"],
                        keep, 2, a.cache)
    print(f"model {model.meta['version']} sha256 {model.sha256[:12]}; calibration on {len(val)} validation images "
          f"(seed {p['val_seed']}), figures on {len(sel)} selection images (seed 4)")
    print(f"{'tta_tiles':>9s} {'a':>6s} {'b':>7s} {'accuracy':>8s} {'none called lesion':>18s} {'image ECE':>9s}")
    for k in a.settings:
        cal = fit_image_level(model.net, model.temperature, val, model.tile_px, k)[0]
        m = image_level(model.net, model.temperature, sel, model.tile_px, cal, tta_tiles=k)
        print(f"{k:9d} {cal[0]:6.3f} {cal[1]:7.3f} {m['image_accuracy']:8.3f} "
              f"{m['image_none_false_positive_rate']:18.3f} {m['image_ece']:9.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
