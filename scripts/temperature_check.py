#!/usr/bin/env python
"""How stable is a model's temperature? Tile ECE on several phantom sets, at the stored
temperature and at the temperature each set would fit for itself.

    PYTHONPATH=. .venv/bin/python scripts/temperature_check.py [--model FILE] [--seed 2 3 4]

The temperature is fitted once, on the validation phantoms (seed 2), and kept; if the
temperature that the test (seed 3) or selection (seed 4) phantoms would fit for themselves is
far from it, the validation set is too small to fix it. Tiles are cut as ``calcvision
evaluate`` cuts them (one around each lesion, one background tile where it fits); the floor is
the ECE that a perfectly calibrated model with the same confidences would show on as many
tiles (``calibration.ece_if_calibrated``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from tile_operating_points import held_out  # noqa: E402

from calcvision.model import load_model  # noqa: E402
from calcvision.model.calibration import ece_if_calibrated, expected_calibration_error, fit_temperature  # noqa: E402
from calcvision.model.data import CropDataset  # noqa: E402
from calcvision.model.evaluate import predict_logits  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="model file (default: the shipped model)")
    ap.add_argument("--seed", type=int, nargs="+", default=[2, 3, 4],
                    help="phantom seeds (2 validation, 3 test, 4 selection)")
    ap.add_argument("--per-class", type=int, default=None, help="phantoms per class (default 60 for seed 3, else 40)")
    ap.add_argument("--cache", default=None, help="phantom cache folder")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    model = load_model(args.model)
    print(f"model {model.meta.get('version')} sha256 {model.sha256[:12]}: stored temperature {model.temperature:.3f}")
    print(f"{'seed':>4} {'tiles':>6} {'own T':>7} {'ECE at stored T':>16} {'ECE at own T':>13} {'ECE at T=1':>11} {'floor':>6}")
    for seed in args.seed:
        items = held_out(seed, args.per_class, model.mm_per_pixel, args.cache)
        logits, labels = predict_logits(model.net, CropDataset(items, model.tile_px, seed=seed))
        own = fit_temperature(logits, labels)
        probs = [torch.softmax(logits / t, 1).numpy() for t in (model.temperature, own, 1.0)]
        at_stored, at_own, at_one = (expected_calibration_error(p, labels.numpy()) for p in probs)
        floor = ece_if_calibrated(probs[0])
        print(f"{seed:>4} {len(labels):>6} {own:>7.3f} {at_stored:>16.4f} {at_own:>13.4f} {at_one:>11.4f} {floor:>6.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
