"""`calcvision recalibrate --lesion-prevalence P --out FILE [--model FILE]`."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "recalibrate",
        help="write a copy of a model whose image-level probabilities hold where a share P of images has a lesion",
        description="The image calibration of a model is fitted on validation images of which a known share holds a "
                    "lesion (6 of 7 for the shipped model). A PACS folder usually holds far fewer; this writes a "
                    "copy of the model whose image-level probabilities, and so its `none` decisions, are those "
                    "for a lesion prevalence P (Bayes' rule for a change of prior; the tiles and the weights are "
                    "unchanged). Use the copy with `calcvision infer --model`.")
    p.add_argument("--lesion-prevalence", type=float, required=True, metavar="P",
                   help="share of images holding a calcification where the model will be used, strictly between 0 and 1")
    p.add_argument("--out", required=True, help="model file to write (.safetensors; must not exist)")
    p.add_argument("--model", default=None, help="model file (default: the shipped model)")


def run(args: argparse.Namespace) -> int:
    from calcvision.errors import InputError, UsageError
    from calcvision.model.calibration import shift_lesion_prevalence
    from calcvision.model.checkpoint import load_model, save_recalibrated

    to = args.lesion_prevalence
    if not 0.0 < to < 1.0:
        raise UsageError(f"--lesion-prevalence must be strictly between 0 and 1, got {to:g}")
    out = Path(args.out)
    if out.exists():
        raise UsageError(f"--out {out}: already exists (choose a new file; nothing is overwritten)")
    model = load_model(args.model)
    was = model.calibration_prevalence
    if was is None:
        raise InputError(f"{model.path}: the model does not record the share of lesion images its image calibration "
                         "was fitted on")
    a, b, c = model.image_calibration
    b2 = shift_lesion_prevalence(b, was, to)
    save_recalibrated(out, model, (a, b2, c), to, f"prevalence-{to:g}")
    print(f"wrote {out}: image calibration b {b:.3f} -> {b2:.3f}, lesion prevalence {was:.3f} -> {to:g}")
    return 0
