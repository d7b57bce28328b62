#!/usr/bin/env python
"""End-to-end speed of ``calcvision infer`` on full-size CR plates, split by stage, against a
plain torchvision ResNet-18 (one input channel) forward over the same plate at native
resolution, timed in the same run. Also peak memory against the number of files.

    PYTHONPATH=. .venv/bin/python scripts/bench_infer_speed.py [--n 4] [--model CKPT] [--workers 1]

Plates: phantoms (``calcvision.phantoms.make_phantom``) of ``--shape`` rows x cols at
``--spacing`` mm, written as uncompressed DICOM (``calcvision.io.dicom_write``), half with a
lesion. Figures printed:
- per-plate stage times from a serial run (``--workers 0``: every stage in one process, so
  the split is clean): reading, resampling+tiling+normalisation, CNN forward, localisation
  (Layer-CAM on the finding's tiles), differential, writing; and the ratio of everything but
  the CNN forward to the CNN forward (target <= 0.5);
- end-to-end with ``--workers`` reader processes on n and 2n files: images/s and the marginal
  time per plate (T(2n) - T(n)) / n, which excludes start-up (imports, pool, model load);
- that marginal time / one ResNet-18 forward over one plate (target <= 1/3);
- peak resident memory of the main process and of the largest worker for n/2, n and 2n files.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LABELS = ("none", "rice_grain", "none", "phlebolith_ring", "none", "tumoral_glob", "none", "sheet")


def write_plates(folder: Path, n: int, shape: tuple[int, int], spacing: float) -> list[Path]:
    """n uncompressed DICOM phantoms (cached in ``folder`` across runs)."""
    from calcvision.io.dicom_write import write_radiograph
    from calcvision.phantoms import make_phantom

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"plate_{i:03d}.dcm"
        if not path.exists():
            s = make_phantom(LABELS[i % len(LABELS)], 2024, i, shape=shape, spacing_mm=spacing)
            h = s.header
            window = None if h.get("window_center") is None else (h["window_center"], h["window_width"])
            write_radiograph(path, s.stored, spacing_mm=tuple(h["spacing_mm"]), spacing_tag=h["spacing_tag"],
                             photometric=h["photometric"], bits_stored=h["bits_stored"], modality="CR",
                             window=window, sop_uid=f"2.25.{4242000 + i}")
        paths.append(path)
    return paths


OVERLAP: dict = {}  # {"overlap": F} when --overlap is given


def run(paths: list[Path], out: Path, model, workers: int) -> dict:
    from calcvision.infer.runner import run_inference

    t0 = time.perf_counter()
    s = run_inference([str(p) for p in paths], out, model=model, workers=workers, progress=False, **OVERLAP)
    s["wall"] = time.perf_counter() - t0
    return s


def resnet18_plate_seconds(shape: tuple[int, int], repeats: int = 2) -> float:
    """Best-of-``repeats`` time of one ResNet-18 (1 channel, 7 outputs) forward over a whole plate."""
    import torchvision

    net = torchvision.models.resnet18(weights=None, num_classes=7)
    net.conv1 = torch.nn.Conv2d(1, 64, 7, 2, 3, bias=False)
    net.eval()
    x = torch.randn(1, 1, *shape)
    best = float("inf")
    with torch.inference_mode():
        net(x[..., : shape[0] // 4, : shape[1] // 4])  # warm-up
        for _ in range(repeats):
            t0 = time.perf_counter()
            net(x)
            best = min(best, time.perf_counter() - t0)
    return best


def child(args) -> None:
    """Run once on the first ``--child`` files and print peak RSS (MB) of main and workers."""
    from calcvision.model import load_model

    paths = sorted(Path(args.plates).glob("plate_*.dcm"))[: args.child]
    with tempfile.TemporaryDirectory() as tmp:
        run(paths, Path(tmp) / "out", load_model(args.model), args.workers)
    main = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"files": len(paths), "main_mb": round(main, 1), "worker_mb": round(workers, 1)}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=4, help="files for the base run (the marginal run uses 2n)")
    ap.add_argument("--shape", type=int, nargs=2, default=(2500, 2000), metavar=("ROWS", "COLS"))
    ap.add_argument("--spacing", type=float, default=0.175, help="detector pixel spacing, mm")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--model", default=None, help="model file (default: the shipped model)")
    ap.add_argument("--overlap", type=float, default=None, help="tile overlap (default: calcvision infer's)")
    ap.add_argument("--plates", default=None, help="folder to cache the generated plates in")
    ap.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.overlap is not None:
        OVERLAP["overlap"] = args.overlap
    if args.child:
        return child(args)

    from calcvision.model import load_model

    model = load_model(args.model)
    plates = Path(args.plates or tempfile.mkdtemp(prefix="calcvision-bench-plates-"))
    args.plates = str(plates)
    t0 = time.perf_counter()
    paths = write_plates(plates, 2 * args.n, tuple(args.shape), args.spacing)
    print(f"plates: {len(paths)} x {args.shape[0]}x{args.shape[1]} px at {args.spacing} mm, uncompressed CR "
          f"({os.path.getsize(paths[0]) / 1e6:.1f} MB each; made in {time.perf_counter() - t0:.0f} s) in {plates}")
    meta = model.meta
    print(f"model: {model.path or 'given'} sha256 {model.sha256[:12]} arch {meta.get('arch')} "
          f"{meta.get('mm_per_pixel')} mm/px tile {meta.get('tile_px')} px, version {meta.get('version')}; "
          f"tile overlap {OVERLAP.get('overlap', 'default')}")
    print(f"torch threads (main): {torch.get_num_threads()}, cpus: {os.cpu_count()}, "
          f"load average at start: {os.getloadavg()[0]:.1f} (other processes skew every figure)")

    with tempfile.TemporaryDirectory() as tmp:
        run(paths[:1], Path(tmp) / "warm", model, 0)  # warm caches and lazy imports
        serial = run(paths[: args.n], Path(tmp) / "serial", model, 0)
        st = serial["stage_seconds"]
        n_img = serial["status"].get("ok", 0)
        per = {k: v / n_img for k, v in st.items()}
        print(f"\nserial run (--workers 0), {n_img} plates, {serial['images_per_s']:.2f} images/s; per plate (s):")
        for k in ("read", "resample_tile", "cnn_forward", "localise", "differential", "write"):
            print(f"  {k:14s} {per.get(k, 0.0):8.4f}")
        other_main = serial["wall"] / n_img - sum(per.values())
        print(f"  {'unaccounted':14s} {other_main:8.4f}  (discovery, loop, start-up)")
        cnn = per["cnn_forward"]
        non_cnn = sum(v for k, v in per.items() if k != "cnn_forward")
        print(f"everything except CNN forward / CNN forward = {non_cnn / cnn:.3f} (target <= 0.5); "
              f"including unaccounted: {(non_cnn + max(other_main, 0)) / cnn:.3f}")

        a = run(paths[: args.n], Path(tmp) / "a", model, args.workers)
        b = run(paths[: 2 * args.n], Path(tmp) / "b", model, args.workers)
        marginal = (b["wall"] - a["wall"]) / args.n
        print(f"\nend-to-end with --workers {args.workers}: {args.n} files {a['wall']:.2f} s, "
              f"{2 * args.n} files {b['wall']:.2f} s ({2 * args.n / b['wall']:.2f} images/s incl. start-up); "
              f"marginal {marginal:.3f} s/plate = {1 / marginal:.2f} images/s")

    base = resnet18_plate_seconds(tuple(args.shape))
    print(f"ResNet-18 (1 channel) forward over one {args.shape[0]}x{args.shape[1]} plate: {base:.3f} s")
    print(f"marginal time per plate / ResNet-18 plate forward = {marginal / base:.3f} (target <= 0.333)")

    print(f"load average after the timed runs: {os.getloadavg()[0]:.1f}")
    print("\npeak resident memory vs number of files (separate processes):")
    for k in sorted({max(1, args.n // 2), args.n, 2 * args.n}):
        out = subprocess.run([sys.executable, __file__, "--child", str(k), "--plates", str(plates),
                              "--workers", str(args.workers)] + (["--model", args.model] if args.model else [])
                             + (["--overlap", str(args.overlap)] if args.overlap is not None else []),
                             capture_output=True, text=True, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"  {r['files']:3d} files: main {r['main_mb']:7.1f} MB, largest worker {r['worker_mb']:7.1f} MB")


if __name__ == "__main__":
    main()
