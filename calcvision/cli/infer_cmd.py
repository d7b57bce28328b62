"""``calcvision infer``: batch inference over DICOM / PNG / TIFF / JPEG files and folders."""

from __future__ import annotations

import argparse
import os

from calcvision.errors import UsageError

HELP = """Classify the calcification pattern of every radiograph found in INPUT (files, or folders
searched recursively), locate it, and rank the differential diagnosis with the clinical context.
Writes DIR/results.csv and DIR/results.jsonl (one row per image, or per file that is not a
usable image, with status and reason) and DIR/summary.json. Rerunning with the same --out
resumes: images already done with the same model are skipped, none is written twice."""


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("infer", help="batch inference over radiographs (CSV + JSONL out)",
                              description=HELP)
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="DICOM/PNG/TIFF/JPEG file or folder")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (created; resumed if present)")
    p.add_argument("--context", metavar="FILE|JSON",
                   help="clinical context: a JSON/YAML file or JSON string for all images, or a CSV "
                        "of cases joined by patient_id / study_uid / accession")
    p.add_argument("--model", metavar="CKPT", help="model checkpoint (default: the shipped model)")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="reader processes (default: cores - 1, at least 1; 0 reads in the main process)")
    p.add_argument("--roi", metavar="x0,y0,x1,y1",
                   help="restrict a single image to this box (pixels of the original image)")
    p.add_argument("--overlap", type=float, default=None, metavar="F",
                   help="fraction of a tile shared with its neighbour (default 0.25; 0.5 costs about 2x CNN time)")
    p.add_argument("--spacing-mm", type=float, default=None, metavar="MM",
                   help="pixel spacing of images whose file states none (default: 0.15 mm assumed, noted in `reason`); "
                        "files that state theirs keep it")
    p.add_argument("--report", metavar="KINDS", default=None,
                   help="after the run, write reports: any of html,sr,sc (see `calcvision report`)")
    p.add_argument("--no-progress", action="store_true", help="log lines instead of a progress bar")
    p.add_argument("--accelerator", metavar="NAME",
                   help="run the CNN through Lightning's Trainer.predict on this accelerator (cpu, gpu, mps, auto)")
    p.add_argument("--devices", type=int, default=1, metavar="N",
                   help="devices for --accelerator (one process writes the results: 1)")


def parse_roi(text: str) -> tuple[int, int, int, int]:
    """'x0,y0,x1,y1' (pixels, x1 > x0, y1 > y0) -> tuple; UsageError otherwise."""
    try:
        x0, y0, x1, y1 = (int(v) for v in text.split(","))
    except ValueError:
        raise UsageError(f"--roi must be four integers x0,y0,x1,y1, got {text!r}") from None
    if x1 <= x0 or y1 <= y0 or min(x0, y0) < 0:
        raise UsageError(f"--roi needs 0 <= x0 < x1 and 0 <= y0 < y1, got {text!r}")
    return x0, y0, x1, y1


def default_workers() -> int:
    return max(1, (os.cpu_count() or 2) - 1)


def run(args: argparse.Namespace) -> int:
    from calcvision.ddx.context import load_contexts
    from calcvision.infer.runner import format_summary, run_inference
    from calcvision.model import load_model

    roi = parse_roi(args.roi) if args.roi else None
    workers = default_workers() if args.workers is None else args.workers
    if workers < 0:
        raise UsageError("--workers must be >= 0")
    from calcvision.infer.predict import DEFAULT_OVERLAP

    overlap = DEFAULT_OVERLAP if args.overlap is None else args.overlap
    if not 0.0 <= overlap < 1.0:
        raise UsageError("--overlap must be in [0, 1)")
    if args.spacing_mm is not None and not 0.01 <= args.spacing_mm <= 1.0:
        raise UsageError(f"--spacing-mm must be within 0.01-1.0 mm, got {args.spacing_mm:g}")
    report_kinds = None
    if args.report:
        from calcvision.report import parse_kinds

        report_kinds = parse_kinds(args.report)  # a bad kind fails before the run
    contexts = load_contexts(args.context) if args.context else None  # every row checked before any image
    model = load_model(args.model)
    trainer = None
    if args.accelerator:
        from calcvision.infer.lightning import make_trainer

        if args.devices != 1:
            raise UsageError("--devices: one process writes the result files; use --devices 1")
        trainer = make_trainer(args.accelerator, args.devices)
    summary = run_inference(args.inputs, args.out, model=model, contexts=contexts, workers=workers, roi=roi,
                            overlap=overlap, default_spacing_mm=args.spacing_mm,
                            progress=False if args.no_progress else None, trainer=trainer)
    print(format_summary(summary))
    if report_kinds:
        from calcvision.report import write_reports

        written = write_reports(args.out, report_kinds, model=model)
        print(f"reports: {written.html or ''} {len(written.sr)} SR, {len(written.sc)} SC".replace("  ", " "))
    return 0
