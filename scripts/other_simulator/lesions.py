"""The six lesion renderers by class id, and the box of a rendered lesion (pixels)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .analytic_lesions import (
    lesion_chondrocalcinosis,
    lesion_phlebolith,
    lesion_rice_grain,
    lesion_sheet,
)
from .geometry import Box, Grid
from .params import Cfg, Rng
from .scene import Scene
from .voxel_lesions import lesion_trabeculated, lesion_tumoral_glob

# renderer(scene, grid, rng, cfg, anatomy info, collimated field in mm) -> whether it was placed
LesionFn = Callable[[Scene, Grid, Rng, Cfg, dict, Box], bool]

LESIONS: dict[str, LesionFn] = {
    "rice_grain": lesion_rice_grain,
    "phlebolith_ring": lesion_phlebolith,
    "sheet": lesion_sheet,
    "tumoral_glob": lesion_tumoral_glob,
    "chondrocalcinosis_line": lesion_chondrocalcinosis,
    "trabeculated_ossification": lesion_trabeculated,
}


def lesion_box(ha: np.ndarray) -> tuple[int, int, int, int] | None:
    """Pixel box (x0, y0, x1, y1; x1/y1 exclusive) of the lesion's visible HA (g/cm^2), where
    it is at least 0.01 g/cm^2 and 5 % of its peak."""
    peak = float(ha.max())
    if peak <= 0:
        return None
    rows, cols = np.nonzero(ha >= max(0.01, 0.05 * peak))
    if rows.size == 0:
        return None
    return int(cols.min()), int(rows.min()), int(cols.max()) + 1, int(rows.max()) + 1
