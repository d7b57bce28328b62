"""Benchmark the phantom simulator: phantoms per second for full 1024 x 1024 radiographs and
for training-sized fields, single-threaded and with worker processes.

    PYTHONPATH=. python scripts/bench_phantoms.py [--seconds 8] [--workers 2]

Prints one line per configuration. Classes cycle through all seven; each configuration runs
for about ``--seconds`` after one warm-up sample. A baseline (drawing and blurring one
1024 x 1024 noise image, the floor of any simulator) is timed in the same run so figures from
different machines can be compared as ratios.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from calcvision.patterns import CLASSES  # noqa: E402
from calcvision.phantoms import SIMULATOR_VERSION, make_phantom  # noqa: E402

CONFIGS = [
    ("full 1024x1024, spacing drawn 0.1-0.2 mm", None, None),
    ("training field 384x384 at 0.2 mm", (384, 384), 0.2),
    ("training field 256x256 at 0.3 mm", (256, 256), 0.3),
    ("training tile 192x192 at 0.3 mm (the default model's tile)", (192, 192), 0.3),
]


def _one(args: tuple) -> int:
    i, shape, spacing = args
    make_phantom(CLASSES[i % len(CLASSES)], 2024, i, shape=shape, spacing_mm=spacing)
    return i


def _serial(shape, spacing, seconds: float) -> tuple[int, float, float]:
    """(samples, wall seconds, CPU seconds of this process)."""
    _one((0, shape, spacing))
    n, t0, c0 = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - t0 < seconds:
        _one((n + 1, shape, spacing))
        n += 1
    return n, time.perf_counter() - t0, time.process_time() - c0


def _parallel(shape, spacing, seconds: float, workers: int, est_rate: float) -> tuple[int, float]:
    n = max(workers * 4, int(est_rate * workers * seconds))
    with mp.get_context("spawn").Pool(workers) as pool:
        pool.map(_one, [(i, shape, spacing) for i in range(workers)])  # warm-up (imports)
        t0 = time.perf_counter()
        pool.map(_one, [(i, shape, spacing) for i in range(n)], chunksize=2)
        return n, time.perf_counter() - t0


def _baseline(seconds: float = 2.0) -> float:
    import cv2

    rng = np.random.default_rng(0)
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        img = rng.standard_normal((1024, 1024), dtype=np.float32)
        cv2.GaussianBlur(img, (0, 0), 2.0)
        n += 1
    return (time.perf_counter() - t0) / n


def _train_step_rate(arch: str, tile: int, batch: int, threads: int, seconds: float) -> float | None:
    """Samples per second one CPU training step of the project's network consumes, or None
    when the model package is not there."""
    try:
        import torch

        from calcvision.model.network import build_network
    except ImportError:
        return None
    torch.set_num_threads(threads)
    net = build_network(arch)
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    x = torch.randn(batch, 1, tile, tile)
    y = torch.randint(0, 7, (batch,))

    def step() -> None:
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(x), y).backward()
        opt.step()

    step()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds or n < 2:
        step()
        n += 1
    return n * batch / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    print(f"calcvision phantoms benchmark: simulator {SIMULATOR_VERSION}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs, OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}, "
          f"load average {os.getloadavg()[0]:.1f} (other work on the machine slows every figure)")
    base = _baseline()
    print(f"baseline (draw + blur one 1024x1024 noise image): {base * 1000:.1f} ms wall")
    for name, shape, spacing in CONFIGS:
        n, dt, cpu = _serial(shape, spacing, a.seconds)
        rate = n / dt
        line = (f"{name}: {rate:.1f} phantoms/s single process ({1000 / rate:.1f} ms wall, "
                f"{1000 * cpu / n:.1f} ms CPU each, {dt / n / base:.1f}x baseline)")
        if a.workers > 1:
            n2, dt2 = _parallel(shape, spacing, a.seconds, a.workers, rate)
            line += f"; {n2 / dt2:.1f} phantoms/s with {a.workers} worker processes"
        print(line, flush=True)
    consumed = _train_step_rate("mobilenet_v3_small", 192, 64, 2, a.seconds)
    if consumed is not None:
        print(f"training step (mobilenet_v3_small, batch 64 of 192x192, 2 threads, forward+backward): "
              f"consumes {consumed:.1f} samples/s", flush=True)


if __name__ == "__main__":
    main()
