"""`calcvision export [--model FILE] --out DIR [--format torchscript|onnx|both]`."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="export a model to TorchScript / ONNX (checked against PyTorch)")
    p.add_argument("--model", default=None, help="model file (default: the shipped model)")
    p.add_argument("--out", required=True, help="output folder (model.pt, model.onnx, model.json)")
    p.add_argument("--format", choices=("torchscript", "onnx", "both"), default="both")


def run(args: argparse.Namespace) -> int:
    from calcvision.model.checkpoint import load_model
    from calcvision.model.export import export_model

    model = load_model(args.model)
    formats = ("torchscript", "onnx") if args.format == "both" else (args.format,)
    res = export_model(model, args.out, formats)
    for k in ("torchscript", "onnx", "metadata"):
        if res[k]:
            print(f"wrote {res[k]}")
    for k, v in res["max_abs_diff"].items():  # type: ignore[union-attr]
        print(f"{k}: max |p - p_pytorch| = {v:.2e} (ok)")
    return 0
