"""``calcvision phantoms``: write a balanced set of synthetic radiographs + manifest.csv."""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

from calcvision.errors import UsageError
from calcvision.patterns import CLASSES


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "phantoms", help="write synthetic phantom radiographs (DICOM or PNG) and manifest.csv",
        description="Write N synthetic radiographs balanced over the chosen classes, and DIR/manifest.csv "
                    "(path,label,seed,index,roi_x0..roi_y1,spacing_mm,photometric,bits_stored,compression). "
                    "The same seed gives byte-identical files whatever --workers is. A rerun with the same "
                    "settings resumes an interrupted set.")
    p.add_argument("--out", required=True, type=Path, help="output folder (new or empty, or a set to resume)")
    p.add_argument("--n", required=True, type=int, help="number of radiographs")
    p.add_argument("--seed", type=int, default=0, help="set seed (default 0)")
    p.add_argument("--classes", default=",".join(CLASSES), help="comma-separated class ids (default: all seven)")
    p.add_argument("--format", choices=("dicom", "png"), default="dicom", help="file format (default dicom)")
    p.add_argument("--shape", default=None, help="ROWSxCOLS in pixels (default 1024x1024)")
    p.add_argument("--spacing-mm", type=float, default=None, help="pixel spacing in mm (default: drawn 0.1-0.2 per image)")
    p.add_argument("--mix-encodings", action="store_true",
                   help="compress about half the DICOM files losslessly (RLE, JPEG-LS, JPEG 2000)")
    p.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--confuser", action="append", default=[], metavar="NAME=P",
                   help="probability P (0-1) of a confuser of ranges.yaml for every class, e.g. hardware=0.5 "
                        "(metal) or annotation=0.3 (burned-in text), both off by default; repeatable")
    p.add_argument("--overwrite", action="store_true", help="allow writing into a non-empty folder holding another set")


def _parse_shape(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    try:
        r, c = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise UsageError(f"--shape must look like 1024x1024, got {text!r}") from None
    if min(r, c) < 64:
        raise UsageError(f"--shape must be at least 64x64, got {text!r}")
    return r, c


def parse_confusers(items: list[str]) -> tuple[tuple[str, float], ...]:
    """``--confuser NAME=P`` values as sorted (name, p) pairs; UsageError naming the bad one."""
    from calcvision.phantoms.params import check_confuser_p

    p: dict[str, float] = {}
    for item in items:
        name, _, val = item.partition("=")
        try:
            p[name.strip()] = float(val)
        except ValueError:
            raise UsageError(f"--confuser must look like hardware=0.5, got {item!r}") from None
    try:
        check_confuser_p(p)
    except ValueError as e:
        raise UsageError(f"--confuser: {e}") from None
    return tuple(sorted(p.items()))


def _read_set(path: Path):
    """The set definition stored in a folder, or None if absent or unreadable."""
    from calcvision.phantoms.writer import SetSpec

    try:
        return SetSpec.from_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError, KeyError):
        return None


def run(args: argparse.Namespace) -> int:
    from calcvision.phantoms import SIMULATOR_VERSION
    from calcvision.phantoms.sample import MIN_FIELD_MM
    from calcvision.phantoms.writer import SET_FILE, SetSpec, finish, generate

    classes = tuple(c.strip() for c in args.classes.split(",") if c.strip())
    bad = [c for c in classes if c not in CLASSES]
    if bad or not classes:
        raise UsageError(f"--classes: unknown class id(s) {bad}; expected some of: {', '.join(CLASSES)}")
    if args.n < 1:
        raise UsageError(f"--n must be >= 1, got {args.n}")
    if args.seed < 0:
        raise UsageError(f"--seed must be >= 0, got {args.seed}")
    if args.workers < 1:
        raise UsageError(f"--workers must be >= 1, got {args.workers}")
    if args.spacing_mm is not None and not 0.01 <= args.spacing_mm <= 1.0:
        raise UsageError(f"--spacing-mm must be within 0.01-1.0 mm, got {args.spacing_mm}")
    shape = _parse_shape(args.shape)
    if shape is not None and args.spacing_mm is not None and min(shape) * args.spacing_mm < MIN_FIELD_MM:
        raise UsageError(f"--shape x --spacing-mm gives a field under {MIN_FIELD_MM} mm per side")
    if shape is not None and min(shape) * 0.2 < MIN_FIELD_MM and args.spacing_mm is None:
        raise UsageError(f"--shape {args.shape}: even at 0.2 mm per pixel the field is under "
                         f"{MIN_FIELD_MM} mm; give a larger shape or --spacing-mm")
    spec = SetSpec(n=args.n, seed=args.seed, classes=classes, format=args.format, shape=shape,
                   spacing_mm=args.spacing_mm, mix_encodings=args.mix_encodings, simulator=SIMULATOR_VERSION,
                   confuser_p=parse_confusers(args.confuser))
    out: Path = args.out
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    set_file = out / SET_FILE
    if any(out.iterdir()):
        old = _read_set(set_file)
        # the same set, or the same set made larger (sample i depends on i only): resume
        same = old is not None and dataclasses.replace(old, n=spec.n) == spec and spec.n >= old.n
        if not same and not args.overwrite:
            why = "holds no phantom set" if old is None else "holds another phantom set (" + ", ".join(
                f"{k} {getattr(old, k)!r} -> {getattr(spec, k)!r}" for k in vars(spec)
                if getattr(old, k) != getattr(spec, k)) + ")"
            raise UsageError(f"--out {out} is not empty and {why}; choose an empty folder, rerun with the same "
                             "settings to resume, or pass --overwrite")
        if not same:  # --overwrite: start this set afresh (only our own files are replaced)
            for name in ("manifest.csv", "manifest.partial.csv"):
                (out / name).unlink(missing_ok=True)
    set_file.write_text(spec.to_json(), encoding="utf-8")
    rows: dict[int, dict] = {}
    t0, last = time.monotonic(), 0.0
    for k, (i, row) in enumerate(generate(spec, out, workers=args.workers), start=1):
        rows[i] = row
        now = time.monotonic()
        if now - last > 2 or k == spec.n:
            print(f"phantoms: {k}/{spec.n} ({now - t0:.0f}s)", file=sys.stderr, flush=True)
            last = now
    manifest = finish(out, rows)
    print(f"wrote {spec.n} {args.format} phantoms to {out} and {manifest.name} (synthetic; not for clinical use)")
    return 0
