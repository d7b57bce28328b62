"""The ``calcvision`` command. Each subcommand lives in its own module in this package and
exposes ``add_parser(subparsers)`` and ``run(args) -> int``; they are imported lazily so
that ``calcvision ddx`` does not pay for importing torch."""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback

from calcvision import NOT_FOR_CLINICAL_USE, __version__
from calcvision.errors import CalcvisionError

# subcommand name -> module in calcvision.cli holding add_parser/run
SUBCOMMANDS: dict[str, str] = {
    "read": "read_cmd",
    "phantoms": "phantoms_cmd",
    "gallery": "gallery_cmd",
    "train": "train_cmd",
    "evaluate": "evaluate_cmd",
    "export": "export_cmd",
    "recalibrate": "recalibrate_cmd",
    "infer": "infer_cmd",
    "ddx": "ddx_cmd",
    "report": "report_cmd",
}


def _available(only: str | None = None) -> dict[str, object]:
    """Import the subcommand modules (just ``only`` when the command is known)."""
    mods = {}
    for name, modname in SUBCOMMANDS.items():
        if only is not None and name != only:
            continue
        try:
            mods[name] = importlib.import_module(f"calcvision.cli.{modname}")
        except ModuleNotFoundError as exc:
            if exc.name == f"calcvision.cli.{modname}":
                continue  # capability not built yet
            raise
    return mods


def build_parser(mods: dict[str, object]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="calcvision",
        description="Soft-tissue calcification patterns on radiographs. " + NOT_FOR_CLINICAL_USE,
    )
    parser.add_argument("--version", action="version", version=f"calcvision {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for mod in mods.values():
        mod.add_parser(sub)  # type: ignore[attr-defined]
    return parser




def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    positional = [a for a in argv if not a.startswith("-")]
    command = positional[0] if positional and positional[0] in SUBCOMMANDS else None
    mods = _available(command)
    parser = build_parser(mods)
    args = parser.parse_args(argv)  # argparse itself exits 2 with one usage line
    if not args.command:
        parser.print_help()
        return 2
    try:
        return int(mods[args.command].run(args) or 0)  # type: ignore[attr-defined]
    except CalcvisionError as exc:
        if debug:
            traceback.print_exc()
        print(f"calcvision {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and closed: not an error
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print(f"calcvision {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: still one line unless --debug
        if debug:
            traceback.print_exc()
        else:
            print(f"calcvision {args.command}: internal error: {type(exc).__name__}: {exc} "
                  "(rerun with --debug for the traceback)", file=sys.stderr)
        return 1
