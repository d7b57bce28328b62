"""Shared lesion helpers: drawing from ranges, choosing sites in the field, adding HA."""
from __future__ import annotations

import math

import numpy as np

from .geometry import Grid
from .scene import Scene

F32 = np.float32


def uni(rng: np.random.Generator, entry) -> float:
    """Uniform draw from a {value: [lo, hi]} entry (or a bare pair)."""
    lo, hi = entry["value"] if isinstance(entry, dict) else entry
    return float(rng.uniform(lo, hi))


def logu(rng: np.random.Generator, entry) -> float:
    """Log-uniform draw from a {value: [lo, hi]} entry (or a bare pair), lo > 0."""
    lo, hi = entry["value"] if isinstance(entry, dict) else entry
    return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def inside(grid: Grid, x: float, y: float, margin: float = 0.0) -> bool:
    """Is the point (mm) inside the field with `margin` mm to spare?"""
    hw, hh = grid.half
    return abs(x) < hw - margin and abs(y) < hh - margin


def add_ha(scene: Scene, prim, rho: float, tex=None) -> None:
    """Add a calcified solid: HA areal density = chord (mm) * rho (g/cm^3) / 10."""
    w = scene.grid.window(prim.bbox())
    if w is None:
        return
    sl, X, Y = w
    c = prim.chord(X, Y)
    if tex is not None:
        c *= tex(X, Y)
    scene.maps["ha"][sl] += c * F32(rho * 0.1)
    scene.maps["lesion"][sl] += c


def add_ha_map(scene: Scene, sl, ha_g_cm2: np.ndarray) -> None:
    """Add a precomputed HA areal-density window (g/cm^2)."""
    scene.maps["ha"][sl] += ha_g_cm2
    scene.maps["lesion"][sl] += ha_g_cm2


def limb_point(limb: dict, t: float, v: float) -> tuple[float, float, float]:
    """Image point at fraction t along a compartment's axis, lateral offset v (mm); and the axis angle."""
    (ax, ay), (bx, by) = limb["a"], limb["b"]
    ang = math.atan2(by - ay, bx - ax)
    x = ax + t * (bx - ax) - v * math.sin(ang)
    y = ay + t * (by - ay) + v * math.cos(ang)
    return x, y, ang


def limb_radius(limb: dict, t: float) -> tuple[float, float]:
    """(skin radius, muscle radius) at fraction t (mm)."""
    r = limb["r"][0] + t * (limb["r"][1] - limb["r"][0])
    return r, max(r - limb["fat"], 0.4 * r)


def limb_span_in_field(grid: Grid, limb: dict, margin: float = 5.0) -> tuple[float, float] | None:
    """Range of t whose axis point lies in the field, or None."""
    ts = [t for t in np.linspace(0, 1, 41) if inside(grid, *limb_point(limb, t, 0)[:2], margin)]
    return (min(ts), max(ts)) if len(ts) >= 3 else None


def limbs_in_field(scene: Scene, names=None) -> list[tuple[dict, tuple[float, float]]]:
    out = []
    for L in scene.landmarks.get("limbs", []):
        if names and L["name"] not in names:
            continue
        span = limb_span_in_field(scene.grid, L)
        if span:
            out.append((L, span))
    return out


def joints_in_field(scene: Scene, margin: float = 10.0) -> list[dict]:
    return [j for j in scene.landmarks.get("joints", []) if inside(scene.grid, *j["c"], margin)]


def smooth_noise(rng: np.random.Generator, shape: tuple[int, int], sigma_px: tuple[float, float]) -> np.ndarray:
    """Gaussian-filtered white noise, normalised to zero mean and unit std (periodic)."""
    f = np.fft.rfft2(rng.standard_normal(shape))
    ky = np.fft.fftfreq(shape[0])[:, None]
    kx = np.fft.rfftfreq(shape[1])[None, :]
    f *= np.exp(-2 * math.pi ** 2 * ((ky * sigma_px[0]) ** 2 + (kx * sigma_px[1]) ** 2))
    g = np.fft.irfft2(f, s=shape)
    g -= g.mean()
    g /= g.std() + 1e-12
    return g.astype(F32)


def smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)
