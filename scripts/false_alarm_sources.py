#!/usr/bin/env python
"""What the model's false alarms on lesion-free phantoms lie on.

    PYTHONPATH=. .venv/bin/python scripts/false_alarm_sources.py [--n 300] [--seed 5] [--model CKPT] [--png PNG]

The simulator knows what it drew, so every tile of a lesion-free (``none``) phantom can be
described by what it holds: bone, the skin line, the lead marker, a collimator blade's edge,
the field border. For ``--n`` lesion-free phantoms (``--seed``, ``--shape``; by default the
2,100-image evaluation set's 300 ``none`` images, ``calcvision evaluate --phantoms 300 --seed 5
--shape 512 512``) the model tiles each image as ``calcvision infer`` does. Printed:

1. the images called a lesion, by anatomy and by each confuser the simulator drew for the
   image (share called a lesion with and without it);
2. per tile feature: how many tiles hold it, the share of them whose calibrated lesion
   evidence ``1 - p_none`` exceeds 0.5, and its share among the winning tiles of the images
   called a lesion against its share among all tiles (enrichment > 1: the false alarms seek
   it out);
3. with ``--png``, the winning tile of each image called a lesion (up to 48), captioned with
   the call and its features.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

FEATURES = ("bone", "skin line", "outside body", "marker", "collimator edge", "field border")


def tile_features(scene, box: tuple[int, int, int, int]) -> set[str]:
    """Which of FEATURES the original-pixel ``box`` (x0, y0, x1, y1) of ``scene`` holds."""
    x0, y0, x1, y1 = box
    sl = np.s_[y0:y1, x0:x1]
    th = scene.thickness
    body = float(((th["muscle"][sl] + th["fat"][sl]) > 1.0).mean())  # share of the tile inside the body
    out = set()
    if ((th["bone"][sl] + th["marrow"][sl]) > 0.5).mean() >= 0.05:
        out.add("bone")
    if 0.02 <= body <= 0.98:
        out.add("skin line")
    if body < 0.02:
        out.add("outside body")
    if scene.extra_li is not None and (scene.extra_li[sl] > 0).any():
        out.add("marker")
    if scene.collimation is not None and 0.02 <= (scene.collimation[sl] > 0.5).mean() <= 0.98:
        out.add("collimator edge")
    H, W = scene.grid.shape
    if x0 <= 0 or y0 <= 0 or x1 >= W or y1 >= H:
        out.add("field border")
    return out


def image_factors(params: dict) -> dict[str, str]:
    """The image-level draws worth splitting the false alarms by: anatomy and each confuser."""
    f = {"anatomy": str(params["anatomy.kind"])}
    for k in ("marker", "collimation", "grid_lines", "other_limb", "osteophytes", "sesamoid", "skin_fold", "gas"):
        v = params.get(f"confusers.{k}")
        if v is not None:
            f[k] = "yes" if v else "no"
    return f


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=300, help="lesion-free phantoms")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--shape", type=int, nargs=2, default=[512, 512])
    ap.add_argument("--model", default=None, help="model file (default: the shipped one)")
    ap.add_argument("--threshold", type=float, default=0.5, help="a tile fires above this lesion evidence")
    ap.add_argument("--png", default=None, help="write the winning tiles of the images called a lesion")
    args = ap.parse_args(argv)

    import torch

    from calcvision.infer.predict import aggregate, prepare, scale_params, tile_probabilities
    from calcvision.model import load_model
    from calcvision.patterns import CLASSES, NONE
    from calcvision.phantoms.sample import draw_scene, make_phantom

    torch.set_num_threads(2)
    model = load_model(args.model)
    print(f"model: {model.path} sha256 {model.sha256[:12]} (version {model.meta.get('version')})")
    ni, T = CLASSES.index(NONE), int(model.meta["tile_px"])
    shape = tuple(args.shape)
    by_factor: dict[tuple[str, str], list[int]] = {}
    tiles_with, fire_with = Counter(), Counter()
    win_with, n_tiles, n_fire = Counter(), 0, 0
    calls, shown = Counter(), []
    t0 = time.perf_counter()
    for i in range(args.n):
        scene = draw_scene(NONE, args.seed, i, shape=shape)  # what make_phantom imaged, with its parts
        rad = make_phantom(NONE, args.seed, i, shape=shape).radiograph
        prep = prepare(rad, scale_params(model))
        probs = tile_probabilities(prep, model)
        best, p = aggregate(probs, model.image_calibration, model.image_temperature)
        call = CLASSES[int(np.argmax(p))]
        alarm = call != NONE
        evidence = (1 - probs[:, ni]).numpy()
        feats = [tile_features(scene, prep.to_original((x, y, x + T, y + T))) for y, x in prep.origins]
        for f, e in zip(feats, evidence):
            n_tiles += 1
            n_fire += e > args.threshold
            for name in f or {"none of these"}:
                tiles_with[name] += 1
                fire_with[name] += e > args.threshold
        for k, v in image_factors(scene.params).items():
            by_factor.setdefault((k, v), [0, 0])
            by_factor[(k, v)][0] += 1
            by_factor[(k, v)][1] += alarm
        if alarm:
            calls[call] += 1
            for name in feats[best] or {"none of these"}:
                win_with[name] += 1
            if len(shown) < 48:
                shown.append((prep.tiles[best, 0], call, float(p[CLASSES.index(call)]), feats[best]))
    n_alarm = sum(calls.values())
    print(f"{args.n} lesion-free phantoms (seed {args.seed}, {shape[0]} x {shape[1]}), {time.perf_counter() - t0:.0f} s: "
          f"{n_alarm} called a lesion ({n_alarm / args.n:.3f}): "
          + ", ".join(f"{c} {k}" for c, k in calls.most_common()))
    print("\nimages called a lesion, by what the simulator drew:")
    print(f"  {'factor':<24} {'images':>6} {'called a lesion':>16}")
    for (k, v), (n, a) in sorted(by_factor.items()):
        print(f"  {k + ' = ' + v:<24} {n:>6} {a:>6} ({a / n:.3f})")
    print(f"\ntiles: {n_tiles}, {n_fire} ({n_fire / n_tiles:.3f}) with lesion evidence > {args.threshold}")
    print(f"  {'tile holds':<16} {'tiles':>6} {'fire':>12} {'share of winners':>17} {'share of tiles':>15} {'enrichment':>11}")
    for name in (*FEATURES, "none of these"):
        n, f, w = tiles_with[name], fire_with[name], win_with[name]
        share_w, share_t = w / max(n_alarm, 1), n / n_tiles
        print(f"  {name:<16} {n:>6} {f:>5} ({f / max(n, 1):.3f}) {share_w:>17.3f} {share_t:>15.3f} "
              f"{share_w / max(share_t, 1e-9):>11.2f}")
    if args.png and shown:
        from PIL import Image

        from bench_real_anatomy import tile_picture

        cells = [tile_picture(tile, f"{call[:12]} {conf:.2f}", ",".join(sorted(f))[:22] or "-")
                 for tile, call, conf, f in shown]
        cols = 8
        cells += [np.zeros_like(cells[0])] * (-len(cells) % cols)
        grid = np.concatenate([np.concatenate(cells[r:r + cols], axis=1) for r in range(0, len(cells), cols)], axis=0)
        Image.fromarray(grid).save(args.png)
        print(f"wrote {args.png}: the winning tile of {len(shown)} images called a lesion")
    return 0


if __name__ == "__main__":
    sys.exit(main())
