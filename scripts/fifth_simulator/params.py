"""Load the simulator's ranges and probabilities (ranges.yaml)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

_PATH = Path(__file__).with_name("ranges.yaml")


@lru_cache(maxsize=1)
def _load() -> dict:
    with open(_PATH, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def load_cfg() -> dict:
    """Return the parsed ranges.yaml (each entry a dict with ``value`` and ``source``)."""
    import copy
    return copy.deepcopy(_load())


def v(cfg: dict, key: str):
    """Shortcut: the ``value`` of entry ``key``."""
    return cfg[key]["value"]
