"""Things on real radiographs that are not calcification: lead side markers and letters in
an acrylic holder, skin folds, and the collimator shutters (mask of the exposed field)."""
from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

from .geometry import Capsule, Grid
from .scene import Scene

F32 = np.float32

# stroke font in a 4 x 7 box (y down): list of polylines per glyph
FONT = {
    "L": [[(0, 0), (0, 7), (4, 7)]],
    "R": [[(0, 7), (0, 0), (3, 0), (4, 1), (4, 3), (3, 4), (0, 4)], [(2, 4), (4, 7)]],
    "A": [[(0, 7), (2, 0), (4, 7)], [(1, 4.5), (3, 4.5)]],
    "P": [[(0, 7), (0, 0), (3, 0), (4, 1), (4, 3), (3, 4), (0, 4)]],
    "T": [[(0, 0), (4, 0)], [(2, 0), (2, 7)]],
    "1": [[(1, 1), (2, 0), (2, 7)], [(1, 7), (3, 7)]],
    "2": [[(0, 1), (1, 0), (3, 0), (4, 1), (4, 3), (0, 7), (4, 7)]],
}
WORDS = ["L", "R", "L", "R", "AP", "PA", "LAT", "R1", "L2"]


def markers(scene: Scene, rng: np.random.Generator, cfg: dict) -> list[str]:
    """Lead letters (1-1.5 mm thick) in a 5-8 mm acrylic holder near a field corner."""
    g = scene.grid
    hw, hh = g.half
    out = []
    n = 1 if rng.random() < 0.75 else 2
    for _ in range(n):
        word = WORDS[int(rng.integers(len(WORDS)))]
        hgt = float(rng.uniform(*cfg["marker_height_mm"]["value"]))
        unit = hgt / 7
        wid = unit * (5.5 * len(word) - 1.5)
        cx = float(rng.choice([-1, 1])) * (hw - wid / 2 - rng.uniform(5, 0.25 * hw))
        cy = float(rng.choice([-1, 1])) * (hh - hgt / 2 - rng.uniform(5, 0.25 * hh))
        ang = float(rng.normal(0, 0.08)) + (math.pi if rng.random() < 0.1 else 0.0)
        lead = float(rng.uniform(1.0, 1.5))
        ca, sa = math.cos(ang), math.sin(ang)

        def P(px, py):
            x, y = px - wid / 2, py - hgt / 2
            return cx + ca * x - sa * y, cy + sa * x + ca * y

        pad = unit * 2.0
        box = (cx - wid / 2 - pad * 1.5, cy - hgt / 2 - pad * 1.5, cx + wid / 2 + pad * 1.5, cy + hgt / 2 + pad * 1.5)
        win = g.window(box)
        if win is None:
            continue
        sl, X, Y = win
        holder = float(rng.uniform(5, 8))
        u = (X - F32(cx)) * F32(ca) + (Y - F32(cy)) * F32(sa)
        v = -(X - F32(cx)) * F32(sa) + (Y - F32(cy)) * F32(ca)
        hm = np.clip((wid / 2 + pad - np.abs(u)) / g.s, 0, 1) * np.clip((hgt / 2 + pad - np.abs(v)) / g.s, 0, 1)
        scene.maps["soft_x"][sl] += F32(holder) * hm
        ink = np.zeros(hm.shape, F32)
        r = unit * 0.6
        for i, ch in enumerate(word):
            for line in FONT[ch]:
                for (x0, y0), (x1, y1) in zip(line[:-1], line[1:]):
                    a0 = P((x0 + 5.5 * i) * unit, y0 * unit)
                    a1 = P((x1 + 5.5 * i) * unit, y1 * unit)
                    _, d2 = Capsule(*a0, *a1, r, r).param(X, Y)
                    np.maximum(ink, np.clip((r - np.sqrt(d2)) / g.s + 0.5, 0, 1), out=ink)
        scene.maps["lead"][sl] += F32(lead) * ink
        out.append(word)
    return out


def skin_fold(scene: Scene, rng: np.random.Generator, cfg: dict) -> bool:
    """A skin fold: extra soft tissue with a sharp curved edge fading away on one side."""
    g = scene.grid
    body = scene.maps["skin"] > 5
    ys, xs = np.nonzero(body[:: 16, :: 16])
    if len(xs) == 0:
        return False
    i = int(rng.integers(len(xs)))
    px, py = g.x0 + xs[i] * 16 * g.s, g.y0 + ys[i] * 16 * g.s
    R = float(rng.uniform(*cfg["fold_radius_mm"]["value"]))
    phi = float(rng.uniform(0, 2 * math.pi))
    ccx, ccy = px - R * math.cos(phi), py - R * math.sin(phi)
    X, Y = g.coords()
    d = np.sqrt((X - F32(ccx)) ** 2 + (Y - F32(ccy)) ** 2) - F32(R)
    ang = np.arctan2(Y - F32(ccy), X - F32(ccx))
    da = np.abs(((ang - F32(phi)) + F32(math.pi)) % F32(2 * math.pi) - F32(math.pi))
    span = float(rng.uniform(20, 120)) / R
    lam = float(rng.uniform(4, 20))
    amp = float(rng.uniform(*cfg["fold_soft_mm"]["value"]))
    edge = np.clip(d / g.s + 0.5, 0, 1) * np.exp(-np.maximum(d, 0) / F32(lam))
    along = np.clip((F32(span) - da) / F32(span * 0.3), 0, 1)
    scene.maps["soft_x"] += F32(amp) * edge * along * body
    return True


def shutter_mask(grid: Grid, rng: np.random.Generator, cfg: dict) -> np.ndarray:
    """1 inside the collimated (exposed) field, 0 under the shutters, with a 0.3-0.6 mm penumbra."""
    if rng.random() >= cfg["p_shutter"]["value"]:
        return np.ones((grid.h, grid.w), F32)
    hw, hh = grid.half
    m = [rng.uniform(0, cfg["shutter_margin_max"]["value"]) if rng.random() < 0.7 else 0.0 for _ in range(4)]
    ang = float(rng.normal(0, 0.02))
    X, Y = grid.coords()
    u = X * F32(math.cos(ang)) + Y * F32(math.sin(ang))
    v = -X * F32(math.sin(ang)) + Y * F32(math.cos(ang))
    inside = ((u > -hw * (1 - m[0])) & (u < hw * (1 - m[1])) & (v > -hh * (1 - m[2])) & (v < hh * (1 - m[3])))
    pen = float(rng.uniform(0.3, 0.6)) / grid.s
    return ndimage.gaussian_filter(inside.astype(F32), pen)
