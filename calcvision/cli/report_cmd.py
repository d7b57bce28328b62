"""``calcvision report OUT [--kinds html,sr,sc] [--model CKPT] [--no-saliency]``: the HTML
report, DICOM SR and Secondary Capture for an output folder of ``calcvision infer``."""

from __future__ import annotations

import argparse
import sys

MAX_NOTES = 10


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "report", help="HTML report, DICOM SR and Secondary Capture for an infer output folder",
        description="Reads OUT/results.jsonl (from `calcvision infer --out OUT`) and writes OUT/report.html, "
                    "OUT/dicom_sr/*.dcm (TID 1500 SR) and OUT/dicom_sc/*.dcm (Secondary Capture with the heat map, "
                    "box and label burned in) into the same folder. Research software: not for clinical use.")
    p.add_argument("out", metavar="OUT", help="output folder of calcvision infer (holds results.jsonl)")
    p.add_argument("--kinds", default="html,sr,sc", help="comma-separated subset of html,sr,sc (default: all)")
    p.add_argument("--model", default=None, help="checkpoint for the Layer-CAM heat maps (default: the shipped model)")
    p.add_argument("--truth", default=None, metavar="CSV",
                   help="ground truth with columns path,label (e.g. a phantoms manifest.csv): adds this batch's "
                        "confusion matrix and reliability diagram to the HTML")
    p.add_argument("--no-saliency", action="store_true", help="skip the Layer-CAM heat maps (faster)")
    p.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    from calcvision.report import parse_kinds, write_reports

    kinds = parse_kinds(args.kinds)
    model = None
    if args.model and not args.no_saliency:
        from calcvision.model import load_model  # type: ignore[attr-defined]

        model = load_model(args.model)
    res = write_reports(args.out, kinds, model=model, saliency=not args.no_saliency, truth=args.truth)
    if res.html:
        print(f"report: {res.html}")
    if "sr" in kinds:
        print(f"DICOM SR: {len(res.sr)} file(s) in {args.out}/dicom_sr")
    if "sc" in kinds:
        print(f"DICOM SC: {len(res.sc)} file(s) in {args.out}/dicom_sc")
    lines = [f"row {index}: {note}" for index, notes in res.notes.items() for note in notes
             if not note.startswith("no heat map: no calcification")]
    for line in lines[:MAX_NOTES]:
        print(line, file=sys.stderr)
    if len(lines) > MAX_NOTES:
        print(f"... and {len(lines) - MAX_NOTES} more notes (shown in the report)", file=sys.stderr)
    return 0
