"""The documented parameter ranges (``ranges.yaml``) and how one value is drawn from them."""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import yaml

RANGES_PATH = Path(__file__).with_name("ranges.yaml")
_FORMS = ("range", "p", "choices", "value")


@functools.lru_cache(maxsize=1)
def ranges() -> dict[str, Any]:
    """The parsed ``ranges.yaml`` (cached; treat as read-only)."""
    with RANGES_PATH.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def iter_entries(node: Any = None, prefix: str = ""):
    """Yield ``(dotted_name, entry)`` for every parameter entry in ``ranges.yaml``."""
    node = ranges() if node is None else node
    for key, val in node.items():
        if not isinstance(val, dict):
            continue
        name = f"{prefix}{key}"
        if any(f in val for f in _FORMS):
            yield name, val
        else:
            yield from iter_entries(val, name + ".")


def draw(rng: np.random.Generator, spec: dict[str, Any]) -> Any:
    """Draw one value from an entry of ``ranges.yaml`` (forms documented at its top)."""
    if "value" in spec:
        return spec["value"]
    if "p" in spec:
        return bool(rng.random() < spec["p"])
    if "choices" in spec:
        keys = list(spec["choices"])
        w = np.asarray([spec["choices"][k] for k in keys], dtype=float)
        return keys[int(rng.choice(len(keys), p=w / w.sum()))]
    lo, hi = spec["range"]
    if spec.get("dist") == "log":
        x = math.exp(rng.uniform(math.log(lo), math.log(hi + (1 if spec.get("int") else 0))))
    else:
        x = rng.uniform(lo, hi + (1 if spec.get("int") else 0))
    return min(int(x), hi) if spec.get("int") else float(x)


class Section:
    """Draws named parameters of one ``ranges.yaml`` section with one generator and records
    every value drawn (``.drawn``), so a sample can report exactly what made it."""

    def __init__(self, rng: np.random.Generator, path: str, record: dict[str, Any],
                 p: Mapping[str, float] | None = None):
        node = ranges()
        for part in path.split("."):
            node = node[part]
        self.rng, self.node, self.path, self.record = rng, node, path, record
        self.p = dict(p or {})  # probabilities that replace the `p` of those entries of this section

    def __call__(self, name: str) -> Any:
        spec = self.node[name] if name not in self.p else {**self.node[name], "p": self.p[name]}
        val = draw(self.rng, spec)
        self.record[f"{self.path}.{name}"] = val
        return val

    def bounds(self, name: str) -> tuple[float, float]:
        lo, hi = self.node[name]["range"]
        return float(lo), float(hi)


def check_confuser_p(p: dict[str, float]) -> dict[str, float]:
    """``p`` if every key is a ``confusers`` switch of ranges.yaml and every value a
    probability in 0-1; ValueError naming the first that is not."""
    flags = sorted(k for k, e in ranges()["confusers"].items() if isinstance(e, dict) and "p" in e)
    for k, v in p.items():
        if k not in flags:
            raise ValueError(f"unknown confuser {k!r}; expected some of {flags}")
        if not 0.0 <= v <= 1.0:
            raise ValueError(f"confuser_p.{k} must be a probability in 0-1, got {v}")
    return p


def describe(spec: dict[str, Any]) -> str:
    """Human-readable form of one entry's distribution."""
    if "value" in spec:
        return f"= {spec['value']}"
    if "p" in spec:
        return f"p = {spec['p']}"
    if "choices" in spec:
        return ", ".join(f"{k} ({w})" for k, w in spec["choices"].items())
    lo, hi = spec["range"]
    kind = "log-uniform" if spec.get("dist") == "log" else "uniform"
    return f"{lo} - {hi} ({'integer, ' if spec.get('int') else ''}{kind})"


def markdown_table(prefix: str = "") -> str:
    """The entries of ``ranges.yaml`` under ``prefix`` as a markdown table (for the docs)."""
    lines = ["| parameter | distribution | source |", "|---|---|---|"]
    for name, spec in iter_entries():
        if name.startswith(prefix):
            lines.append(f"| `{name}` | {describe(spec)} | {spec.get('source', '')} |")
    return "\n".join(lines)

