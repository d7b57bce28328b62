"""`calcvision ddx`: rank the differential diagnosis for a pattern (or the seven class
probabilities) and a clinical context. Imports no image or model code, so it starts fast."""

from __future__ import annotations

import argparse
import json

from calcvision.errors import InputError, UsageError

HELP = "rank the differential diagnosis for a pattern and clinical context"
EPILOG = """examples:
  calcvision ddx --pattern tumoral_glob --context '{"dialysis": true, "phosphate_mg_dl": 8}'
  calcvision ddx --probs '{"tumoral_glob": 0.8, "sheet": 0.2}' --context case.yaml --json

Context fields: see shared/spec/context.md (unknown fields are never scored).
Research software: not for clinical use."""


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser("ddx", help=HELP, description=HELP.capitalize() + ".", epilog=EPILOG,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pattern", metavar="ID", help="the morphology class id (calcvision.patterns)")
    p.add_argument("--probs", metavar="JSON",
                   help='class probabilities as JSON, e.g. \'{"tumoral_glob": 0.8, "sheet": 0.2}\' (missing = 0)')
    p.add_argument("--context", metavar="FILE|JSON",
                   help="clinical context: a JSON object, or a .json/.yaml file, or a one-row .csv")
    p.add_argument("--json", action="store_true", help="print the JSON object of interfaces.md")
    p.add_argument("--top", type=int, default=10, metavar="N",
                   help="diagnoses to list (rare-but-important ones are always added; 0 = all)")
    return p


def run(args: argparse.Namespace) -> int:
    from calcvision.ddx import rank
    from calcvision.ddx.context import load_contexts

    if (args.pattern is None) == (args.probs is None):
        raise UsageError("give exactly one of --pattern ID or --probs JSON")
    evidence: object = args.pattern
    if args.probs is not None:
        try:
            evidence = json.loads(args.probs)
        except json.JSONDecodeError as exc:
            raise InputError(f"--probs: invalid JSON: {exc.msg} at char {exc.pos}") from None
        if not isinstance(evidence, (dict, list)):
            raise InputError("--probs: expected a JSON object {class: probability}")
    source = load_contexts(args.context)
    if source.is_table:
        if len(source.rows) != 1:
            raise InputError(f"{source.origin}: {len(source.rows)} cases; `calcvision ddx` takes one "
                             "context (a table of cases is for `calcvision infer --context`)")
        context = source.rows[0]
    else:
        context = source.default
    diff = rank(evidence, context)  # type: ignore[arg-type]
    top = None if args.top <= 0 else args.top
    if args.json:
        print(json.dumps(diff.to_dict(top), indent=2))
    else:
        print(diff.render(top or len(diff.diagnoses)))
    return 0
