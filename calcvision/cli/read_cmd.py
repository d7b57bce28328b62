"""``calcvision read INPUT...``: list every file found and, for each image frame, what the reader
made of it (shape, pixel spacing and its source, photometric interpretation)."""

from __future__ import annotations

import argparse
import logging
import sys

from calcvision.errors import InputError
from calcvision.io import NotAnImage, discover, read_radiograph

COLUMNS = ("path", "frame", "status", "shape", "spacing_mm", "spacing_source", "photometric", "reason")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "read", help="read radiographs and print what was found (one line per image frame)",
        description="Find DICOM / PNG / TIFF / JPEG files under the given files and folders, read "
                    "each image and print one tab-separated line per frame: path, frame, status "
                    "(ok / skipped / error), shape (rows x cols), pixel spacing in mm (row x col) and "
                    "its source (PixelSpacing, ImagerPixelSpacing, NominalScannedPixelSpacing, user, "
                    "assumed), photometric interpretation and the reason for a skip or error. "
                    "A summary goes to stderr.")
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="file or folder (searched recursively)")


def _row(*values: object) -> str:
    return "\t".join("" if v is None else str(v).replace("\t", " ").replace("\n", " ") for v in values)


def run(args: argparse.Namespace) -> int:
    if not getattr(args, "debug", False):
        logging.getLogger("pydicom").setLevel(logging.CRITICAL)  # decoder failures are reported per file
    candidates = discover(args.inputs)
    counts = {"ok": 0, "skipped": 0, "error": 0}
    out = sys.stdout
    print(_row(*COLUMNS), file=out)
    for cand in candidates:
        if cand.status != "image":
            counts[cand.status] += 1
            print(_row(cand.path, "", cand.status, "", "", "", "", cand.reason), file=out)
            continue
        try:
            radiographs = read_radiograph(cand.path)
        except InputError as exc:
            status = "skipped" if isinstance(exc, NotAnImage) else "error"
            counts[status] += 1
            reason = str(exc)
            reason = reason[len(cand.path) + 2:] if reason.startswith(f"{cand.path}: ") else reason
            print(_row(cand.path, "", status, "", "", "", "", reason), file=out)
            continue
        for r in radiographs:
            counts["ok"] += 1
            print(_row(cand.path, r.provenance.frame, "ok", f"{r.shape[0]}x{r.shape[1]}",
                       f"{r.spacing_mm[0]:.4g}x{r.spacing_mm[1]:.4g}", r.spacing_source,
                       r.provenance.photometric_interpretation, ""), file=out)
    print(f"calcvision read: {counts['ok']} image frame(s) read, {counts['skipped']} skipped, "
          f"{counts['error']} error(s)", file=sys.stderr)
    return 0
