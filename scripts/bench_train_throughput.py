#!/usr/bin/env python
"""Training and inference throughput (tiles/s) of candidate networks on this CPU: the cost side
of "accuracy per CPU millisecond" (docs/model.md). One AdamW step on a batch of 64 tiles of
128 px, timed after two warm-up steps, in the default and the channels-last memory layout,
and channels-last under bfloat16 autocast (``trainer.precision=bf16-mixed``); then a batch
forward in eval mode. Ratios are to the first candidate, measured in the same run.

``--augment``: instead, the cost of one training crop (``CropDataset[i]``: cut, augment,
quantise, normalise) against the former recipe, measured in the same run: every
albumentations transform called and seeded, skipped or not, and the float quantiles of
``normalise_tile``.

``--masks``: instead, the cost of one training crop drawn as training draws it
(``CropDataset[i]``) without and with its lesion mask (``optim.lesion_map_weight`` > 0: the
mask is cut and moved by the same geometric augmentation), in alternating rounds.

``--loader``: instead, whole training steps of the shipped network (bf16, channels-last) fed
by a DataLoader of augmented crops, with the crops made in the training process
(``num_workers=0``) and in one loader worker, alternating, in the same run.

    PYTHONPATH=. python scripts/bench_train_throughput.py [--threads 2] [--steps 3] [--augment | --masks | --loader]
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


def _phantom_items() -> list:
    """28 small phantoms (4 per class) at the shipped scale, the crops' source."""
    from calcvision.model.data import PhantomSpec, phantom_items

    return phantom_items(PhantomSpec(9, 4, (512, 512), None), 0.3, 576, workers=1)


def crop_costs(tile_px: int, n: int = 400) -> None:
    """Microseconds to augment and normalise one training crop, now and with the former
    recipe, on the same crops cut from phantoms."""
    import copy

    import albumentations as A
    import numpy as np

    from calcvision.model.augment import Augment
    from calcvision.model.data import CropDataset, make_tile, model_input
    from calcvision.model.preprocess import normalise_tile

    items = _phantom_items()
    ds = CropDataset(items, tile_px, seed=0)
    tiles = [make_tile(ds.items[k], origin, tile_px) for k, origin, _ in ds.fixed]
    aug = Augment()
    former = [A.D4(p=0.875)]
    for p, tf in aug.steps:
        former.append(copy.deepcopy(tf))
        former[-1].p = p

    def old(tile: np.ndarray, seed: int) -> None:
        for tf, s in zip(former, np.random.SeedSequence(seed).generate_state(len(former))):
            tf.set_random_seed(int(s))
            tile = tf(image=tile)["image"]
        normalise_tile(np.clip(tile, 0, 1))

    def timed(f) -> float:
        t = time.perf_counter()
        for i in range(n):
            f(tiles[i % len(tiles)], i)
        return (time.perf_counter() - t) / n * 1e6

    rounds = [(timed(lambda tile, seed: model_input(aug(tile, seed))), timed(old)) for _ in range(5)]
    now, before = np.median(rounds, axis=0)  # alternating rounds: this machine's speed drifts
    print(f"augment + normalise one {tile_px} px crop (median of 5 alternating rounds of {n}): {now:.0f} us now, "
          f"{before:.0f} us with the former recipe (every transform seeded and called, float quantiles): "
          f"{before / now:.2f}x faster")


def mask_costs(tile_px: int, n: int = 600) -> None:
    """Microseconds per training crop without and with its lesion mask, on the same draws."""
    import numpy as np

    from calcvision.model.augment import Augment
    from calcvision.model.data import CropDataset

    items = _phantom_items()

    def timed(masks: bool) -> float:
        ds = CropDataset(items, tile_px, seed=1, length=n, augment=Augment(), none_share=0.3, masks=masks)
        t = time.perf_counter()
        for i in range(n):
            ds[i]
        return (time.perf_counter() - t) / n * 1e6

    rounds = [(timed(False), timed(True)) for _ in range(5)]
    plain, masked = np.median(rounds, axis=0)
    print(f"one {tile_px} px training crop (median of 5 alternating rounds of {n}): {plain:.0f} us without its lesion "
          f"mask, {masked:.0f} us with it ({masked / plain:.2f}x; +{(masked - plain) * 16384 / 1e6:.1f} s per epoch "
          f"of 16,384 crops)")


def loader_rates(tile_px: int, batches: int = 40, rounds: int = 2) -> None:
    """Tiles/s of full training steps fed by a DataLoader with 0 and with 1 worker."""
    from torch.utils.data import DataLoader

    from calcvision.model.augment import Augment
    from calcvision.model.data import CropDataset

    items = _phantom_items()
    ds = CropDataset(items, tile_px, seed=0, length=64 * batches, augment=Augment())
    net = build_network("resnet", width=32).to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(net.parameters(), 1e-3)

    def run(workers: int) -> float:
        t = time.perf_counter()
        for x, y in DataLoader(ds, batch_size=64, num_workers=workers):
            with torch.autocast("cpu", dtype=torch.bfloat16):
                loss = F.cross_entropy(net(x.contiguous(memory_format=torch.channels_last)), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        return len(ds) / (time.perf_counter() - t)

    run(0)  # warm-up
    rates = {0: [], 1: []}
    for _ in range(rounds):
        for w in rates:
            rates[w].append(run(w))
    best = {w: max(v) for w, v in rates.items()}
    print(f"training steps fed by a DataLoader ({batches} batches of 64, best of {rounds} alternating rounds): "
          f"{best[0]:.0f} tiles/s with crops made in the training process, {best[1]:.0f} with one loader worker "
          f"({best[0] / best[1]:.2f}x)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--tile", type=int, default=128)
    ap.add_argument("--augment", action="store_true", help="time one training crop instead")
    ap.add_argument("--masks", action="store_true", help="time one training crop without and with its lesion mask")
    ap.add_argument("--loader", action="store_true", help="time training steps fed with 0 vs 1 loader worker")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    if a.augment:
        crop_costs(a.tile)
        return 0
    if a.masks:
        mask_costs(a.tile)
        return 0
    if a.loader:
        loader_rates(a.tile)
        return 0
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
