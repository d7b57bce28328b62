"""Soft tissue on the coarse canvas: limb/trunk thickness maps (fat shell around muscle), lungs and
gas, clustered lumpy fat/muscle heterogeneity, fascial planes, vessels and skin folds (g/cm^2)."""
from __future__ import annotations

import numpy as np

from . import fields, prims
from .scene import Scene

FAT, MUSCLE = 0.92, 1.05   # g/cm^3


def limb(S: Scene, x: float, y: float, ang: float, L: float, radii: list[float], fat: float,
         depth: float = 1.0, caps: tuple[float, float] = (0.6, 0.6), site: bool = True,
         union: bool = False) -> dict:
    """Limb or trunk segment: radius profile ``radii`` (mm) along L from (x, y); subcutaneous fat
    ``fat`` mm; ``depth`` = AP/width ratio of the cross-section."""
    x, y = S.pt(x, y)
    ang = S.ang(ang)
    s = np.linspace(0, 1, len(radii))
    r = np.asarray(radii, float)
    t = np.full_like(r, fat)
    put = S.soft.add_max if union else S.soft.add
    put("fat", prims.tube(S.soft, x, y, ang, L, s, r, t, t * 0 + 1, FAT, 0.0, *caps, depth=depth))
    put("muscle", prims.tube(S.soft, x, y, ang, L, s, r, t, t * 0 + 1, 0.0, MUSCLE, *caps, depth=depth))
    g = {"x": x, "y": y, "ang": ang, "L": L, "s": s, "R": r, "fat": fat, "depth": depth}
    if site:
        S.sites["limb"].append(g)
    return g


def cavity(S: Scene, x: float, y: float, a: float, b: float, c: float, ang: float = 0.0) -> None:
    """Air-filled cavity (lung, bowel gas): removes muscle path length (mm) over an ellipsoid."""
    x, y = S.pt(x, y)
    S.soft.add("muscle", prims.ellipsoid(S.soft, x, y, a, b, c, S.ang(ang), 0.0, -MUSCLE, -MUSCLE))


def heterogeneity(S: Scene) -> None:
    """Exchange fat and muscle with a clustered lumpy field; add fascial planes, vessels, skin folds."""
    sc, rng = S.cfg["soft_tissue"]["value"], S.rng
    fat, mus = S.soft.layer("fat"), S.soft.layer("muscle")
    np.maximum(mus, 0, out=mus)
    sig = rng.uniform(*sc["lumpy_sigma_mm"]) / S.soft.sp
    lump = fields.lumpy(rng, S.soft.shape, int(rng.integers(*sc["lumpy_clusters"])), tuple(sc["lumpy_blobs"]),
                        max(sig, 2.0))
    lump = 2.0 * np.tanh(lump / 2.0)                  # heavy-tailed sparse clusters -> bounded contrast
    delta = rng.uniform(*sc["lumpy_gain"]) * lump * np.minimum(mus, fat + 0.3 * mus)
    h, w = S.soft.shape
    Y, X = np.mgrid[0:h, 0:w].astype(np.float32) * np.float32(S.soft.sp)
    for g in S.sites["limb"]:
        u, v = prims.local(X, Y, g["x"], g["y"], g["ang"])
        rmax = float(np.max(g["R"]))
        for _ in range(int(rng.integers(*sc["fascial_planes"]))):      # fascial planes: thin fat lines
            vp = rng.uniform(-0.75, 0.75) * rmax + rng.uniform(2, 9) * np.sin(u / rng.uniform(40, 160) + rng.uniform(0, 6))
            band = np.exp(-((v - vp) / rng.uniform(0.8, 2.0)) ** 2)
            delta -= band * mus * rng.uniform(0.04, 0.12)
        for _ in range(int(rng.integers(*sc["vessels"]))):              # unopacified vessels in fat
            vp = rng.choice([-1, 1]) * rng.uniform(0.6, 0.95) * rmax + rng.uniform(2, 6) * np.sin(u / rng.uniform(30, 90))
            r = rng.uniform(1.5, 4.0)
            delta += prims.chord(np.float32(r * r), (v - vp) ** 2) * 0.1 * MUSCLE * 0.8
        if rng.random() < sc["p_skin_fold"]:                            # skin fold: curved crease line
            up = rng.uniform(0.2, 0.8) * g["L"]
            band = np.exp(-((u - up - 0.002 * v ** 2) / 1.2) ** 2) * (np.abs(v) < 0.9 * rmax)
            delta += band * rng.uniform(0.15, 0.4)
    fat -= delta
    mus += delta
    np.maximum(fat, 0, out=fat)
    np.maximum(mus, 0, out=mus)
