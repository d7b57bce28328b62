"""The parameter file (ranges.yaml) and random draws from its entries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import yaml

RANGES_PATH = Path(__file__).with_name("ranges.yaml")

Spec = dict[str, Any]
Cfg = dict[str, Any]
Rng = np.random.Generator
Mu = dict[str, float]  # linear attenuation (cm^-1) per tissue; "ha": mass attenuation (cm^2/g)


def load_cfg(path: Path = RANGES_PATH) -> Cfg:
    """The YAML parameter file as a dict."""
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def draw(rng: Rng, spec: Spec) -> float:
    """Uniform draw from spec['range']."""
    lo, hi = spec["range"]
    return float(rng.uniform(lo, hi))


def draw_int(rng: Rng, spec: Spec) -> int:
    """Integer draw from spec['range'] (inclusive)."""
    lo, hi = spec["range"]
    return int(rng.integers(int(lo), int(hi) + 1))


def pick(rng: Rng, spec: Spec) -> str:
    """Weighted choice from spec['choices']."""
    w = np.asarray(spec["weights"], float)
    return str(spec["choices"][int(rng.choice(len(w), p=w / w.sum()))])


def chance(rng: Rng, spec: Spec) -> bool:
    """True with probability spec['value']."""
    return bool(rng.random() < float(spec["value"]))


def random_sign(rng: Rng) -> float:
    """+1.0 or -1.0 with equal odds."""
    return 1.0 if rng.random() < 0.5 else -1.0


def materials(cfg: Cfg, kev: float) -> Mu:
    """Linear attenuation (cm^-1) of the tissues and HA mass attenuation (cm^2/g) at kev (keV)."""
    m = cfg["materials"]
    e = m["energies_kev"]["value"]
    out = {k[3:]: float(np.interp(kev, e, v["value"])) for k, v in m.items() if k.startswith("mu_")}
    out["ha"] = float(np.interp(kev, e, m["muovrho_ha"]["value"]))
    return out
