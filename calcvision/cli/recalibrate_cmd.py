"""`calcvision recalibrate [--lesion-prevalence P] [--image-temperature T] --out FILE [--model FILE]`."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "recalibrate",
        help="write a copy of a model whose image-level probabilities hold where a share P of images has a lesion, "
             "or with another image temperature",
        description="The image calibration of a model is fitted on validation images of which a known share holds a "
                    "lesion (6 of 7 for the shipped model). A PACS folder usually holds far fewer; --lesion-prevalence "
                    "writes a copy of the model whose image-level probabilities, and so its `none` decisions, are "
                    "those for a lesion prevalence P (Bayes' rule for a change of prior). --image-temperature sets "
                    "the temperature that softens each image's seven probabilities (fitted across the training "
                    "sources; 1 gives the probabilities calibrated on images like calcvision's own phantoms; no call "
                    "changes). The tiles and the weights are unchanged. Use the copy with `calcvision infer --model`.")
    p.add_argument("--lesion-prevalence", type=float, default=None, metavar="P",
                   help="share of images holding a calcification where the model will be used, strictly between 0 and 1")
    p.add_argument("--image-temperature", type=float, default=None, metavar="T",
                   help="image temperature, 0.05 to 20 (1: none; the shipped model's was fitted across its training "
                        "sources)")
    p.add_argument("--out", required=True, help="model file to write (.safetensors; must not exist)")
    p.add_argument("--model", default=None, help="model file (default: the shipped model)")


def run(args: argparse.Namespace) -> int:
    from calcvision.errors import InputError, UsageError
    from calcvision.model.calibration import shift_lesion_prevalence
    from calcvision.model.checkpoint import load_model, save_recalibrated

    to, t = args.lesion_prevalence, args.image_temperature
    if to is None and t is None:
        raise UsageError("recalibrate: give --lesion-prevalence P and/or --image-temperature T")
    if to is not None and not 0.0 < to < 1.0:
        raise UsageError(f"--lesion-prevalence must be strictly between 0 and 1, got {to:g}")
    if t is not None and not 0.05 <= t <= 20.0:
        raise UsageError(f"--image-temperature must be between 0.05 and 20, got {t:g}")
    out = Path(args.out)
    if out.exists():
        raise UsageError(f"--out {out}: already exists (choose a new file; nothing is overwritten)")
    model = load_model(args.model)
    a, b, c = model.image_calibration
    b2, changes, tags = b, [], []
    if to is not None:
        was = model.calibration_prevalence
        if was is None:
            raise InputError(f"{model.path}: the model does not record the share of lesion images its image "
                             "calibration was fitted on")
        b2 = shift_lesion_prevalence(b, was, to)
        changes.append(f"image calibration b {b:.3f} -> {b2:.3f}, lesion prevalence {was:.3f} -> {to:g}")
        tags.append(f"prevalence-{to:g}")
    if t is not None:
        changes.append(f"image temperature {model.image_temperature:.3f} -> {t:g}")
        tags.append(f"image-temperature-{t:g}")
    save_recalibrated(out, model, (a, b2, c), to, "+".join(tags), t)
    print(f"wrote {out}: " + "; ".join(changes))
    return 0
