#!/usr/bin/env python
"""Generalisation to real anatomy: the model on the two real CR plates of pydicom-data
(RG1: chest PA; RG3: lower leg and ankle), as they are and with simulator lesions inserted.

    PYTHONPATH=. .venv/bin/python scripts/bench_real_anatomy.py [--per-class 8] [--model CKPT] [--strongest PNG]

Training never sees these plates (the phantoms are its only data), so this measures what the
phantom benchmarks cannot: real bones, lungs and soft tissue around the lesions.

1. **As they are.** Neither plate shows a soft-tissue calcification (RG1 has round lung
   masses, RG3 a lesion inside the tibia), so ``none`` is the right call. Printed: the image
   call, and the share of all tiles called a lesion. Also ``--windows`` random square windows
   (50-100 % of the short side) of each plate, as more ``none`` images.
2. **With a lesion inserted.** For each lesion class, ``--per-class`` lesions drawn by the
   simulator at the plate's pixel spacing (``draw_scene``: the lesion's excess line integral)
   are added to a plate at a random place inside the exposed body. The plates hold processed
   display values, not log signal, so the insertion (``calcvision.model.insertion``) treats
   ``1 - display`` like a transmission: ``display' = 1 - (1 - display) exp(-k L)`` for the
   lesion's line integral ``L`` (blurred by a 0.1 mm detector blur). Contrast then fades
   towards white as on a film-like tone curve and never clips. ``k`` makes the local gain at
   the body's median display value equal to (the body's 1st-99th percentile display span) /
   ``D``, with ``D`` drawn from 2.5-4 (the line-integral span of an extremity or chest, soft
   tissue to bone). ``--linear``: the same lesions at the same places inserted as a display
   linear in log signal would show them, ``display + k (1 - median) L`` clipped to 1 (not
   dimmed over bone). Printed: accuracy, confusion and box IoU >= 0.3.
3. With ``--strongest PNG``: how many tiles of each plate (as it is) are called a lesion, and
   a picture of the 8 tiles with the strongest lesion evidence (what the false alarms are).

The placement ignores anatomy (a chondrocalcinosis line may land outside a joint): this
measures the recognition of a pattern on real backgrounds, not anatomical plausibility.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path
from typing import Iterator

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PLATES = ("RG1_UNCR.dcm", "RG3_UNCR.dcm")


def body_mask(pixels: np.ndarray, spacing_mm: float) -> np.ndarray:
    """Exposed body: smoothed display value above the darkest 10 % plus a tenth of the span,
    not saturated, and not flat (excludes the raw-beam background and the collimated borders,
    which RG3 shows as uniform white)."""
    from scipy import ndimage

    size = max(3, int(5.0 / spacing_mm))
    smooth = ndimage.uniform_filter(pixels, size=size)
    sd = np.sqrt(np.maximum(ndimage.uniform_filter(pixels * pixels, size=size) - smooth * smooth, 0))
    lo, hi = np.percentile(smooth, [10, 99])
    return (smooth > lo + 0.1 * (hi - lo)) & (smooth < 0.98) & (sd > 0.002)


def insert_lesion(pixels: np.ndarray, mask: np.ndarray, lesion: np.ndarray, box: tuple[int, int, int, int],
                  spacing_mm: float, rng: np.random.Generator,
                  linear: bool = False) -> tuple[np.ndarray, tuple[int, int, int, int]] | None:
    """Add the lesion crop ``lesion[box]`` (line integral) to ``pixels`` at a random place whose
    centre lies in ``mask``; returns (new pixels, box in plate pixels) or None if it never fits.
    ``linear``: the display-linear operator instead (``insert_line_integral``'s ``median``)."""
    from scipy import ndimage

    from calcvision.model.insertion import insert_line_integral, insertion_gain

    x0, y0, x1, y1 = box
    crop = ndimage.gaussian_filter(lesion[y0:y1, x0:x1].astype(np.float32), 0.1 / spacing_mm)
    h, w = crop.shape
    H, W = pixels.shape
    if h >= H or w >= W:
        return None
    lo, med, hi = np.percentile(pixels[mask], [1, 50, 99])
    k = insertion_gain(lo, med, hi, rng.uniform(2.5, 4.0))
    for _ in range(200):
        r, c = int(rng.integers(0, H - h)), int(rng.integers(0, W - w))
        if mask[r + h // 2, c + w // 2]:
            out = pixels.copy()
            out[r:r + h, c:c + w] = insert_line_integral(out[r:r + h, c:c + w], crop, k, med if linear else None)
            ys, xs = np.nonzero(crop > 0.01)
            return out, (c + int(xs.min()), r + int(ys.min()), c + int(xs.max()) + 1, r + int(ys.max()) + 1)
    return None


def tile_picture(tile: np.ndarray, caption: str, footer: str = "") -> np.ndarray:
    """A normalised model tile [T, T] (about -4..4) as RGB pixels, the caption in red at the
    top and the footer in blue at the bottom."""
    from PIL import Image, ImageDraw

    img = Image.fromarray(((tile + 4) * (255 / 8)).clip(0, 255).astype(np.uint8)).convert("RGB")
    draw = ImageDraw.Draw(img)
    draw.text((2, 2), caption, fill=(255, 64, 64))
    if footer:
        draw.text((2, img.height - 12), footer, fill=(64, 200, 255))
    return np.asarray(img)


def strongest_row(prep, probs: np.ndarray, name: str, k: int = 8) -> np.ndarray:
    """One row of the ``k`` tiles of a prepared plate with the strongest lesion evidence
    (1 - p_none of ``probs`` [N, 7]), each captioned with its call; prints how many of the
    plate's tiles are called a lesion."""
    from calcvision.patterns import CLASSES, NONE

    ni = CLASSES.index(NONE)
    print(f"  {name}: {int((probs.argmax(1) != ni).sum())} of {len(probs)} tiles called a lesion")
    tiles = [tile_picture(prep.tiles[i, 0], f"{CLASSES[int(probs[i].argmax())][:12]} {1 - probs[i, ni]:.2f}")
             for i in np.argsort(probs[:, ni])[:k]]
    return np.concatenate(tiles, axis=1)


@dataclasses.dataclass
class RealImage:
    """One image of the benchmark."""

    plate: str
    kind: str  # "plate" (as it is), "window" (a random square of it) or "lesion" (one inserted)
    label: str
    rad: object  # calcvision.io.Radiograph
    box: tuple[int, int, int, int] | None  # the inserted lesion's box (plate pixels)


def real_images(per_class: int = 8, windows: int = 10, seed: int = 424242,
                spacing_mm: float | None = None, linear: bool = False) -> Iterator[RealImage]:
    """The benchmark's images in order (RealImage): per plate, the plate as it is, ``windows``
    random windows, then ``per_class`` inserted lesions of each class; one generator seeded by
    ``seed`` places them all, so a run is reproducible (``linear``: the same lesions at the same
    places, inserted by the display-linear operator)."""
    from calcvision.infer.predict import with_default_spacing
    from calcvision.io import read_radiograph
    from calcvision.io.sample_data import pydicom_file
    from calcvision.patterns import CLASSES, NONE
    from calcvision.phantoms.sample import draw_scene, lesion_box

    rng = np.random.default_rng(seed)
    for name in PLATES:
        rad = with_default_spacing(read_radiograph(pydicom_file(name))[0], spacing_mm)
        sp = float(rad.spacing_mm[0])
        yield RealImage(name, "plate", NONE, rad, None)
        H, W = rad.pixels.shape
        for _ in range(windows):
            side = int(rng.uniform(0.5, 1.0) * min(H, W))
            r, c = int(rng.integers(0, H - side + 1)), int(rng.integers(0, W - side + 1))
            window = np.ascontiguousarray(rad.pixels[r:r + side, c:c + side])
            yield RealImage(name, "window", NONE, dataclasses.replace(rad, pixels=window), None)
        mask = body_mask(rad.pixels, sp)
        for label in CLASSES:
            if label == NONE:
                continue
            done = index = 0
            while done < per_class and index < 4 * per_class:
                scene = draw_scene(label, seed, index + 1000 * PLATES.index(name), shape=(1024, 1024), spacing_mm=sp)
                index += 1
                box = lesion_box(scene.lesion)
                placed = None if box is None else insert_lesion(rad.pixels, mask, scene.lesion, box, sp, rng, linear)
                if placed is None:
                    continue
                yield RealImage(name, "lesion", label, dataclasses.replace(rad, pixels=placed[0]), placed[1])
                done += 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-class", type=int, default=8, help="lesions of each class per plate")
    ap.add_argument("--windows", type=int, default=10, help="random none windows per plate")
    ap.add_argument("--seed", type=int, default=424242)
    ap.add_argument("--model", default=None, help="model file (default: the shipped model)")
    ap.add_argument("--spacing-mm", type=float, default=None, metavar="MM",
                    help="pixel size of the plates, which state none (default: the reader's assumed 0.15 mm); "
                         "as calcvision infer --spacing-mm, the lesions are drawn at it too")
    ap.add_argument("--linear", action="store_true",
                    help="insert the lesions as a display linear in log signal would show them (not dimmed over bone)")
    ap.add_argument("--strongest", default=None, metavar="PNG",
                    help="also write the 8 tiles of each plate (as it is) with the strongest lesion evidence")
    args = ap.parse_args()

    import torch

    from calcvision.infer.predict import decide, predict_radiograph, prepare, scale_params, tile_probabilities
    from calcvision.model import load_model
    from calcvision.model.evaluate import ci_suffix, wilson_interval
    from calcvision.patterns import CLASSES, NONE
    sys.path.insert(0, str(ROOT / "scripts"))
    from bench_infer_accuracy import iou

    torch.set_num_threads(2)
    model = load_model(args.model)
    print(f"model: {model.path} sha256 {model.sha256[:12]} (version {model.meta.get('version')})")
    ni = CLASSES.index(NONE)
    confusion = np.zeros((len(CLASSES), len(CLASSES)), int)
    ious = []
    t0 = time.perf_counter()
    rows = []
    for im in real_images(args.per_class, args.windows, args.seed, args.spacing_mm, args.linear):
        if im.kind == "plate":
            rad, sp = im.rad, float(im.rad.spacing_mm[0])
            prep = prepare(rad, scale_params(model))
            probs = tile_probabilities(prep, model)
            pred = decide(prep, model, probs)  # = predict_radiograph(rad, model), keeping the tile probabilities
            print(f"{im.plate}: {rad.pixels.shape[1]} x {rad.pixels.shape[0]} px at {sp} mm ({rad.spacing_source}): "
                  f"called {pred.pattern} ({pred.confidence:.3f}), p_none {pred.probs[NONE]:.3f}, {pred.n_tiles} tiles")
            if args.strongest:
                rows.append(strongest_row(prep, probs.numpy(), im.plate))
        else:
            pred = predict_radiograph(im.rad, model)
        i, j = CLASSES.index(im.label), CLASSES.index(pred.pattern)
        confusion[i, j] += 1
        if im.box is not None and i == j and pred.box is not None:
            ious.append(iou(pred.box, im.box))
    if rows:
        from PIL import Image

        Image.fromarray(np.concatenate(rows, axis=0)).save(args.strongest)
        print(f"wrote {args.strongest}: per plate, the 8 tiles with the strongest lesion evidence")
    print(f"\n{confusion.sum()} images in {time.perf_counter() - t0:.0f} s")
    print("confusion (rows = truth, columns = predicted):")
    print(" " * 26 + " ".join(f"{c[:10]:>10s}" for c in CLASSES))
    for c, row in zip(CLASSES, confusion):
        print(f"  {c:24s}" + " ".join(f"{v:10d}" for v in row) + f"   recall {row[CLASSES.index(c)] / max(row.sum(), 1):.2f}")
    lesion_rows = [k for k in range(len(CLASSES)) if k != ni]
    n_les = confusion[lesion_rows].sum()
    right, n_none = int(np.trace(confusion[lesion_rows][:, lesion_rows])), int(confusion[ni].sum())

    print(f"\nlesion images: accuracy {right / max(n_les, 1):.3f} of {n_les}{ci_suffix(wilson_interval(right, int(n_les)))}, "
          f"called none {confusion[lesion_rows, ni].sum() / max(n_les, 1):.3f}")
    print(f"none images (plates + windows): called a lesion {1 - confusion[ni, ni] / max(n_none, 1):.3f} "
          f"of {n_none}{ci_suffix(wilson_interval(n_none - int(confusion[ni, ni]), n_none))}")
    print(f"overall accuracy {np.trace(confusion) / confusion.sum():.3f}; correct lesions with box IoU >= 0.3: "
          f"{float(np.mean(np.asarray(ious) >= 0.3)) if ious else float('nan'):.3f} of {len(ious)}")


if __name__ == "__main__":
    main()
