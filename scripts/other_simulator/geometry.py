"""Detector grid, pixel windows, axis frames and path lengths (chords) through simple solids.

All lengths in mm; angles in rad from +x towards +y (image y points down).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .params import Rng, Spec, draw

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 (mm)
Point = tuple[float, float]  # x, y (mm)
Slices = tuple[slice, slice]
Window = tuple[Slices, np.ndarray, np.ndarray]  # slices, then xs, ys or u, v (mm)


class Grid(NamedTuple):
    """Detector grid: rows, columns, pixel spacing (mm)."""

    h: int
    w: int
    s: float

    @property
    def width_mm(self) -> float:
        """Image width (mm)."""
        return self.w * self.s

    @property
    def height_mm(self) -> float:
        """Image height (mm)."""
        return self.h * self.s

    @property
    def box(self) -> Box:
        """The whole image as a box (mm)."""
        return 0.0, 0.0, self.width_mm, self.height_mm


def square(centre: Point, r: float) -> Box:
    """Box (mm) of half-side r (mm) around centre (mm)."""
    return centre[0] - r, centre[1] - r, centre[0] + r, centre[1] + r


def window(g: Grid, box: Box) -> Window | None:
    """Pixel slices and pixel-centre coordinates (mm; xs row vector, ys column vector) of a
    box (mm) clipped to the image, or None if it is outside."""
    x0, y0, x1, y1 = box
    c0, c1 = max(0, math.floor(x0 / g.s)), min(g.w, math.ceil(x1 / g.s) + 1)
    r0, r1 = max(0, math.floor(y0 / g.s)), min(g.h, math.ceil(y1 / g.s) + 1)
    if c0 >= c1 or r0 >= r1:
        return None
    xs = ((np.arange(c0, c1, dtype=np.float32) + 0.5) * g.s)[None, :]
    ys = ((np.arange(r0, r1, dtype=np.float32) + 0.5) * g.s)[:, None]
    return (slice(r0, r1), slice(c0, c1)), xs, ys


def full_window(g: Grid) -> Window:
    """window() of the whole image."""
    return window(g, g.box)


def axis_window(g: Grid, box: Box, origin: Point, angle: float) -> Window | None:
    """Pixel slices of a box (mm) clipped to the image and local_uv() of their pixel centres
    for an axis through origin (mm) at angle (rad), or None if the box is outside."""
    win = window(g, box)
    if win is None:
        return None
    sl, xs, ys = win
    u, v = local_uv(xs, ys, origin, angle)
    return sl, u, v


def turned_window(g: Grid, rng: Rng, box: Box, centre: Point) -> Window | None:
    """axis_window() for an axis through centre (mm) at a random angle in [0, pi) rad, drawn
    only when the box is in the image."""
    if window(g, box) is None:
        return None
    return axis_window(g, box, centre, rng.uniform(0, math.pi))


def jittered_centre(rng: Rng, g: Grid, frac: Spec) -> Point:
    """Image centre (mm) moved by a draw of frac times the image size along each axis."""
    W, H = g.width_mm, g.height_mm
    return W / 2 + draw(rng, frac) * W, H / 2 + draw(rng, frac) * H


def inside_box(box: Box, p: Point, margin: float) -> bool:
    """Whether p (mm) lies inside box (mm) at least margin (mm) from its edges."""
    return box[0] + margin < p[0] < box[2] - margin and box[1] + margin < p[1] < box[3] - margin


def local_uv(xs: np.ndarray, ys: np.ndarray, origin: Point, angle: float) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates (mm) across (u) and along (v) an axis through origin (mm) at angle (rad)."""
    c, s = math.cos(angle), math.sin(angle)
    dx, dy = xs - np.float32(origin[0]), ys - np.float32(origin[1])
    return -dx * s + dy * c, dx * c + dy * s


def to_image(origin: Point, angle: float, u: float, v: float) -> Point:
    """Image point (mm) of local coordinates (u across, v along; mm) of an axis."""
    c, s = math.cos(angle), math.sin(angle)
    return origin[0] + v * c - u * s, origin[1] + v * s + u * c


def axial_span(box: Box, origin: Point, angle: float) -> tuple[float, float]:
    """Least and greatest position (mm) along an axis of the corners of a box (mm)."""
    v = [local_uv(np.float32(x), np.float32(y), origin, angle)[1] for x in (box[0], box[2]) for y in (box[1], box[3])]
    return min(v), max(v)


def chord(r: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Path length (mm) through a circle of radius r (mm) at offset u (mm)."""
    return 2.0 * np.sqrt(np.clip(r * r - u * u, 0.0, None))


def ellipse_chord(u: np.ndarray, a: float | np.ndarray, c: float | np.ndarray) -> np.ndarray:
    """Path length (mm) along the beam through an ellipse of in-plane half-width a and depth
    half-axis c (mm) at in-plane offset u (mm)."""
    a = np.maximum(a, 1e-3)
    return 2.0 * c * np.sqrt(np.clip(1.0 - (u / a) ** 2, 0.0, None))


def ellipsoid_chord(u: np.ndarray, v: np.ndarray, a: float, b: float, c: float) -> np.ndarray:
    """Path length (mm) through an ellipsoid with semi-axes a (u), b (v), c (beam), in mm."""
    return 2.0 * c * np.sqrt(np.clip(1.0 - (u / a) ** 2 - (v / b) ** 2, 0.0, None))


def cap_factor(d: np.ndarray, h: float, p: float = 2.0) -> np.ndarray:
    """Radius factor of a superellipsoidal end cap (exponent p; 2 = spheroid) of height h (mm)
    at distance d (mm) from the tip."""
    x = np.clip(d / max(h, 1e-3), 0.0, 1.0)
    return (1.0 - (1.0 - x) ** p) ** (1.0 / p)


def flare(d: np.ndarray, r_end: float) -> np.ndarray:
    """Weight 1 -> 0 of the widened bone end at distance d (mm) from the tip: full width over
    the epiphysis (0.35 r_end), then a concave (trumpet) metaphysis."""
    return np.exp(-((np.clip(d - 0.35 * r_end, 0.0, None) / (0.75 * r_end)) ** 1.3))


def segment_distance(xs: np.ndarray, ys: np.ndarray, p0: Point, p1: Point) -> np.ndarray:
    """In-plane distance (mm) of pixel centres to the segment p0-p1 (mm)."""
    p0, p1 = np.asarray(p0, np.float32), np.asarray(p1, np.float32)
    d = p1 - p0
    ll = float(d @ d) or 1e-6
    t = np.clip(((xs - p0[0]) * d[0] + (ys - p0[1]) * d[1]) / ll, 0.0, 1.0)
    return np.hypot(xs - p0[0] - t * d[0], ys - p0[1] - t * d[1])


def smoothstep(x: np.ndarray) -> np.ndarray:
    """Cubic ramp 0 -> 1 over x in [0, 1]."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)
