#!/usr/bin/env python
"""Print the metrics block of the model card (markdown) from a model file and the
``metrics.json`` that ``calcvision evaluate`` wrote, so the card quotes the evaluate output.

    PYTHONPATH=. python scripts/model_card_metrics.py [--model FILE] runs/eval/metrics.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from calcvision.model import read_meta  # noqa: E402
from calcvision.model.checkpoint import DEFAULT_MODEL, file_sha256  # noqa: E402
from calcvision.model.evaluate import ci_suffix  # noqa: E402
from calcvision.patterns import CLASSES  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=str(DEFAULT_MODEL))
    ap.add_argument("metrics")
    a = ap.parse_args()
    meta = read_meta(a.model)
    m = json.loads(Path(a.metrics).read_text())
    tr = meta["training"]
    print(f"- model file: `{Path(a.model).name}`, sha256 `{file_sha256(a.model)}`")
    print(f"- version `{meta['version']}`, {meta['arch']} {meta['arch_kwargs']}, tile {meta['tile_px']} px at "
          f"{meta['mm_per_pixel']} mm/px, temperature {meta['temperature']:.3f}, image calibration "
          f"{'(a, b, c)' if len(meta.get('image_calibration', ())) == 3 else '(a, b)'} = "
          f"{tuple(round(v, 3) for v in meta.get('image_calibration', (1.0, 0.0)))}, image temperature "
          f"{meta.get('image_temperature', 1.0):.3f}")
    print(f"- training: {tr.get('epochs')} epochs, {tr.get('steps')} steps, {tr.get('wall_s')} s wall, "
          f"{tr.get('cpu_s')} s CPU (data {tr.get('data_s')} s, fit {tr.get('fit_s')} s), torch {tr.get('torch')}")
    print(f"- evaluated on: {m.get('data')}\n")
    print("| metric | value |\n|---|---|")
    for k, label in [("n", "tiles"), ("accuracy", "accuracy"), ("macro_f1", "macro-F1"),
                     ("none_false_positive_rate", "`none` false-positive rate"), ("lesion_called_none_rate", "lesions called `none`"),
                     ("ece", "expected calibration error"),
                     ("ece_if_calibrated", "ECE a perfectly calibrated model would show on as many tiles"), ("nll", "NLL")]:
        v = m.get(k)
        print(f"| {label} | {v if isinstance(v, int) or v is None else f'{v:.4f}'}{ci_suffix(m.get(k + '_ci95'))} |")
    im = m.get("image_level") or {}
    for k, label in [("image_accuracy", "whole-image accuracy (tiled)"), ("image_none_false_positive_rate", "`none` images called lesion"),
                     ("image_lesion_missed_rate", "lesion images called `none`"), ("image_ece", "whole-image ECE"),
                     ("image_ece_if_calibrated", "ECE a perfectly calibrated model would show on as many images"),
                     ("none_image_tile_false_positive_rate", "tiles of `none` images called lesion")]:
        if im.get(k) is not None:
            print(f"| {label} | {im[k]:.4f}{ci_suffix(im.get(k + '_ci95'))} |")
    print("\nPer-class recall: " + ", ".join(f"`{c}` {r:.3f}" for c, r in m["per_class_recall"].items() if r is not None))
    print("\nConfusion matrix (rows true, columns predicted):\n")
    print("| true \\ predicted | " + " | ".join(CLASSES) + " |")
    print("|---" * (len(CLASSES) + 1) + "|")
    for c, row in zip(CLASSES, m["confusion"]):
        print(f"| {c} | " + " | ".join(str(v) for v in row) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
