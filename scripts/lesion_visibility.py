#!/usr/bin/env python
"""Are the lesions the model misses visible at all? Quantum-limited detectability per phantom.

    PYTHONPATH=. .venv/bin/python scripts/lesion_visibility.py [--seed 3] [--per-class 60] [--model M]

For each lesion phantom (512 x 512, as ``calcvision evaluate --shape 512 512``) the scene is
imaged three times with ``calcvision.phantoms.sample.form_image``: with its lesion, without it
(same noise), and without it under a second noise realisation. At the model's scale (area
averaged to its mm/pixel) the lesion signal is the first difference and the noise the second
over sqrt(2); d' = ||signal|| / sd(noise) is the detectability of the known lesion for an
ideal observer limited by quantum and detector noise alone (anatomy ignored), and peak =
max |signal| / sd(noise). The shipped model (or ``--model``) then classifies each phantom as
``calcvision infer`` would, and the script prints, per d' range, how many lesions there are
and how many the model calls ``none`` or calls right, and per anatomy kind the misses.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import torch
from scipy import ndimage

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from calcvision.infer import predict as P  # noqa: E402
from calcvision.model.checkpoint import load_model  # noqa: E402
from calcvision.patterns import CLASSES, NONE  # noqa: E402
from calcvision.phantoms.sample import draw_scene, form_image, make_phantom  # noqa: E402


def detectability(label: str, seed: int, index: int, shape: tuple[int, int], mm_per_pixel: float) -> tuple[float, float]:
    """(d', peak) of one phantom's lesion at ``mm_per_pixel`` (see the module docstring)."""
    scene = draw_scene(label, seed, index, shape=shape)
    with_lesion, without = form_image(scene), form_image(scene, with_lesion=False)
    scene.noise_seed = np.random.SeedSequence([seed, index, 99])  # a second noise realisation
    other = form_image(scene, with_lesion=False)
    f = scene.grid.spacing / mm_per_pixel

    def down(x: np.ndarray) -> np.ndarray:
        return ndimage.zoom(ndimage.uniform_filter(x, size=max(1, int(round(1 / f)))), f, order=1)

    signal, noise = down(with_lesion - without), down(without - other) / np.sqrt(2)
    sd = float(noise.std())
    return float(np.sqrt((signal ** 2).sum()) / sd), float(np.abs(signal).max() / sd)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--per-class", type=int, default=60)
    ap.add_argument("--model", default=None, help="model file (default: the shipped model)")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    model = load_model(args.model)
    params, scorer = P.scale_params(model), P.TileScorer(model)
    rows = []
    for i in range(args.per_class):
        for label in CLASSES:
            if label == NONE:
                continue
            d, peak = detectability(label, args.seed, i, (512, 512), params.mm_per_pixel)
            sample = make_phantom(label, args.seed, i, shape=(512, 512))
            prep = P.prepare(sample.radiograph, params)
            _, p = P.aggregate(P.tile_probabilities(prep, model, scorer=scorer), model.image_calibration)
            rows.append((label, d, peak, CLASSES[int(np.argmax(p))], sample.params.get("anatomy.kind")))
    d = np.array([r[1] for r in rows])
    missed = np.array([r[3] == NONE for r in rows])
    right = np.array([r[3] == r[0] for r in rows])
    print(f"{len(rows)} lesion phantoms (seed {args.seed}, 512 x 512); model {model.meta.get('version')} "
          f"sha256 {model.sha256[:12]}; whole images called none {int(missed.sum())}, right {right.mean():.3f}")
    print(f"d' min {d.min():.1f}, median {np.median(d):.0f}; peak contrast-to-noise min "
          f"{min(r[2] for r in rows):.1f}")
    for lo, hi in ((0, 5), (5, 10), (10, 20), (20, 50), (50, 200), (200, np.inf)):
        m = (d >= lo) & (d < hi)
        if m.any():
            print(f"  d' {lo:g}-{hi:g}: {int(m.sum())} lesions, called none {int(missed[m].sum())}, "
                  f"right {right[m].mean():.2f}")
    print("called none, by class and anatomy:",
          dict(Counter(f"{r[0]}/{r[4]}" for r in rows if r[3] == NONE).most_common()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
