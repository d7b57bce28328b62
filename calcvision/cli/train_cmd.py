"""`calcvision train --config configs/NAME.yaml [key.sub=value ...]`."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a model from a YAML config (phantoms and/or a local dataset)",
                       description="Train, calibrate (temperature on validation tiles), evaluate on held-out "
                                   "phantoms and write a model file. Overrides: key.sub=value, e.g. "
                                   "trainer.max_epochs=2 data.local.path=my_manifest.csv init_from=default")
    p.add_argument("--config", required=True, help="YAML training config (see configs/)")
    p.add_argument("overrides", nargs="*", help="config overrides key.sub=value (value parsed as YAML)")


def run(args: argparse.Namespace) -> int:
    from calcvision.model.checkpoint import DEFAULT_MODEL
    from calcvision.model.config import load_config
    from calcvision.model.train import train

    cfg = load_config(args.config, args.overrides)
    if cfg.init_from == "default":
        cfg.init_from = str(DEFAULT_MODEL)
    train(cfg)
    return 0
