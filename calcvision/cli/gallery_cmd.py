"""``calcvision gallery``: a labelled PNG montage of phantoms of every class (full view with
the lesion box + zoom on the lesion), to see what the simulator makes."""

from __future__ import annotations

import argparse
from pathlib import Path

from calcvision.errors import UsageError
from calcvision.patterns import CLASSES


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("gallery", help="render a PNG montage of phantoms of every class",
                       description="Render a montage: one row per class, several examples each as full view "
                                   "(red: lesion box, blue: zoomed area) and zoom on the lesion.")
    p.add_argument("--out", required=True, type=Path, help="PNG file to write")
    p.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    p.add_argument("--per-class", type=int, default=3, help="examples per class (default 3)")
    p.add_argument("--classes", default=",".join(CLASSES), help="comma-separated class ids (default: all)")
    p.add_argument("--tile", type=int, default=200, help="tile size in pixels (default 200)")
    p.add_argument("--confuser", action="append", default=[], metavar="NAME=P",
                   help="probability of a confuser of ranges.yaml, e.g. hardware=1 (metal) or annotation=1 "
                        "(burned-in text); repeatable")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out file")


def run(args: argparse.Namespace) -> int:
    from calcvision.cli.phantoms_cmd import parse_confusers
    from calcvision.phantoms.montage import render_montage
    from calcvision.phantoms.sample import make_phantom_and_twin

    classes = [c.strip() for c in args.classes.split(",") if c.strip()]
    bad = [c for c in classes if c not in CLASSES]
    if bad or not classes:
        raise UsageError(f"--classes: unknown class id(s) {bad}; expected some of: {', '.join(CLASSES)}")
    if not 1 <= args.per_class <= 20 or not 64 <= args.tile <= 1024:
        raise UsageError("--per-class must be 1-20 and --tile 64-1024")
    if args.out.suffix.lower() != ".png":
        raise UsageError(f"--out must be a .png file, got {args.out}")
    if args.out.exists() and not args.overwrite:
        raise UsageError(f"--out {args.out} exists; pass --overwrite to replace it")
    confuser_p = dict(parse_confusers(args.confuser))
    rows = [(c, [make_phantom_and_twin(c, args.seed, i, twin=False, confuser_p=confuser_p)[0]
                 for i in range(args.per_class)]) for c in classes]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    render_montage(rows, tile=args.tile).save(args.out)
    print(f"wrote {args.out} ({len(classes)} classes x {args.per_class}; synthetic, not for clinical use)")
    return 0
