"""How long the reports take per image on full-size plates.

Writes N phantoms (default 2000 x 2500 px at 0.15 mm, the size of a CR plate) as DICOM,
a results.jsonl with their true pattern, box and the real differential (the report's cost
does not depend on where a result came from), then times ``write_reports`` for each kind
alone and for all three, and the Layer-CAM map alone. Model: the shipped default, or with
--untrained an untrained network of the default architecture (same cost, meaningless map).

    PYTHONPATH=. python scripts/report_bench.py [--n 7] [--rows 2000 --cols 2500] [--untrained]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch


def _model(untrained: bool, tmp: Path):
    from calcvision.model import load_model

    if not untrained:
        return load_model()
    import yaml

    from calcvision.model.checkpoint import make_meta, save_model
    from calcvision.model.network import build_network

    cfg = yaml.safe_load(Path("configs/default.yaml").read_text())["model"]
    net = build_network(cfg["arch"], **cfg.get("arch_kwargs", {}))
    meta = make_meta(mm_per_pixel=cfg["mm_per_pixel"], tile_px=cfg["tile_px"], arch=cfg["arch"],
                     arch_kwargs=cfg.get("arch_kwargs", {}))
    return load_model(save_model(tmp / "untrained.safetensors", net, meta))


def _batch(out: Path, n: int, shape: tuple[int, int], sha: str) -> list:
    from calcvision.ddx import rank
    from calcvision.io.dicom_write import write_radiograph
    from calcvision.patterns import CLASSES, NONE
    from calcvision.phantoms import make_phantom

    radiographs, lines = [], []
    for i in range(n):
        label = CLASSES[i % len(CLASSES)]
        s = make_phantom(label, 0, i, shape=shape, spacing_mm=0.15)
        path = write_radiograph(out / f"plate{i}.dcm", np.round(s.radiograph.pixels * 4095).astype(np.uint16),
                                spacing_mm=s.radiograph.spacing_mm, bits_stored=12, patient_id=f"BENCH{i}")
        probs = {c: (0.9 if c == label else 0.1 / (len(CLASSES) - 1)) for c in CLASSES}
        ddx = rank(probs) if label != NONE else None
        row = {"path": str(path), "frame": 0, "status": "ok", "reason": "", "pattern": label,
               "confidence": probs[label], **{f"p_{c}": p for c, p in probs.items()},
               "top_diagnosis": ddx.top_name if ddx else None, "differential": ddx.to_dict() if ddx else None,
               "spacing_mm": list(s.radiograph.spacing_mm), "spacing_source": "ImagerPixelSpacing",
               "provenance": {"model_sha256": sha}}
        if s.box is not None and label != NONE:
            row.update(dict(zip(("roi_x0", "roi_y0", "roi_x1", "roi_y1"), (int(v) for v in s.box))))
        lines.append(json.dumps(row))
        radiographs.append((s.radiograph, label, s.box))
    (out / "results.jsonl").write_text("\n".join(lines) + "\n")
    return radiographs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=7)
    ap.add_argument("--rows", type=int, default=2000)
    ap.add_argument("--cols", type=int, default=2500)
    ap.add_argument("--untrained", action="store_true")
    args = ap.parse_args()
    from calcvision.patterns import NONE
    from calcvision.report import write_reports
    from calcvision.report.saliency import saliency_map

    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        model = _model(args.untrained, tmp)
        t0 = time.perf_counter()
        radiographs = _batch(tmp, args.n, (args.rows, args.cols), model.sha256)
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
              f"{args.n} plates of {args.rows} x {args.cols} px, torch threads {torch.get_num_threads()}, "
              f"model {'untrained ' if args.untrained else ''}{model.meta['arch']} "
              f"({model.meta['tile_px']} px tiles at {model.meta['mm_per_pixel']} mm); "
              f"phantoms written in {time.perf_counter() - t0:.1f} s")
        saliency_map(model, *radiographs[0][:2])  # warm-up: first torch call
        lesions = [(r, lab, box) for r, lab, box in radiographs if lab != NONE]
        t0 = time.perf_counter()
        for r, lab, box in lesions:
            saliency_map(model, r, lab, box=box)
        print(f"Layer-CAM around the box: {(time.perf_counter() - t0) / len(lesions):.2f} s per lesion image")
        for kinds in ({"html"}, {"sr"}, {"sc"}, {"html", "sr", "sc"}):
            t0 = time.perf_counter()
            write_reports(tmp, kinds, model=model)
            dt = time.perf_counter() - t0
            print(f"write_reports {','.join(sorted(kinds)):<11}: {dt / args.n:.2f} s per image ({dt:.1f} s in all)")


if __name__ == "__main__":
    main()
