#!/usr/bin/env python
"""Lesion-vs-`none` trade-off of one or more models at matched false-alarm rates.

    PYTHONPATH=. .venv/bin/python scripts/tile_operating_points.py --model A.safetensors --model B.safetensors

Two models can differ in where they operate (how readily a tile is called a lesion) as well
as in how well they separate lesions from backgrounds. This script tells the two apart: on the
held-out phantoms of each ``--seed`` (512 x 512, as ``calcvision evaluate --shape 512 512``)
it scores every tile of the `none` images, tiled as ``calcvision infer`` tiles them (what a
plate scan meets), and the lesion tiles of the evaluation plan, then prints for each model:
- its own operating point (arg-max): the share of `none`-image tiles called a lesion and
  the share of lesion tiles called `none`;
- the share of lesion tiles missed when the threshold on the lesion evidence 1 - p_none is
  set so that each model raises the same ``--fp`` share of false alarms over the `none`-image
  tiles (lower is better separation, whatever the operating point).
With ``--missed PNG``: a picture of the lesion tiles of the first seed that the first model
calls `none` (at most 48, each with its lesion box in green, its class and 1 - p_none).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from calcvision.model.checkpoint import load_model  # noqa: E402
from calcvision.model.data import NONE_IDX, CropDataset, PhantomSpec, phantom_items  # noqa: E402
from calcvision.model.evaluate import plate_tiles, predict_logits  # noqa: E402
from calcvision.patterns import CLASSES  # noqa: E402


def missed_picture(plan: CropDataset, missed: list[int], evidence: np.ndarray, path: str, cols: int = 8) -> None:
    """Tiles ``missed`` of the evaluation ``plan`` (at most 48), each scaled to its own range,
    with its lesion box, class and lesion evidence."""
    from PIL import Image, ImageDraw

    t, shown = plan.tile_px, missed[:48]
    sheet = Image.new("RGB", (t * cols, t * max(1, -(-len(shown) // cols))))
    for j, (k, e) in enumerate(zip(shown, evidence)):
        i, (oy, ox), label = plan.fixed[k]
        x = plan[k][0][0].numpy()
        x = ((x - x.min()) / max(float(x.max() - x.min()), 1e-9) * 255).astype(np.uint8)
        im = Image.fromarray(x).convert("RGB")
        draw = ImageDraw.Draw(im)
        box = plan.items[i].box
        if box is not None:
            draw.rectangle([box[0] - ox, box[1] - oy, box[2] - ox, box[3] - oy], outline=(0, 255, 0))
        draw.text((2, 2), f"{CLASSES[label][:12]} {e:.2f}", fill=(255, 64, 64))
        sheet.paste(im, (t * (j % cols), t * (j // cols)))
    sheet.save(path, optimize=True)


def comparison_arguments(ap: argparse.ArgumentParser) -> None:
    """The options every model comparison on held-out phantoms takes."""
    ap.add_argument("--model", action="append", default=None, help="model file (repeat; default: the shipped model)")
    ap.add_argument("--seed", type=int, action="append", default=None, help="phantom seed (repeat; default: 3 and 4)")
    ap.add_argument("--per-class", type=int, default=None, help="phantoms per class (default: 60 for seed 3, else 40)")
    ap.add_argument("--cache", default=None, help="phantom cache folder (as data.cache_dir)")
    ap.add_argument("--threads", type=int, default=2)


def compared_models(paths: list[str] | None) -> tuple[list[tuple[str, object]], float, int]:
    """(name, model) for each path (None: the shipped model), and their shared mm/pixel and tile size."""
    models = [(m or "shipped", load_model(m)) for m in (paths or [None])]
    mpp, tile = models[0][1].meta["mm_per_pixel"], models[0][1].meta["tile_px"]
    if any((m.meta["mm_per_pixel"], m.meta["tile_px"]) != (mpp, tile) for _, m in models):
        raise SystemExit("the models must share mm_per_pixel and tile_px")
    return models, mpp, tile


def held_out(seed: int, per_class: int | None, mm_per_pixel: float, cache: str | None) -> list:
    """The 512 x 512 phantoms of ``seed`` at model scale (``per_class`` default: 60 for seed 3, else 40)."""
    n = per_class or (60 if seed == 3 else 40)
    return phantom_items(PhantomSpec(seed, n, (512, 512)), mm_per_pixel, 576, 2, cache)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    comparison_arguments(ap)
    ap.add_argument("--fp", type=float, nargs="+", default=[0.02, 0.05, 0.1],
                    help="false-alarm shares of the none-image tiles to compare at")
    ap.add_argument("--missed", default=None, help="PNG of the first model's missed lesion tiles of the first seed")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    models, mpp, tile = compared_models(args.model)
    missed_png = args.missed  # drawn once: the first model on the first seed
    print(f"{'seed':>4} {'model':<32} {'none-image tiles -> lesion':>27} {'lesion tiles -> none':>21}  "
          + "  ".join(f"missed @ FP {fp:.2f}" for fp in args.fp))
    for seed in args.seed or [3, 4]:
        items = held_out(seed, args.per_class, mpp, args.cache)
        plan = CropDataset(items, tile, seed=seed)
        full = torch.cat([plate_tiles(it.pixels, tile) for it in items if it.label == NONE_IDX])
        for name, m in models:
            logits, labels = predict_logits(m.net, plan)
            lesion = labels.numpy() != NONE_IDX
            p_plan = torch.softmax(logits / m.temperature, 1).numpy()[lesion]
            with torch.no_grad():
                p_none = torch.cat([m.tile_probs(full[b:b + 256]) for b in range(0, len(full), 256)]).numpy()
            e_none, e_lesion = 1 - p_none[:, NONE_IDX], 1 - p_plan[:, NONE_IDX]
            own_fp = float((p_none.argmax(1) != NONE_IDX).mean())
            own_miss = float((p_plan.argmax(1) == NONE_IDX).mean())
            at = [float((e_lesion <= np.quantile(e_none, 1 - fp)).mean()) for fp in args.fp]
            print(f"{seed:>4} {name[-32:]:<32} {own_fp:>27.3f} {own_miss:>21.3f}  " + "  ".join(f"{a:>15.3f}" for a in at))
            if missed_png:
                called_none = p_plan.argmax(1) == NONE_IDX
                missed = np.nonzero(lesion)[0][called_none].tolist()
                missed_picture(plan, missed, e_lesion[called_none], missed_png)
                print(f"wrote {missed_png}: {min(48, len(missed))} of the {len(missed)} lesion tiles called none")
                missed_png = None
        print(f"     (seed {seed}, {len(items) // len(CLASSES)} phantoms per class: {len(full)} tiles of the none images, "
              f"{len(p_plan)} lesion tiles)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
