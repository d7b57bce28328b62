"""Lesion-free anatomical look-alikes: sesamoids, accessory ossicles, bone islands, osteophytes,
fracture callus, nutrient canals, growth plates / physeal scars, Harris lines, vascular grooves,
bowel gas and stool, an overlapping contralateral limb (all 'none'-class truths)."""
from __future__ import annotations

import numpy as np

from . import bones, prims, soft
from .scene import Scene, at


def _bone(S: Scene) -> dict | None:
    b = S.sites["bones"]
    return b[int(S.rng.integers(len(b)))] if b else None


def _r_at(b: dict, f: float) -> float:
    return float(np.interp(f, b["s"], b["R"]))


def sesamoid_or_ossicle(S: Scene) -> None:
    """Small corticated ossicle near a joint (fabella, hallux/thumb sesamoid, os trigonum ...)."""
    sites = S.sites["peri"] or [(S.W / 2, S.H / 2, 40)]
    x, y, r = sites[int(S.rng.integers(len(sites)))]
    a = S.rng.uniform(0, 6.28)
    px, py = x + np.cos(a) * r * S.rng.uniform(0.3, 0.8), y + np.sin(a) * r * S.rng.uniform(0.3, 0.8)
    sz = S.rng.uniform(2.5, 7)
    S.cv.add("bone", prims.ellipsoid(S.cv, px, py, sz, sz * S.rng.uniform(0.6, 1), sz, a, 0.8,
                                     S.rho_c, S.rho_t * 1.3, off=S.off()))


def bone_island(S: Scene) -> None:
    b = _bone(S)
    if b is None:
        return
    f = S.rng.choice([S.rng.uniform(0.02, 0.12), S.rng.uniform(0.88, 0.98)])
    R = _r_at(b, f)
    x, y = at(b["x"], b["y"], b["ang"], f * b["L"], S.rng.uniform(-0.5, 0.5) * R)
    a = S.rng.uniform(2, 9)
    S.cv.add("bone", prims.ellipsoid(S.cv, x, y, a, a * S.rng.uniform(0.5, 0.9), a, b["ang"], a, S.rho_c * 0.8, 0.0,
                                     tex_on=False))


def osteophyte(S: Scene) -> None:
    """Marginal spur at a bone end, pointing away from the axis."""
    b = _bone(S)
    if b is None:
        return
    end = S.rng.random() < 0.5
    f = 0.99 if end else 0.01
    sd = S.rng.choice([-1, 1])
    R = _r_at(b, f)
    x, y = at(b["x"], b["y"], b["ang"], f * b["L"], sd * R * 0.95)
    a = b["ang"] + sd * S.rng.uniform(0.8, 1.6) * (1 if end else -1)
    S.cv.add("bone", prims.tube(S.cv, x, y, a, S.rng.uniform(3, 9), [0, 1], [2.5, 0.6], [1, 0.6], [1, 1],
                                S.rho_c, S.rho_t, 1, 0.5, off=S.off()))


def callus(S: Scene) -> None:
    """Healed fracture: fusiform cortical thickening with a faint sclerotic line across the shaft."""
    b = _bone(S)
    if b is None or b["L"] < 120:
        return
    f = S.rng.uniform(0.3, 0.7)
    R = _r_at(b, f)
    L = S.rng.uniform(25, 60)
    x, y = at(b["x"], b["y"], b["ang"], f * b["L"] - L / 2, 0)
    S.cv.add("bone", prims.tube(S.cv, x, y, b["ang"], L, [0, .5, 1], [R, R * S.rng.uniform(1.15, 1.4), R],
                                [0, R * 0.25, 0], [0, 0.3, 0], S.rho_c * 0.7, S.rho_t, 0.5, 0.5, off=S.off()))
    _band(S, b, f + S.rng.normal(0, 0.005), 0.8, 0.06 * S.rho_c, S.rng.uniform(-0.3, 0.3))


def _band(S: Scene, b: dict, f: float, width: float, amount: float, tilt: float = 0.0, wav: float = 0.0) -> None:
    """Transverse band across a bone at fraction f (mm width; +amount sclerotic, - lucent; g/cm^3*cm)."""
    R = _r_at(b, f)
    x, y = at(b["x"], b["y"], b["ang"], f * b["L"], 0)
    ph = S.rng.uniform(0, 6.28)

    def fn(u, v):
        uu = u - tilt * v - wav * np.sin(v / max(R, 1) * 5 + ph)
        return np.exp(-(uu / width) ** 2) * chord_frac(v, R) * amount
    S.cv.add("bone", prims.shape_patch(S.cv, x, y, b["ang"], R + 3, fn))


def chord_frac(v, R):
    return prims.chord(np.float32(R * R), v * v) * 0.1


def growth_plates(S: Scene) -> None:
    """Children: lucent wavy physes; adults (sometimes): thin sclerotic physeal scars."""
    for b in S.sites["bones"]:
        for f in (0.06, 0.94) if b["L"] > 100 else (0.08,):
            if S.child:
                _band(S, b, f, S.rng.uniform(0.8, 1.6), -S.rho_t * 0.9, wav=S.rng.uniform(0.5, 2))
            elif S.rng.random() < 0.5:
                _band(S, b, f, 0.35, S.rho_t * S.rng.uniform(0.3, 0.8), wav=S.rng.uniform(0.3, 1.2))


def harris_lines(S: Scene) -> None:
    b = _bone(S)
    if b is None:
        return
    for _ in range(int(S.rng.integers(1, 5))):
        f = S.rng.choice([S.rng.uniform(0.1, 0.2), S.rng.uniform(0.8, 0.9)])
        _band(S, b, f, S.rng.uniform(0.25, 0.5), S.rho_t * S.rng.uniform(0.6, 1.5))


def nutrient_canal(S: Scene) -> None:
    """Oblique lucent line through one cortex of a shaft."""
    b = _bone(S)
    if b is None:
        return
    f, sd = S.rng.uniform(0.3, 0.6), S.rng.choice([-1, 1])
    R = _r_at(b, f)
    x, y = at(b["x"], b["y"], b["ang"], f * b["L"], sd * R * 0.85)
    S.cv.add("bone", prims.rod(S.cv, x, y, b["ang"] + sd * S.rng.uniform(0.2, 0.5), S.rng.uniform(8, 18),
                               S.rng.uniform(0.4, 0.8), -S.rho_c * 0.6))


def vascular_groove(S: Scene) -> None:
    b = _bone(S)
    if b is None:
        return
    f = S.rng.uniform(0.2, 0.8)
    x, y = at(b["x"], b["y"], b["ang"], f * b["L"], S.rng.normal(0, 3))
    pts = [at(x, y, b["ang"] + S.rng.normal(0, 0.4), 9 * k, 3 * np.sin(k)) for k in range(6)]
    for p0, p1 in zip(pts[:-1], pts[1:]):
        a, L = np.arctan2(p1[1] - p0[1], p1[0] - p0[0]), np.hypot(p1[0] - p0[0], p1[1] - p0[1])
        S.cv.add("bone", prims.rod(S.cv, *p0, a, L, 0.7, -S.rho_c * 0.25))


def bowel(S: Scene) -> None:
    """Bowel gas loops and mottled stool in pelvic fields (coarse cavities)."""
    for x, y, r in S.sites["gas"]:
        for _ in range(int(S.rng.integers(3, 14))):
            a = S.rng.uniform(0, 6.28)
            d = r * np.sqrt(S.rng.random())
            cx, cy = x + d * np.cos(a), y + d * np.sin(a)
            if S.rng.random() < 0.5:
                soft.cavity(S, cx, cy, S.rng.uniform(10, 35), S.rng.uniform(6, 15), S.rng.uniform(10, 25), a)
            else:
                for _ in range(int(S.rng.integers(8, 30))):
                    soft.cavity(S, cx + S.rng.normal(0, 10), cy + S.rng.normal(0, 10), *(S.rng.uniform(1.5, 4, 2)),
                                S.rng.uniform(2, 5))


def contralateral(S: Scene) -> None:
    """Part of the other limb overlapping one edge of the field."""
    sd = S.rng.choice([-1, 1])
    x = S.W / 2 + sd * S.W * S.rng.uniform(0.45, 0.62)
    R = S.rng.uniform(35, 70)
    soft.limb(S, x, -30, np.pi / 2 + S.rng.normal(0, 0.08), S.H + 60, [R, R * 0.9], S.rng.uniform(4, 15), 1.0,
              site=False)
    name = "femur" if R > 55 else ("tibia" if R > 45 else "radius")
    bones.long_bone(S, name, x, S.rng.uniform(-0.5, -0.1) * S.H, np.pi / 2, 0.9 if R > 45 else 1.0)
