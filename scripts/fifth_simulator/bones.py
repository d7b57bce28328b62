"""Statistical shape models of bones: a mean projected outline per bone (radius, cortex and
cancellous-fill profiles along the axis, mm; anatomy textbooks' adult sizes) + random modes."""
from __future__ import annotations

import numpy as np

from . import prims
from .scene import Scene, at

# name: (length, s, radius, cortex, cancellous fill, cap0, cap1)
LONG = {
    "femur": (440, [0, .05, .12, .2, .5, .75, .85, .92, .97, 1], [24, 22, 17, 14.5, 13, 14, 17, 25, 30, 30],
              [1.5, 2.5, 4.5, 6, 7, 6, 3.5, 1.6, 1.2, 1.0], [1, 1, .6, .1, 0, .1, .5, .9, 1, 1], .5, .2),
    "tibia": (370, [0, .04, .1, .2, .5, .8, .92, 1], [37, 35, 26, 16, 11.5, 12, 18, 23],
              [1.2, 1.5, 2.5, 4.5, 5.5, 5, 2.5, 1.2], [1, 1, .8, .3, 0, .1, .7, 1], .12, .2),
    "fibula": (360, [0, .05, .12, .5, .85, .95, 1], [12, 11, 7, 6.5, 8, 12, 11],
               [1, 1.2, 2.5, 3, 2.5, 1.2, 1], [1, 1, .4, 0, .3, 1, 1], .8, .8),
    "humerus": (320, [0, .06, .15, .3, .6, .85, .93, 1], [25, 24, 14, 12, 11, 15, 26, 30],
                [1.2, 1.5, 3.5, 5, 5, 3.5, 1.5, 1.2], [1, 1, .5, .1, 0, .3, .9, 1], .6, .25),
    "radius": (235, [0, .04, .1, .2, .5, .85, .95, 1], [11, 10.5, 7, 8, 8, 12, 17, 18],
               [1.2, 1.5, 2.5, 3, 3.2, 2.2, 1.2, 1], [1, 1, .4, .2, 0, .4, 1, 1], .35, .15),
    "ulna": (255, [0, .04, .1, .2, .5, .85, .96, 1], [13, 14, 11, 9, 7, 6.5, 8.5, 8.5],
             [1.2, 1.5, 2.5, 3.5, 3.2, 2.5, 1.2, 1], [1, 1, .6, .2, 0, .2, 1, 1], .9, .6),
    "metacarpal": (65, [0, .1, .3, .7, .9, 1], [7, 6, 4.2, 4.2, 6.2, 6.8], [1, 1.4, 1.9, 1.9, 1.2, 1],
                   [1, .8, .1, .1, .8, 1], .4, .9),
    "phalanx": (40, [0, .12, .4, .8, 1], [6.5, 5, 3.8, 4.2, 5], [1, 1.3, 1.6, 1.3, 1], [1, .7, .2, .6, 1], .3, .7),
    "phalanx_distal": (20, [0, .2, .6, .9, 1], [5.5, 4.2, 3, 4, 4.2], [1, 1.2, 1.2, 1, .8], [1, .7, .3, 1, 1], .3, .4),
    "metatarsal": (72, [0, .1, .3, .7, .9, 1], [8, 6.5, 4.5, 4.5, 6.5, 7], [1, 1.4, 2.0, 2.0, 1.2, 1],
                   [1, .8, .1, .1, .8, 1], .4, .9),
}


def long_bone(S: Scene, name: str, x: float, y: float, ang: float, scale: float = 1.0,
              canonical: bool = True, extra: list | None = None, anchor: float = 0.0,
              geo_only_patches: list | None = None) -> dict:
    """Draw one long bone along ``ang`` with the point at fraction ``anchor`` of its length at (x, y)
    (0: proximal end); returns its geometry (start, angle, length, radius profile) after the modes."""
    if canonical:
        x, y = S.pt(x, y)
        ang = S.ang(ang)
    L, s, R, t, tr, c0, c1 = LONG[name]
    m = S.modes()
    L = L * m["len"] * scale
    x, y = x - anchor * L * np.cos(ang), y - anchor * L * np.sin(ang)
    s = np.asarray(s, float)
    end = np.abs(2 * s - 1) ** 3
    R = np.asarray(R, float) * m["wid"] * scale * (1 + m["flare"] * end)
    t = np.asarray(t, float) * m["cortex"] * scale ** 0.5
    bow = m["bow"] * (L / 400.0)
    off = S.off()
    patches = [prims.tube(S.cv, x, y, ang, L, s, R, t, tr, S.rho_c, S.rho_t, c0, c1, bow, off=off, parts=True)]
    geo = {"x": x, "y": y, "ang": ang, "L": L, "s": s, "R": R, "name": name, "off": off}
    for du, dv, a, b, c, sh in extra or []:
        px, py = at(x, y, ang, du * L, dv * scale)
        patches.append(prims.ellipsoid(S.cv, px, py, a * scale, b * scale, c * scale, ang, sh,
                                       S.rho_c, S.rho_t, off=off, parts=True))
    if geo_only_patches is not None:
        geo_only_patches.extend(patches)
    else:
        S.cv.add_solid_union("bone", patches, S.rho_c, S.rho_t)
    S.sites["bones"].append(geo)
    if L * scale > 150:
        for f in (0.3, 0.45, 0.6, 0.75):
            S.sites["shaft"].append((*at(x, y, ang, f * L, 0), ang, float(np.interp(f, s, R))))
    return geo


def femur(S: Scene, x: float, y: float, ang: float, m: int, proximal: bool, distal: bool,
          anchor: float = 0.0) -> dict:
    """Femur with head/neck/trochanters (``proximal``) and condyles (``distal``); m = +-1 medial side."""
    ex = []
    if distal:
        ex += [(1.0, 19 * m, 20, 17, 30, 1.2), (1.0, -21 * m, 21, 17, 30, 1.2)]
    if proximal:
        ex += [(0.0, -18 * m, 22, 14, 25, 1.5), (0.13, 12 * m, 10, 6, 8, 1.2)]
    pend: list = []
    g = long_bone(S, "femur", x, y, ang, extra=ex, anchor=anchor, geo_only_patches=pend)
    if proximal:
        na = g["ang"] + m * np.deg2rad(130)       # neck-shaft angle ~130 deg
        nx, ny = at(g["x"], g["y"], g["ang"], 0.06 * g["L"], 4 * m)
        L = 55 * S.modes()["len"]
        hx, hy = nx + L * np.cos(na), ny + L * np.sin(na)
        r = 23 * S.modes()["wid"]
        pend.append(prims.tube(S.cv, nx, ny, na, L, [0, 1], [16, 15], [2.2, 1.5], [.8, 1], S.rho_c, S.rho_t,
                               1, 1, off=g["off"], parts=True))
        pend.append(prims.ellipsoid(S.cv, hx, hy, r, r, r, na, 1.2, S.rho_c, S.rho_t, off=g["off"], parts=True))
        g["head"] = (hx, hy, r)
    S.cv.add_solid_union("bone", pend, S.rho_c, S.rho_t)
    return g


def tibia_fibula(S: Scene, x: float, y: float, ang: float, m: int, scale: float = 1.0,
                 anchor: float = 0.0) -> tuple[dict, dict]:
    """Tibia (plateau at anchor 0) and fibula lateral to it (m = +-1 medial side)."""
    ext = [(0.0, 5, 6, 4, 8, 1.0), (0.0, -5, 6, 4, 8, 1.0), (1.0, 17 * m, 12, 8, 10, 1.2)]
    tib = long_bone(S, "tibia", x, y, ang, scale, extra=ext, anchor=anchor)
    fx, fy = at(tib["x"], tib["y"], tib["ang"], 14 * scale, -27 * m * scale)
    fib = long_bone(S, "fibula", fx, fy, tib["ang"] + m * 0.01, scale * tib["L"] / 370 * 1.02, canonical=False)
    return tib, fib


def humerus(S: Scene, x: float, y: float, ang: float, m: int, anchor: float = 0.0) -> dict:
    """Humerus (head at anchor 0); capitellum/trochlea and epicondyles distally."""
    ex = [(0.03, 10 * m, 24, 24, 24, 1.3), (0.03, -18 * m, 14, 10, 14, 1.2),
          (1.0, 11 * m, 11, 12, 14, 1.0), (1.0, -10 * m, 10, 10, 12, 1.0), (0.95, 30 * m, 9, 7, 8, 1.0)]
    return long_bone(S, "humerus", x, y, ang, extra=ex, anchor=anchor)


def radius_ulna(S: Scene, x: float, y: float, ang: float, m: int, scale: float = 1.0,
                anchor: float = 0.0) -> tuple[dict, dict]:
    """Ulna (olecranon at anchor 0) and radius lateral to it (m = +-1: side of the ulna)."""
    ul = long_bone(S, "ulna", x, y, ang, scale, extra=[(0.06, -6 * m, 9, 6, 8, 1.0)], anchor=anchor)
    rx, ry = at(ul["x"], ul["y"], ul["ang"], 25 * scale, -22 * m * scale)
    ra = long_bone(S, "radius", rx, ry, ul["ang"] - m * 0.03, scale, canonical=False,
                   extra=[(1.0, -14 * m, 8, 5, 6, 1.0)])
    return ra, ul


def short_bones(S: Scene, x: float, y: float, ang: float, table: list, scale: float = 1.0) -> list:
    """Carpals / tarsals / patella as cortical-shelled ellipsoids: rows (dx, dy, a, b, c, ang_deg)."""
    x, y = S.pt(x, y)
    ang = S.ang(ang)
    out = []
    for dx, dy, a, b, c, ad in table:
        j = S.rng.normal(1, 0.06)
        px, py = at(x, y, ang, dy * scale, dx * scale)
        harm = [(S.rng.normal(0, 0.07), S.rng.uniform(0, 6.28)) for _ in range(3)]
        p = prims.ellipsoid(S.cv, px, py, a * scale * j, b * scale * j, c * scale * j, ang + np.deg2rad(ad),
                            0.7, S.rho_c * 0.8, S.rho_t * 2.2, off=S.off(), harm=harm)
        S.cv.add("bone", p)
        out.append((px, py, a * scale, b * scale))
    return out


def digit_ray(S: Scene, x: float, y: float, ang: float, bones: list[str], scales: list[float],
              gap: float = 1.5) -> list[dict]:
    """Metacarpal/metatarsal + phalanges in a row from (x, y) along ``ang`` with joint gaps (mm)."""
    out = []
    for nm, sc in zip(bones, scales):
        g = long_bone(S, nm, x, y, ang + S.rng.normal(0, 0.03), sc)
        out.append(g)
        x, y = at(x, y, ang, g["L"] + gap * sc, 0)
    return out
