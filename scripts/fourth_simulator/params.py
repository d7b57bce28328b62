"""Configuration access for fourth_simulator: ranges.yaml with a `value` and `source` per entry."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml

_PATH = Path(__file__).with_name("ranges.yaml")


@lru_cache(maxsize=1)
def _cached() -> dict:
    with open(_PATH, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def load_cfg() -> dict:
    """Return the parsed ranges.yaml (a fresh shallow copy of the cached parse)."""
    return dict(_cached())


def V(cfg: dict, key: str) -> Any:
    """The `value` of entry `key`."""
    return cfg[key]["value"]


def U(rng: np.random.Generator, cfg: dict, key: str) -> float:
    """Uniform draw from the [lo, hi] range of entry `key`."""
    lo, hi = V(cfg, key)
    return float(rng.uniform(lo, hi))


def I(rng: np.random.Generator, cfg: dict, key: str) -> int:
    """Integer draw from the inclusive [lo, hi] range of entry `key`."""
    lo, hi = V(cfg, key)
    return int(rng.integers(int(lo), int(hi) + 1))


def P(rng: np.random.Generator, cfg: dict, key: str) -> bool:
    """Bernoulli draw with probability `value` of entry `key`."""
    return bool(rng.random() < float(V(cfg, key)))
