"""Where a lesion may go: soft-tissue points and ellipses lying in the body (mm)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .geometry import Box, Grid, Point, axis_window, square
from .params import Rng
from .scene import Scene


def px(g: Grid, p: Point) -> tuple[int, int]:
    """(row, col) of an image point (mm), clipped to the image."""
    return int(np.clip(p[1] / g.s, 0, g.h - 1)), int(np.clip(p[0] / g.s, 0, g.w - 1))


def in_soft(sc: Scene, g: Grid, p: Point, min_soft: float = 8.0, avoid_bone: bool = True) -> bool:
    """Whether a point (mm) lies in soft tissue (path >= min_soft mm), off bone if asked."""
    r, c = px(g, p)
    inside = 0 <= p[0] < g.width_mm and 0 <= p[1] < g.height_mm
    return inside and sc["soft"][r, c] >= min_soft and (not avoid_bone or sc["bone"][r, c] <= 0)


def sample_site(rng: Rng, sc: Scene, g: Grid, field: Box, margin: float, min_soft: float = 10.0,
                avoid_bone: bool = True, tries: int = 400) -> Point | None:
    """A random soft-tissue point (mm) inside the field at least margin (mm) from its edges."""
    x0, y0, x1, y1 = field
    m = min(margin, 0.45 * (x1 - x0), 0.45 * (y1 - y0))
    for _ in range(tries):
        p = (rng.uniform(x0 + m, x1 - m), rng.uniform(y0 + m, y1 - m))
        if in_soft(sc, g, p, min_soft, avoid_bone):
            return p
    return None


def fraction_in_body(sc: Scene, g: Grid, centre: Point, angle: float, a: float, b: float,
                     min_soft: float = 4.0) -> float:
    """Share of an in-plane ellipse (semi-axes a across, b along angle; mm) over soft tissue
    at least min_soft (mm) thick."""
    win = axis_window(g, square(centre, max(a, b)), centre, angle)
    if win is None:
        return 0.0
    sl, u, v = win
    inside = (u / a) ** 2 + (v / b) ** 2 <= 1
    full = math.pi * a * b / g.s**2
    return float((sc["soft"][sl][inside] >= min_soft).sum() / max(full, 1.0))


def fit_ellipse(sc: Scene, g: Grid, centre_fn: Callable[[float, float], Point | None], a: float, b: float,
                angle: float, need: float = 0.9, tries: int = 25) -> tuple[Point, float, float] | None:
    """Find a centre (from centre_fn(a, b)) where the ellipse lies in the body, shrinking a, b
    (mm) by 10 % after every 5 failed tries. Returns (centre, a, b) or None."""
    for i in range(tries):
        if i and i % 5 == 0:
            a, b = 0.9 * a, 0.9 * b
        c = centre_fn(a, b)
        if c is not None and fraction_in_body(sc, g, c, angle, a, b) >= need:
            return c, a, b
    return None
