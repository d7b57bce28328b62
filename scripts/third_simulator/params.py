"""Loading the ranges and probabilities (ranges.yaml) that drive the simulator."""
from __future__ import annotations

from pathlib import Path

import yaml

CFG_PATH = Path(__file__).with_name("ranges.yaml")


def load_cfg(path: Path | None = None) -> dict:
    """The parsed ranges.yaml (every entry has `value` and a `source`)."""
    with open(path or CFG_PATH, "r", encoding="utf-8") as f:
        return yaml.safe_load(f)
