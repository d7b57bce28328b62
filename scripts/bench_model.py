#!/usr/bin/env python
"""Benchmark: the shipped architecture vs a plain torchvision ResNet-18 (one input channel).

Both are trained by the same recipe (configs/default.yaml unless --config) on the same data
budget (same phantoms, crops per epoch, epochs; ``--quick`` shrinks all of them), evaluated on
the same held-out test phantoms, and timed at inference on this machine's CPU:

* shipped: the plate resampled to the model's mm/px and covered by overlapping tiles
  (stride 3/4 tile), the way ``calcvision infer`` runs it;
* baseline: ResNet-18 in one forward pass over the plate at its native resolution.

Prints accuracies, training times and the inference-time ratio, all from this one run.

    PYTHONPATH=. python scripts/bench_model.py [--quick] [--threads 2] [--plate 2000 2500]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from calcvision.model.checkpoint import load_model  # noqa: E402
from calcvision.model.config import load_config  # noqa: E402
from calcvision.model.network import build_network  # noqa: E402
from calcvision.model.preprocess import normalise_tile, resample_to_scale, tile_grid  # noqa: E402
from calcvision.model.train import train  # noqa: E402

QUICK = ["data.phantoms.train_per_class=8", "data.phantoms.val_per_class=3", "evaluate.phantoms_per_class=4",
         "data.crops_per_epoch=128", "trainer.max_epochs=1", "data.batch_size=32", "data.local=null"]


def time_shipped_plate(model, plate: np.ndarray, spacing: float, repeats: int) -> float:
    """Seconds to resample, tile, normalise and classify a whole plate (best of ``repeats``)."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        img = resample_to_scale(plate, (spacing, spacing), model.mm_per_pixel)
        T = model.tile_px
        origins = tile_grid(*img.shape, T, (3 * T) // 4)
        tiles = normalise_tile(np.stack([img[y:y + T, x:x + T] for y, x in origins]))[:, None]
        with torch.inference_mode():
            for b in range(0, len(tiles), 64):
                model.tile_probs(tiles[b:b + 64])
        best = min(best, time.perf_counter() - t0)
    return best


def time_resnet18_plate(plate: np.ndarray, repeats: int) -> float:
    net = build_network("resnet18").eval()
    x = normalise_tile(plate)[None, None]
    best = float("inf")
    with torch.inference_mode():
        for _ in range(repeats):
            t0 = time.perf_counter()
            net(x)
            best = min(best, time.perf_counter() - t0)
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="configs/default.yaml")
    ap.add_argument("--quick", action="store_true", help="tiny data budget (smoke test of the benchmark)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--plate", type=int, nargs=2, default=(2000, 2500), metavar=("ROWS", "COLS"))
    ap.add_argument("--spacing-mm", type=float, default=0.15)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--out", default="runs/bench_model")
    ap.add_argument("--skip-training", action="store_true", help="only time inference")
    ap.add_argument("overrides", nargs="*", help="config overrides for both runs (key.sub=value)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    over = (QUICK if a.quick else []) + list(a.overrides) + [f"data.cache_dir={a.out}/cache", "trainer.enable_progress_bar=false"]
    res: dict[str, dict] = {}
    shipped_model_path = None
    if not a.skip_training:
        for name, arch in (("shipped", None), ("resnet18", "resnet18")):
            extra = [f"run_dir={a.out}/{name}", f"output={a.out}/{name}/model.safetensors", f"name=bench-{name}"]
            if arch:
                extra += [f"model.arch={arch}", "model.arch_kwargs={}"]
            cfg = load_config(a.config, over + extra)
            r = train(cfg, log=lambda s: None)
            t = r["metrics"]["test_phantoms"]
            res[name] = {"arch": cfg.model.arch, "test_accuracy": t["accuracy"], "macro_f1": t["macro_f1"],
                         "ece": t["ece"], "none_fpr": t["none_false_positive_rate"], "train_wall_s": round(r["wall_s"], 1),
                         "train_cpu_s": round(r["cpu_s"], 1), "test_tiles": t["n"]}
            if name == "shipped":
                shipped_model_path = r["model"]
    model = load_model(shipped_model_path) if shipped_model_path else load_model()
    rng = np.random.default_rng(0)
    plate = rng.random(tuple(a.plate), dtype=np.float32)
    t_ship = time_shipped_plate(model, plate, a.spacing_mm, a.repeats)
    t_base = time_resnet18_plate(plate, a.repeats)
    speed = {"plate_px": list(a.plate), "spacing_mm": a.spacing_mm, "threads": a.threads,
             "shipped_arch": model.meta["arch"], "shipped_s_per_plate": round(t_ship, 3),
             "resnet18_native_s_per_plate": round(t_base, 3), "speedup": round(t_base / t_ship, 2)}
    print(json.dumps({"training": res, "inference": speed}, indent=2))
    if res:
        s, b = res["shipped"], res["resnet18"]
        print(f"test accuracy: shipped {s['test_accuracy']:.4f} vs resnet18 {b['test_accuracy']:.4f} "
              f"(same data budget; training wall {s['train_wall_s']} s vs {b['train_wall_s']} s)")
    print(f"inference on a {a.plate[0]}x{a.plate[1]} plate at {a.spacing_mm} mm, {a.threads} threads: "
          f"shipped {t_ship:.3f} s vs ResNet-18 native {t_base:.3f} s -> {t_base / t_ship:.1f}x faster")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
