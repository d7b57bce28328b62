"""The scene: per-pixel accumulators that body parts and lesions add to."""

from __future__ import annotations

import numpy as np

from .geometry import Grid

Scene = dict[str, np.ndarray]


def new_scene(g: Grid) -> Scene:
    """Accumulators: line integral L (dimensionless), soft-tissue and bone path (mm), lesion
    HA areal density (g/cm^2)."""
    return {k: np.zeros((g.h, g.w), np.float32) for k in ("L", "soft", "bone", "ha")}
