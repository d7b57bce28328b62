#!/usr/bin/env python
"""Read throughput of calcvision.io.read_radiograph against plain pydicom.

Writes CR files (2048 x 2048, 12-bit MONOCHROME1 with a window: the full pipeline of
rescale-free VOI + inversion) with calcvision's own writer into a temporary folder, once
uncompressed and once per lossless encoding, then times, per file and interleaved,
``pydicom.dcmread(f).pixel_array`` (the floor) and ``read_radiograph(f)`` (to float32 0..1
with spacing and provenance). Prints images/s and the ratio reader / floor (median of
the repeats). Run:  python scripts/bench_read.py [--n 6] [--repeats 5] [--size 2048]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pydicom

from calcvision.io import read_radiograph
from calcvision.io.dicom_write import write_radiograph


def _image(size: int, seed: int) -> np.ndarray:
    """A smooth 12-bit 'radiograph' with noise (compresses like a real one, roughly)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size] / size
    body = 2200 + 1200 * np.exp(-((x - 0.5) ** 2 + (y - 0.5) ** 2) / 0.08)
    return np.clip(body + rng.normal(0, 40, (size, size)), 0, 4095).astype(np.uint16)


def _time(fn, path: Path) -> float:
    start = time.perf_counter()
    fn(path)
    return time.perf_counter() - start


def bench(paths: list[Path], repeats: int) -> tuple[float, float]:
    """Median seconds per image for (pydicom floor, calcvision reader)."""
    floor = lambda p: pydicom.dcmread(p).pixel_array  # noqa: E731
    ours = lambda p: read_radiograph(p)  # noqa: E731
    for p in paths:  # warm-up: imports, page cache
        floor(p), ours(p)
    base, reader = [], []
    for _ in range(repeats):
        for p in paths:
            base.append(_time(floor, p))
            reader.append(_time(ours, p))
    return statistics.median(base), statistics.median(reader)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=6, help="files per encoding")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--size", type=int, default=2048)
    args = parser.parse_args()
    print(f"read benchmark: {args.n} CR files of {args.size} x {args.size} per encoding, "
          f"12-bit MONOCHROME1 with window, {args.repeats} repeats, median per image")
    with tempfile.TemporaryDirectory() as tmp:
        for compression in (None, "rle", "jpeg-ls", "jpeg2000"):
            paths = []
            for i in range(args.n):
                path = Path(tmp) / f"{compression or 'uncompressed'}_{i}.dcm"
                write_radiograph(path, _image(args.size, i), spacing_mm=(0.1, 0.1), bits_stored=12, modality="CR",
                                 photometric="MONOCHROME1", window=(2600, 2400), compression=compression)
                paths.append(path)
            base, reader = bench(paths, args.repeats)
            print(f"{compression or 'uncompressed':>12}: pydicom pixel_array {base * 1e3:7.1f} ms/img "
                  f"({1 / base:6.1f} img/s) | read_radiograph {reader * 1e3:7.1f} ms/img "
                  f"({1 / reader:6.1f} img/s) | ratio {reader / base:.2f}x")


if __name__ == "__main__":
    main()
