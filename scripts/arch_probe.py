#!/usr/bin/env python
"""How the shipped architecture was chosen: CPU cost and learning speed of candidates.

For each candidate (torchvision, one input channel, from scratch) prints
* inference: seconds to classify the tiles covering a 2000 x 2500 plate at 0.15 mm once
  resampled to 0.3 mm (stride 3/4 tile), and the ratio to one ResNet-18 forward over the
  plate at native resolution, measured in the same run;
* training throughput (samples/s, batch 32);
* learning per step: training loss and validation accuracy after the same few epochs on the
  same fixed set of phantom crops (same seed).

    PYTHONPATH=. python scripts/arch_probe.py [--tile 128] [--crops 2048] [--epochs 4] [--threads 2]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from calcvision.model.augment import Augment  # noqa: E402
from calcvision.model.data import CropDataset, PhantomSpec, phantom_items  # noqa: E402
from calcvision.model.network import build_network  # noqa: E402

CANDIDATES = {
    "mobilenet_v3_small": ("mobilenet_v3_small", {"width_mult": 1.0}),
    "mobilenet_v3_small_x0.5": ("mobilenet_v3_small", {"width_mult": 0.5}),
    "resnet(1,1,1,1)": ("resnet", {}),
}


def best_time(fn, repeats: int = 2) -> float:
    fn()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tile", type=int, default=128)
    ap.add_argument("--crops", type=int, default=2048)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--phantoms", type=int, default=40, help="training phantoms per class")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cache", default="runs/cache")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    T = a.tile
    with torch.inference_mode():
        r18 = build_network("resnet18").eval()
        plate = torch.randn(1, 1, 2000, 2500)
        t_r18 = best_time(lambda: r18(plate), 1)
    rows, cols = 1000, 1250  # the plate at 0.3 mm
    n_tiles = (math.ceil((rows - T) / (3 * T // 4)) + 1) * (math.ceil((cols - T) / (3 * T // 4)) + 1)
    print(f"ResNet-18 (1 channel), one pass over 2000x2500: {t_r18:.2f} s; candidates use {n_tiles} tiles of {T} px")

    train = phantom_items(PhantomSpec(1, a.phantoms, (512, 512)), 0.3, 576, 2, a.cache)
    val = phantom_items(PhantomSpec(2, max(5, a.phantoms // 4), (512, 512)), 0.3, 576, 2, a.cache)
    ds = CropDataset(train, T, seed=0, length=a.crops, augment=Augment())
    X = torch.stack([ds[i][0] for i in range(a.crops)])
    Y = torch.tensor([ds[i][1] for i in range(a.crops)])
    vd = CropDataset(val, T, seed=1)
    VX = torch.stack([vd[i][0] for i in range(len(vd))])
    VY = torch.tensor(vd.labels())
    for name, (arch, kw) in CANDIDATES.items():
        torch.manual_seed(0)
        net = build_network(arch, **kw).eval()
        tiles = torch.randn(n_tiles, 1, T, T)
        with torch.inference_mode():
            t_inf = best_time(lambda: [net(tiles[b:b + 64]) for b in range(0, n_tiles, 64)], 2)
        net.train()
        opt = torch.optim.AdamW(net.parameters(), lr=3e-3, weight_decay=1e-4)
        steps = a.epochs * (a.crops // 32)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, 3e-3, total_steps=steps, pct_start=0.15)
        t0, losses = time.perf_counter(), []
        for _ in range(a.epochs):
            perm = torch.randperm(a.crops)
            for b in range(0, a.crops - 31, 32):
                idx = perm[b:b + 32]
                loss = F.cross_entropy(net(X[idx]), Y[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
                losses.append(loss.item())
        sps = steps * 32 / (time.perf_counter() - t0)
        net.eval()
        with torch.no_grad():
            acc = (torch.cat([net(VX[i:i + 128]) for i in range(0, len(VX), 128)]).argmax(1) == VY).float().mean().item()
        params = sum(p.numel() for p in net.parameters())
        last = sum(losses[-20:]) / len(losses[-20:])
        print(f"{name:26s} params {params / 1e6:5.2f} M  plate {t_inf:6.2f} s ({t_r18 / t_inf:5.1f}x faster than ResNet-18)  "
              f"train {sps:6.1f} samples/s  final train loss {last:.3f}  val acc {acc:.3f} ({len(VY)} tiles)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
