#!/usr/bin/env python
"""Choose the box settings of ``calcvision infer`` (``finding_region`` support / reach,
``locate`` cam_threshold / all_components) on TUNING sets of phantoms, never on the benchmark set.

    PYTHONPATH=. .venv/bin/python scripts/tune_box.py [--per-class 10] [--seed 777002 --seed 777003] [--model CKPT]

For every correctly classified lesion image it computes the tile probabilities once, the
Layer-CAM map once per region setting, then the box for each setting, and prints per setting
the fraction of boxes with IoU >= 0.3 against the true lesion box and the median IoU (the
figures ``scripts/bench_infer_accuracy.py`` reports on its own set, seed 777001), then that
fraction per class with the defaults. Several ``--seed`` pool their sets.

``--head-from CKPT`` (a training checkpoint of a run with ``optim.lesion_map_weight`` > 0, e.g.
``runs/default/checkpoints/last.ckpt``) also scores boxes drawn from that run's training-only
lesion-map head instead of Layer-CAM: its per-cell lesion probability over the same region
tiles, pasted the same way, at thresholds of 0.3-0.8 x its peak, and the product of the two
maps (Layer-CAM scaled to its peak x the head's probability).
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
    ap.add_argument("--head-from", default=None, metavar="CKPT",
                    help="training checkpoint whose lesion-map head also draws boxes (see above)")
    args = ap.parse_args(argv)

    from calcvision.infer.predict import (RegionMap, aggregate, finding_region, map_box, prepare, region_map,
                                          scale_params, tile_probabilities)
    from calcvision.io import read_radiograph
    from calcvision.model import load_model
    from calcvision.patterns import CLASSES, NONE

    model = load_model(args.model)
    head = None if args.head_from is None else lesion_map_head(args.head_from, model)
    head_ious: dict[tuple[str, float], list[float]] = {(kind, thr): [] for kind in ("head", "head x CAM")
                                                       for thr in (0.3, 0.5, 0.6, 0.7, 0.8)}
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
        best, p = aggregate(probs, model.image_calibration, model.image_temperature)
        cls = int(np.argmax(p))
        if CLASSES[cls] != t["label"]:
            continue
        labels.append(t["label"])
        for support, reach in itertools.product(supports, reaches):
            region = finding_region(prep, probs, best, cls, support=support, reach=reach)
            rmap = region_map(prep, model, region, cls)
            for thr, allc in itertools.product(thresholds, components):
                ious[(support, reach, thr, allc)].append(iou(map_box(prep, rmap, thr, allc), t["box"]))
            if (support, reach) == (0.3, 2.0):  # the defaults
                default_region, cmap = region, rmap
        if head is not None:
            hmap = region_map(prep, model, default_region, cls, tile_maps=lambda x: head_maps(head, x))
            both = hmap if cmap.cam is None else \
                RegionMap(hmap.cam * cmap.cam / max(float(cmap.cam.max()), 1e-12), hmap.y0, hmap.x0, hmap.union)
            for (kind, thr), v in head_ious.items():
                v.append(iou(map_box(prep, hmap if kind == "head" else both, thr, True), t["box"]))
    print(f"tuning sets: seeds {', '.join(map(str, seeds))}, {len(truth)} phantoms, {len(labels)} correctly "
          f"classified lesions; model {model.meta.get('version')} sha256 {model.sha256[:12]}")
    print(f"{'support':>8s} {'reach':>6s} {'cam_thr':>8s} {'all parts':>9s} {'IoU>=0.3':>9s} {'median IoU':>10s}")
    for (support, reach, thr, allc), v in sorted(ious.items(), key=lambda kv: -np.mean(np.asarray(kv[1]) >= 0.3)):
        print(f"{support:8.1f} {reach:6.1f} {thr:8.1f} {str(allc):>9s} {np.mean(np.asarray(v) >= 0.3):9.3f} {np.median(v):10.2f}")
    print("IoU >= 0.3 per class with the defaults (support 0.3, reach 2, cam_thr 0.3, all parts): "
          + box_hits_per_class(ious[(0.3, 2.0, 0.3, True)], labels))
    for (kind, thr), v in head_ious.items() if head is not None else ():
        print(f"{kind}, lesion-map head of {args.head_from} (support 0.3, reach 2, threshold {thr} x peak, all parts): "
              f"IoU>=0.3 {np.mean(np.asarray(v) >= 0.3):.3f}, median IoU {np.median(v):.2f}; "
              + box_hits_per_class(v, labels))


def lesion_map_head(ckpt: str, model):
    """The training module of a checkpoint, with its lesion-map head, checked against
    ``model``'s weights (the head only makes sense on the features of the network it was
    trained with)."""
    import torch

    from calcvision.model.lightning_module import CalcLightningModule

    saved = torch.load(ckpt, map_location="cpu", weights_only=True)
    if saved["hyper_parameters"].get("lesion_map_weight", 0) <= 0:
        sys.exit(f"{ckpt}: no lesion-map head (trained with optim.lesion_map_weight 0)")
    module = CalcLightningModule(**saved["hyper_parameters"])
    module.load_state_dict(saved["state_dict"])
    if any(not torch.equal(v.float(), module.net.state_dict()[k].float()) for k, v in model.net.state_dict().items()):
        sys.exit(f"{ckpt}: its network is not the model's: pass --model the file that run wrote")
    return module.eval()


def head_maps(module, tiles):
    """The lesion-map head's probability per cell of ``tiles`` [N, 1, T, T], at tile size [N, T, T]."""
    import torch
    import torch.nn.functional as F

    with torch.no_grad():
        module(tiles)
        maps = torch.sigmoid(module.map_logits().float())
    return F.interpolate(maps, size=tiles.shape[-2:], mode="bilinear", align_corners=False)[:, 0]

if __name__ == "__main__":
    main()
