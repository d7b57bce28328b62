#!/usr/bin/env python
"""Robustness to acquisition shifts: the model on the same phantom scenes imaged outside the
simulator's own ranges, as another simulator or another site might image them.

    PYTHONPATH=. .venv/bin/python scripts/bench_shift.py [--per-class 20] [--seed 5] [--model M] [--only NAME ...]

Each scene (``calcvision.phantoms.sample.draw_scene``, 512 x 512 as ``calcvision evaluate
--shape 512 512``) is imaged once as drawn and once under each shift below; the model (the
shipped one, or ``--model``) classifies every image as ``calcvision infer`` would (tiles, the
TTA re-scoring, the image calibration, the box). Physics and display shifts re-run the
simulator's own image formation and display chain with a few of the scene's drawn values
replaced; header shifts change only the pixel spacing the reader would be given.

- ``noise-free``: 1000 times the dose, no electronic or line noise (simulators that draw no noise);
- ``quarter dose``: a quarter of the drawn photons (75-2,500 per pixel behind the anatomy);
- ``blurred 0.4 mm``: detector blur sigma 0.4 mm (drawn: 0.04-0.25 mm; an old CR plate);
- ``no processing``: no range compression, no edge enhancement, linear tone, full window;
- ``strong processing``: range compression 0.9 and edge enhancement 3 (drawn: up to 0.7 and 1.5);
- ``no log``: the detected intensity shown instead of its logarithm (a "for processing" image);
- ``8-bit JPEG q50``: the displayed image through 8 bits and JPEG quality 50 (drawn: 60-95);
- ``header x1.2`` / ``header /1.2``: the header's pixel spacing 20 % too large / small (an
  object magnified by the geometry, or PixelSpacing at the isocentre taken for the detector's);
- ``header x1.5`` / ``header /1.33``: 0.1 / 0.2 mm pixels (the ends of the usual range) read
  at 0.15 mm, the value ``calcvision.io`` assumes for a file that states none;
- ``header 0.15``: every image (0.1-0.2 mm pixels) read at that assumed 0.15 mm;
- ``0.3 mm pixels``: the displayed image area-averaged to 0.3 mm pixels (drawn: 0.1-0.2 mm);
- ``0.05 mm pixels``: the scene drawn on 0.05 mm pixels over the same field in mm (the same
  lesion and bones in mm; the random textures are realised anew on the finer grid);
- ``smooth bone``: the scene redrawn with 16 trabecular layers (drawn: 1-5), so cancellous
  bone projects as a faint, averaged texture (real bone ends on a processed plate; a simulator
  that draws little or no trabecular texture);
- ``no clutter``: the scene redrawn without soft-tissue texture or anatomical clutter in soft
  tissue and lungs (a simpler simulator's smooth tissue).

The two redrawn conditions keep the scene's field, anatomy, confusers, lesion and exposure
(their random streams are untouched, and a pinned parameter still takes its draw), but the
random textures drawn after the first changed one are realised anew.

Printed per condition: whole-image accuracy (95 % Wilson interval), lesion images called
``none``, ``none`` images called a lesion, mean confidence of the call against accuracy
(over-confidence under shift), the image-level expected calibration error (15 bins; with the
value a perfectly calibrated model would show on as many images), the share of correctly called
lesions whose box overlaps the true lesion box with IoU >= 0.3; then the recall of each class
under each condition. ``--json`` keeps every image's call and probabilities; ``--montage PNG``
draws one scene under every condition, cut to 40 mm around its lesion, with the model's call.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from calcvision.infer import predict as P  # noqa: E402
from calcvision.io.radiograph import ASSUMED_SPACING_MM, Provenance, Radiograph  # noqa: E402
from calcvision.model.calibration import ece_if_calibrated, expected_calibration_error  # noqa: E402
from calcvision.model.checkpoint import load_model  # noqa: E402
from calcvision.model.evaluate import ci_suffix, wilson_interval  # noqa: E402
from calcvision.model.preprocess import resample_to_scale  # noqa: E402
from calcvision.patterns import CLASSES, NONE  # noqa: E402
from calcvision.phantoms import sample as S  # noqa: E402
from calcvision.phantoms.display import degrade  # noqa: E402
from calcvision.phantoms.params import ranges  # noqa: E402

sys.path.insert(0, str(ROOT / "scripts"))
from bench_infer_accuracy import iou  # noqa: E402
from lesion_visibility import displayed  # noqa: E402

SHAPE = (512, 512)
Box = tuple[int, int, int, int]
Image = tuple[np.ndarray, float, Box | None]
"""Displayed pixels (0-1, higher = more attenuation), header spacing (mm), true lesion box."""


def render(scene: S.Scene, exposure: dict | None = None, display: dict | None = None,
           log_map: Callable[[np.ndarray], np.ndarray] | None = None) -> np.ndarray:
    """The scene through the simulator's image formation and display chain, with some of its
    drawn exposure / display values replaced and an optional map of the negative-log image."""
    s = dataclasses.replace(scene, exposure={**scene.exposure, **(exposure or {})},
                            display={**scene.display, **(display or {})})
    log_img = S.form_image(s)
    return displayed(S.process(s, log_map(log_img) if log_map else log_img))


_DRAWN: dict = {}


def drawn(scene: S.Scene) -> np.ndarray:
    """``render(scene)`` as drawn, computed once per scene: most conditions start from it."""
    if _DRAWN.get("scene") is not scene:  # the reference kept here also keeps id reuse out
        _DRAWN.update(scene=scene, image=render(scene))
    return _DRAWN["image"]


def _no_log(log_img: np.ndarray) -> np.ndarray:
    """Detected intensity, sign-flipped so that more attenuation is still higher."""
    return -np.exp(-(log_img - np.float32(np.median(log_img)))).astype(np.float32)


def _scaled(box: Box | None, f: float) -> Box | None:
    return None if box is None else (int(box[0] * f), int(box[1] * f), int(np.ceil(box[2] * f)), int(np.ceil(box[3] * f)))


def _fine(scene: S.Scene, label: str, seed: int, index: int) -> Image:
    sp = 0.05
    side = int(round(SHAPE[0] * scene.grid.spacing / sp))
    fine = S.draw_scene(label, seed, index, shape=(side, side), spacing_mm=sp)
    return render(fine), sp, S.lesion_box(fine.lesion) if label != NONE else None


def _box(scene: S.Scene) -> Box | None:
    return S.lesion_box(scene.lesion) if scene.label != NONE else None


def _as(fn: Callable[[S.Scene], np.ndarray]) -> Callable[[S.Scene, str, int, int], Image]:
    return lambda scene, label, seed, index: (fn(scene), scene.grid.spacing, _box(scene))


def _header(factor: float) -> Callable[[S.Scene, str, int, int], Image]:
    """The image as drawn, its header spacing ``factor`` times the true one."""
    return lambda scene, *_: (drawn(scene), scene.grid.spacing * factor, _box(scene))


def _redrawn(**values: float) -> Callable[[S.Scene, str, int, int], Image]:
    """The scene redrawn with some ``ranges.yaml`` anatomy parameters pinned to one value each
    (still a uniform draw, so the generator advances as before); the cached ranges are restored."""
    def fn(scene: S.Scene, label: str, seed: int, index: int) -> Image:
        node = ranges()["anatomy"]
        saved = {k: node[k] for k in values}
        node.update({k: {**node[k], "range": [v, v]} for k, v in values.items()})
        try:
            s = S.draw_scene(label, seed, index, shape=SHAPE)
        finally:
            node.update(saved)
        return render(s), s.grid.spacing, _box(s)
    return fn


SHIFTS: dict[str, Callable[[S.Scene, str, int, int], Image]] = {
    "as drawn": _as(drawn),
    "noise-free": _as(lambda s: render(s, exposure={"photons": s.exposure["photons"] * 1000, "electronic_noise": 0.0,
                                                    "line_noise": 0.0})),
    "quarter dose": _as(lambda s: render(s, exposure={"photons": s.exposure["photons"] / 4})),
    "blurred 0.4 mm": _as(lambda s: render(s, exposure={"detector_blur_mm": 0.4})),
    "no processing": _as(lambda s: render(s, display={"range_compression": 0.0, "edge_enhancement": 0.0, "tone": "linear",
                                                      "window_centre": 0.5, "window_width": 1.0, "jpeg_history": False,
                                                      "eight_bit_history": False})),
    "strong processing": _as(lambda s: render(s, display={"range_compression": 0.9, "edge_enhancement": 3.0})),
    "no log": _as(lambda s: render(s, log_map=_no_log)),
    "8-bit JPEG q50": _as(lambda s: degrade(drawn(s), jpeg_quality=50, eight_bit=True)),
    "header x1.2": _header(1.2),
    "header /1.2": _header(1 / 1.2),
    "header x1.5": _header(1.5),
    "header /1.33": _header(0.75),
    "header 0.15": lambda s, *_: (drawn(s), ASSUMED_SPACING_MM, _box(s)),
    "0.3 mm pixels": lambda s, *_: (resample_to_scale(drawn(s), (s.grid.spacing,) * 2, 0.3), 0.3,
                                    _scaled(_box(s), s.grid.spacing / 0.3)),
    "0.05 mm pixels": _fine,
    "smooth bone": _redrawn(trabecular_layers=16),
    "no clutter": _redrawn(soft_texture=0.0, clutter=0.0, lung_clutter=0.0),
}


def montage(shown: list, path: str, title: str, side_mm: float, field_mm: float = 40.0) -> None:
    """One panel per condition: ``field_mm`` around the true lesion box (the image centre for
    ``none``), with the true box (green), the model's box (orange) and its call. Every image
    covers the same field, ``side_mm`` wide, whatever its header says."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    cols = 4
    fig = Figure(figsize=(3 * cols, 3.2 * -(-len(shown) // cols)))
    axes = fig.subplots(-(-len(shown) // cols), cols, squeeze=False).ravel()
    for ax, (name, pixels, box, pred) in zip(axes, shown):
        cy, cx = ((box[1] + box[3]) / 2, (box[0] + box[2]) / 2) if box else (pixels.shape[0] / 2, pixels.shape[1] / 2)
        h = field_mm / 2 / (side_mm / pixels.shape[0])
        y0, x0 = int(max(0, cy - h)), int(max(0, cx - h))
        ax.imshow(pixels[y0:int(cy + h), x0:int(cx + h)], cmap="gray", vmin=0, vmax=1)
        for b, colour in ((box, "lime"), (pred.box, "orange")):
            if b:
                ax.add_patch(Rectangle((b[0] - x0, b[1] - y0), b[2] - b[0], b[3] - b[1], fill=False, ec=colour, lw=1))
        ax.set_title(f"{name}\n{pred.pattern} {pred.confidence:.2f}", fontsize=8)
        ax.set_axis_off()
    for ax in axes[len(shown):]:
        ax.set_axis_off()
    fig.suptitle(f"{title}: {field_mm:g} mm around the lesion; green true box, orange the model's", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=5, help="phantom seed (the shipped model trained on 1, calibrated on 2)")
    ap.add_argument("--per-class", type=int, default=20)
    ap.add_argument("--model", default=None, help="model file (default: the shipped model)")
    ap.add_argument("--only", nargs="+", choices=list(SHIFTS), default=None, help="conditions to run (default: all)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", default=None, help="write every image's result here (JSON lines)")
    ap.add_argument("--montage", default=None, help="PNG of one scene under every condition (see --montage-scene)")
    ap.add_argument("--montage-scene", default="phlebolith_ring:0", help="CLASS:INDEX of the montage's scene")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    model = load_model(args.model)
    names = args.only or list(SHIFTS)
    results: dict[str, list[dict]] = {n: [] for n in names}
    shown: list[tuple[str, np.ndarray, Box | None, P.Prediction]] = []
    m_label, m_index = args.montage_scene.split(":")
    t0 = time.time()
    for i in range(args.per_class):
        for label in CLASSES:
            scene = S.draw_scene(label, args.seed, i, shape=SHAPE)
            for name in names:
                pixels, sp, box = SHIFTS[name](scene, label, args.seed, i)
                rad = Radiograph(pixels=np.ascontiguousarray(pixels, dtype=np.float32), spacing_mm=(sp, sp),
                                 spacing_source="ImagerPixelSpacing",
                                 provenance=Provenance(path=f"phantom:{label}:{args.seed}:{i}", file_format="phantom"))
                pred = P.predict_radiograph(rad, model)
                if args.montage and (label, i) == (m_label, int(m_index)):
                    shown.append((name, pixels, box, pred))
                results[name].append({"condition": name, "index": i, "label": label, "call": pred.pattern,
                                      "conf": pred.confidence, "probs": [pred.probs[c] for c in CLASSES],
                                      "iou": iou(pred.box, box) if pred.box and box else 0.0})
        print(f"  {(i + 1) * len(CLASSES)} scenes x {len(names)} conditions, {time.time() - t0:.0f} s", file=sys.stderr)
    n = args.per_class * len(CLASSES)
    print(f"{n} scenes (seed {args.seed}, {SHAPE[0]} x {SHAPE[1]}, {args.per_class} per class); model "
          f"{model.meta.get('version')} sha256 {model.sha256[:12]}; {time.time() - t0:.0f} s")
    if args.montage:
        side = S.draw_scene(m_label, args.seed, int(m_index), shape=SHAPE).grid.size_mm[0]
        montage(shown, args.montage, f"{m_label} {m_index} (seed {args.seed})", side)
    if args.json:
        with open(args.json, "w") as f:
            f.writelines(json.dumps(r) + "\n" for rows in results.values() for r in rows)
    print("| condition | image accuracy | lesion images called none | none images called a lesion | mean confidence "
          "| image ECE (if calibrated) | boxes IoU >= 0.3 of correct lesions |")
    print("|---|---|---|---|---|---|---|")
    accuracy = []
    for name in names:
        rows = results[name]
        right = sum(r["call"] == r["label"] for r in rows)
        accuracy.append(right / n)
        lesion = [r for r in rows if r["label"] != NONE]
        none_rows = [r for r in rows if r["label"] == NONE]
        correct = [r for r in lesion if r["call"] == r["label"]]
        hits = sum(r["iou"] >= 0.3 for r in correct)
        probs = np.array([r["probs"] for r in rows])
        ece = expected_calibration_error(probs, np.array([CLASSES.index(r["label"]) for r in rows]))
        print(f"| {name} | {right / n:.3f}{ci_suffix(wilson_interval(right, n))} "
              f"| {sum(r['call'] == NONE for r in lesion)} of {len(lesion)} "
              f"| {sum(r['call'] != NONE for r in none_rows)} of {len(none_rows)} "
              f"| {np.mean([r['conf'] for r in rows]):.3f} | {ece:.3f} ({ece_if_calibrated(probs):.3f}) "
              f"| {hits / max(len(correct), 1):.3f} of {len(correct)} |")
    print(f"\nmean image accuracy over the {len(names)} conditions: {np.mean(accuracy):.3f}")
    print("\nrecall per class:\n| condition | " + " | ".join(CLASSES) + " |\n|---|" + "---|" * len(CLASSES))
    for name in names:
        rows = results[name]
        print(f"| {name} | " + " | ".join(f"{np.mean([r['call'] == c for r in rows if r['label'] == c]):.2f}"
                                          for c in CLASSES) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
