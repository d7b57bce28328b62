#!/usr/bin/env python
"""Are the lesions the model misses visible at all? Quantum-limited detectability and displayed
contrast per phantom.

    PYTHONPATH=. .venv/bin/python scripts/lesion_visibility.py [--seed 3] [--per-class 60] [--model M]

For each lesion phantom (512 x 512, as ``calcvision evaluate --shape 512 512``) the scene is
imaged three times with ``calcvision.phantoms.sample.form_image``: with its lesion, without it
(same noise), and without it under a second noise realisation. At the model's scale (area
averaged to its mm/pixel) the lesion signal is the first difference and the noise the second
over sqrt(2); d' = ||signal|| / sd(noise) is the detectability of the known lesion for an
ideal observer limited by quantum and detector noise alone (anatomy ignored). The first two
images also go through the display chain: the displayed contrast is the 99th percentile of
|displayed with - displayed without| over the lesion's pixels (0-1; stored pixels through
their VOI window, as ``calcvision.io`` reads them), and the lesion passes the display check
when that difference reaches ``DISPLAY_CHECK`` (2 % of the range, 5 of 256 grey levels) over
the class's ``MIN_VISIBLE_MM2``: the rule tried on branch ``display-check`` (docs/model.md,
"Lesions the display shows"). The model (the shipped one, or ``--model``) classifies each image as
``calcvision infer`` would; printed, per d' range, per displayed-contrast range and per anatomy
kind: how many lesions, how many the model calls ``none``, and the share it calls right.
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
from calcvision.io.pixel_pipeline import stored_to_unit  # noqa: E402
from calcvision.io.radiograph import Provenance, Radiograph  # noqa: E402
from calcvision.model.checkpoint import load_model  # noqa: E402
from calcvision.patterns import CLASSES, NONE  # noqa: E402
from calcvision.phantoms import sample as S  # noqa: E402
from calcvision.phantoms.lesions import MIN_VISIBLE_MM2  # noqa: E402

DISPLAY_CHECK = 0.02
"""Displayed contrast (0-1) a lesion pixel needs to count as shown: about the Weber fraction."""


def displayed(rendered: tuple[np.ndarray, dict]) -> np.ndarray:
    """``sample.process``'s stored pixels as displayed through their VOI window, 0-1 (what
    ``make_phantom`` does with them; kept here because any edit to calcvision/phantoms changes
    SIMULATOR_VERSION, which the shipped model records)."""
    stored, h = rendered
    return stored_to_unit(stored, bits_stored=h["bits_stored"], signed=False, photometric=h["photometric"],
                          slope=h["slope"], intercept=h["intercept"], window_center=h["window_center"],
                          window_width=h["window_width"])


def visibility(scene: S.Scene, seed: int, index: int, mm_per_pixel: float) -> dict:
    """d', peak contrast-to-noise, displayed contrast and display check of one scene's lesion,
    and its displayed image as a Radiograph (see the module docstring)."""
    with_lesion, without = S.form_image(scene), S.form_image(scene, with_lesion=False)
    shown = displayed(S.process(scene, with_lesion))
    delta = np.abs(shown - displayed(S.process(scene, without)))[scene.lesion > S.BOX_THRESHOLD]
    sp = scene.grid.spacing
    need = min(MIN_VISIBLE_MM2[scene.label], 0.1 * scene.grid.size_mm[0] * scene.grid.size_mm[1])
    noise_seed = scene.noise_seed
    scene.noise_seed = np.random.SeedSequence([seed, index, 99])  # a second noise realisation
    other = S.form_image(scene, with_lesion=False)
    scene.noise_seed = noise_seed
    f = sp / mm_per_pixel

    def down(x: np.ndarray) -> np.ndarray:
        return ndimage.zoom(ndimage.uniform_filter(x, size=max(1, int(round(1 / f)))), f, order=1)

    signal, noise = down(with_lesion - without), down(without - other) / np.sqrt(2)
    sd = float(noise.std())
    rad = Radiograph(pixels=shown.astype(np.float32), spacing_mm=(sp, sp), spacing_source="ImagerPixelSpacing",
                     provenance=Provenance(path=f"phantom:{scene.label}:{seed}:{index}", file_format="phantom"))
    return {"d": float(np.sqrt((signal ** 2).sum()) / sd), "peak": float(np.abs(signal).max() / sd),
            "contrast": float(np.percentile(delta, 99)) if delta.size else 0.0,
            "passes": bool((delta >= DISPLAY_CHECK).sum() * sp * sp >= need), "radiograph": rad}


def _table(title: str, groups: dict[str, np.ndarray], missed: np.ndarray, right: np.ndarray) -> None:
    print(title)
    for name, m in groups.items():
        if m.any():
            print(f"  {name}: {int(m.sum())} lesions, called none {int(missed[m].sum())}, right {right[m].mean():.2f}")


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
            scene = S.draw_scene(label, args.seed, i, shape=(512, 512))
            v = visibility(scene, args.seed, i, params.mm_per_pixel)
            prep = P.prepare(v.pop("radiograph"), params)
            _, p = P.aggregate(P.tile_probabilities(prep, model, scorer=scorer), model.image_calibration,
                                 model.image_temperature)
            rows.append({**v, "label": label, "call": CLASSES[int(np.argmax(p))], "kind": scene.params.get("anatomy.kind")})
    d, c = np.array([r["d"] for r in rows]), np.array([r["contrast"] for r in rows])
    missed = np.array([r["call"] == NONE for r in rows])
    right = np.array([r["call"] == r["label"] for r in rows])
    print(f"{len(rows)} lesion phantoms (seed {args.seed}, 512 x 512); "
          f"model {model.meta.get('version')} sha256 {model.sha256[:12]}; whole images called none "
          f"{int(missed.sum())}, right {right.mean():.3f}")
    print(f"d' min {d.min():.1f}, median {np.median(d):.0f}; peak contrast-to-noise min {min(r['peak'] for r in rows):.1f}")
    _table("by d':", {f"d' {lo:g}-{hi:g}": (d >= lo) & (d < hi)
                      for lo, hi in ((0, 5), (5, 10), (10, 20), (20, 50), (50, 200), (200, np.inf))}, missed, right)
    _table("by displayed contrast (99th percentile over the lesion, 0-1):",
           {f"{lo:g}-{hi:g}": (c >= lo) & (c < hi)
            for lo, hi in ((0, 0.01), (0.01, 0.02), (0.02, 0.04), (0.04, 0.08), (0.08, 0.16), (0.16, 1.01))},
           missed, right)
    passes = np.array([r["passes"] for r in rows])
    _table("by the display check:", {"passes": passes, "fails": ~passes}, missed, right)
    _table("by anatomy:", {k: np.array([r["kind"] == k for r in rows]) for k in sorted({r["kind"] for r in rows})},
           missed, right)
    print("called none, by class and anatomy:",
          dict(Counter(f"{r['label']}/{r['kind']}" for r in rows if r["call"] == NONE).most_common()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
