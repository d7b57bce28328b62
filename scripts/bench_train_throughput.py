#!/usr/bin/env python
"""Training and inference throughput (tiles/s) of candidate networks on this CPU: the cost side
of "accuracy per CPU millisecond" (docs/model.md). One AdamW step on a batch of 64 tiles of
128 px, timed after two warm-up steps, in the default and the channels-last memory layout,
and channels-last under bfloat16 autocast (``trainer.precision=bf16-mixed``); then a batch
forward in eval mode. Ratios are to the first candidate, measured in the same run.

    PYTHONPATH=. python scripts/bench_train_throughput.py [--threads 2] [--steps 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from calcvision.model.network import build_network  # noqa: E402

CANDIDATES = [("resnet18", {}), ("resnet", {}), ("resnet", {"width": 32}), ("resnet", {"width": 24}),
              ("resnet", {"width": 16}), ("mobilenet_v3_small", {})]


def rate(net: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int, channels_last: bool,
         bf16: bool = False) -> tuple[float, float]:
    if channels_last:
        net, x = net.to(memory_format=torch.channels_last), x.contiguous(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(net.parameters(), 1e-3)
    net.train()
    for i in range(steps + 2):
        if i == 2:
            t = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = F.cross_entropy(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    train = len(x) * steps / (time.perf_counter() - t)
    net.eval()
    with torch.inference_mode():
        net(x)
        t = time.perf_counter()
        for _ in range(steps):
            net(x)
    return train, len(x) * steps / (time.perf_counter() - t)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--tile", type=int, default=128)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    x, y = torch.randn(64, 1, a.tile, a.tile), torch.randint(0, 7, (64,))
    base = None
    print(f"{'network':34s} {'params':>7s} {'train/s':>8s} {'train/s CL':>10s} {'CL bf16':>8s} {'infer/s CL':>10s} "
          f"{'train x':>8s}")
    for arch, kw in CANDIDATES:
        params = sum(p.numel() for p in build_network(arch, **kw).parameters()) / 1e6
        plain, _ = rate(build_network(arch, **kw), x, y, a.steps, False)
        cl, inf = rate(build_network(arch, **kw), x, y, a.steps, True)
        bf, _ = rate(build_network(arch, **kw), x, y, a.steps, True, bf16=True)
        base = base or cl
        print(f"{arch + ' ' + str(kw):34s} {params:6.2f}M {plain:8.0f} {cl:10.0f} {bf:8.0f} {inf:10.0f} {cl / base:8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
