"""`calcvision evaluate [--model FILE] --out DIR (--phantoms N [--seed S] | --local PATH)`."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="tile-level accuracy, macro-F1, none FP rate, ECE + figures",
                       description="Evaluate a model on held-out phantoms or a local labelled dataset; writes "
                                   "metrics.json, confusion_matrix.png and reliability.png into --out.")
    p.add_argument("--model", default=None, help="model file (default: the shipped model)")
    p.add_argument("--out", required=True, help="output folder")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--phantoms", type=int, default=40, metavar="N", help="phantoms per class (default 40)")
    src.add_argument("--local", default=None, help="local dataset: class-folder tree or CSV manifest")
    p.add_argument("--seed", type=int, default=3, help="phantom seed (default 3: the held-out test seed)")
    p.add_argument("--shape", type=int, nargs=2, default=None, metavar=("ROWS", "COLS"), help="phantom size in pixels")
    p.add_argument("--spacing-mm", type=float, default=None, help="phantom pixel spacing (default: varied)")
    p.add_argument("--workers", type=int, default=2, help="processes generating phantoms")
    p.add_argument("--keep-px", type=int, default=576, help="pixels kept around each lesion at model scale")


def run(args: argparse.Namespace) -> int:
    from calcvision.model.checkpoint import load_model
    from calcvision.model.data import CropDataset, PhantomSpec, local_items, phantom_items, scan_local
    from calcvision.model.evaluate import evaluate_net, format_metrics, image_level, write_report

    model = load_model(args.model)
    keep = max(args.keep_px, model.tile_px)
    if args.local:
        items = local_items(scan_local(args.local), model.mm_per_pixel, keep)
        what = f"local dataset {args.local}"
    else:
        spec = PhantomSpec(args.seed, args.phantoms, tuple(args.shape) if args.shape else None, args.spacing_mm)
        items = phantom_items(spec, model.mm_per_pixel, keep, args.workers)
        what = f"{args.phantoms} phantoms per class, seed {args.seed}"
    metrics, probs, labels = evaluate_net(model.net, model.temperature, CropDataset(items, model.tile_px, seed=args.seed))
    metrics["image_level"] = image_level(model.net, model.temperature, items, model.tile_px, model.image_calibration,
                                           tta_tiles=model.tta_tiles, image_temperature=model.image_temperature)
    paths = write_report({**metrics, "data": what, "model_sha256": model.sha256}, probs, labels, args.out)
    print(f"model: {model.path} (sha256 {model.sha256[:12]}, temperature {model.temperature:.3f})")
    print(f"data: {what}")
    print(format_metrics(metrics))
    for v in paths.values():
        print(f"wrote {v}")
    return 0
