"""Canonical layouts of the extremity fields (limb axis vertical, proximal at the top, mm)."""
from __future__ import annotations

import numpy as np

from . import bones, soft
from .scene import Scene, at

DOWN = np.pi / 2


def _joint(S: Scene, x, y, a, b, ang, t0, t1, dots=(), canonical=True):
    """Register an articular surface arc (ellipse centred (x, y), semi-axes a along ang, b across)."""
    if canonical:
        x, y = S.pt(x, y)
        ang = S.ang(ang)
    S.sites["joint"].append({"x": x, "y": y, "a": a, "b": b, "ang": ang, "t0": t0, "t1": t1,
                             "dots": list(dots)})


def _peri(S: Scene, x, y, r, canonical=True):
    """Register a periarticular site (joint centre, radius of the joint region, mm)."""
    if canonical:
        x, y = S.pt(x, y)
    S.sites["peri"].append((x, y, r))


def _fat(S: Scene) -> float:
    return float(S.rng.uniform(3, 22))


def knee(S: Scene) -> None:
    r, W, H = S.rng, S.W, S.H
    m = int(r.choice([-1, 1]))
    cx, yj = W / 2 + r.normal(0, 0.04 * W), H * r.uniform(0.42, 0.6)
    if r.random() < S.cfg["p_lateral"]["value"]:
        return knee_lateral(S, m, cx, yj)
    soft.limb(S, cx, -30, DOWN, H + 60, [r.uniform(60, 78), r.uniform(50, 60), r.uniform(46, 58)], _fat(S), 0.95)
    tib, _ = bones.tibia_fibula(S, cx, yj + 3, DOWN, m)
    fem = bones.femur(S, cx, yj - 24, DOWN, m, proximal=False, distal=True, anchor=1.0)
    bones.short_bones(S, cx - 4 * m, yj - 32, DOWN, [(0, 0, 22, 20, 11, 0)])     # patella
    for side in (19 * m, -21 * m):
        cxy = at(fem["x"], fem["y"], fem["ang"], fem["L"], side)
        dots = [at(*cxy, fem["ang"], 22, side * 0.9), at(*cxy, fem["ang"], 22, side * 0.2)]
        _joint(S, *cxy, 20, 17, fem["ang"], -1.2, 1.2, dots, canonical=False)
    _peri(S, cx, yj, 55)


def thigh(S: Scene) -> None:
    r, W, H = S.rng, S.W, S.H
    m = int(r.choice([-1, 1]))
    cx = W / 2 + r.normal(0, 0.05 * W)
    soft.limb(S, cx, -20, DOWN, H + 40, [r.uniform(75, 95), r.uniform(62, 80), r.uniform(52, 66)], _fat(S), 0.9)
    fem = bones.femur(S, cx + 8 * m, H * r.uniform(-0.4, 0.1), DOWN, m, proximal=True, distal=True)
    if fem["y"] + fem["L"] < S.H + 20:
        _peri(S, *at(fem["x"], fem["y"], fem["ang"], fem["L"], 0), 50, canonical=False)


def leg(S: Scene) -> None:
    r, W, H = S.rng, S.W, S.H
    m = int(r.choice([-1, 1]))
    cx = W / 2 + r.normal(0, 0.05 * W)
    soft.limb(S, cx, -20, DOWN, H + 40, [r.uniform(48, 60), r.uniform(45, 58), r.uniform(30, 38)], _fat(S), 1.0)
    y0 = r.uniform(-0.1, 0.12) * H
    tib, _ = bones.tibia_fibula(S, cx, y0, DOWN, m)
    _peri(S, cx, y0, 50)


def ankle(S: Scene) -> None:
    r, W, H = S.rng, S.W, S.H
    m = int(r.choice([-1, 1]))
    cx, yj = W / 2 + r.normal(0, 0.04 * W), H * r.uniform(0.5, 0.62)
    if r.random() < S.cfg["p_lateral"]["value"]:
        return ankle_lateral(S, m, cx, yj)
    soft.limb(S, cx, -20, DOWN, H + 40, [r.uniform(36, 44), r.uniform(32, 38), r.uniform(38, 44), r.uniform(44, 55)],
              _fat(S), 1.05)
    bones.tibia_fibula(S, cx, yj - 2, DOWN, m, anchor=1.0)
    bones.short_bones(S, cx, yj + 16, DOWN, [(0, 0, 17, 19, 24, 0), (-4 * m, 32, 30, 24, 30, 0)])
    _joint(S, *S.pt(cx, yj + 16), 17, 19, S.ang(-DOWN), -1.0, 1.0, [S.pt(cx + 18 * m, yj)],
           canonical=False)
    _peri(S, cx, yj, 45)


def foot(S: Scene) -> None:
    r, W, H = S.rng, S.W, S.H
    m = int(r.choice([-1, 1]))
    cx, yb = W / 2 + r.normal(0, 0.03 * W), H * r.uniform(0.72, 0.85)
    UP = -DOWN
    soft.limb(S, cx, yb + 70, UP, 250, [r.uniform(30, 38), r.uniform(40, 50), r.uniform(42, 52), r.uniform(30, 40)],
              _fat(S), 0.55, caps=(0.3, 0.5))
    tars = [(0, -30, 20, 17, 22, 0), (-4 * m, -62, 30, 20, 30, 0), (8 * m, 0, 10, 18, 14, 0),
            (-16 * m, -6, 14, 12, 16, 0), (16 * m, 14, 9, 7, 12, 0), (5 * m, 16, 9, 6, 12, 0), (-5 * m, 14, 8, 6, 12, 0)]
    bones.short_bones(S, cx, yb, UP, tars)
    for k, dx in enumerate([16, 5, -5, -14, -22]):
        sc = 1.5 if k == 0 else 1.0 - 0.03 * k
        ph = ["metatarsal", "phalanx", "phalanx_distal"] if k == 0 else ["metatarsal", "phalanx", "phalanx", "phalanx_distal"]
        scs = [sc, 0.8 * sc, 0.9 * sc] if k == 0 else [sc, 0.75 * sc, 0.45 * sc, 0.7 * sc]
        bones.digit_ray(S, cx + dx * m, yb - 25, UP + m * (0.12 - 0.06 * k), ph, scs)
    S.sites["vein"].append((*S.pt(cx, yb - 40), 40.0))
    _peri(S, cx, yb - 80, 40)


def arm(S: Scene) -> None:
    r, W, H = S.rng, S.W, S.H
    m = int(r.choice([-1, 1]))
    cx = W / 2 + r.normal(0, 0.05 * W)
    soft.limb(S, cx, -20, DOWN, H + 40, [r.uniform(45, 60), r.uniform(40, 52), r.uniform(36, 45)], _fat(S), 0.95)
    hum = bones.humerus(S, cx, H * r.uniform(-0.2, 0.12), DOWN, m)
    _peri(S, *at(hum["x"], hum["y"], hum["ang"], hum["L"], 0), 45, canonical=False)


def elbow(S: Scene) -> None:
    r, W, H = S.rng, S.W, S.H
    m = int(r.choice([-1, 1]))
    cx, yj = W / 2 + r.normal(0, 0.04 * W), H * r.uniform(0.42, 0.55)
    soft.limb(S, cx, -30, DOWN, H + 60, [r.uniform(40, 50), r.uniform(42, 50), r.uniform(32, 40)], _fat(S), 0.9)
    hum = bones.humerus(S, cx, yj - 8, DOWN, m, anchor=1.0)
    bones.radius_ulna(S, cx + 8 * m, yj - 14, DOWN, m)
    cxy = at(hum["x"], hum["y"], hum["ang"], hum["L"], -10 * m)
    _joint(S, *cxy, 10, 10, hum["ang"], -1.2, 1.2, [], canonical=False)
    _peri(S, cx, yj, 45)


def forearm(S: Scene) -> None:
    r, W, H = S.rng, S.W, S.H
    m = int(r.choice([-1, 1]))
    cx = W / 2 + r.normal(0, 0.05 * W)
    soft.limb(S, cx, -20, DOWN, H + 40, [r.uniform(38, 46), r.uniform(30, 38), r.uniform(25, 30)], _fat(S), 0.75)
    bones.radius_ulna(S, cx + 10 * m, H * r.uniform(-0.15, 0.08), DOWN, m)


def _hand_bones(S: Scene, cx: float, yw: float, m: int, rays: bool) -> None:
    UP = -DOWN
    carp = [(-14 * m, 0, 12, 7, 9, 60 * m), (-1 * m, -2, 8, 7, 9, 0), (10 * m, 0, 7, 6, 8, 0), (13 * m, -4, 5, 5, 6, 0),
            (-20 * m, 14, 8, 7, 9, 0), (-9 * m, 17, 6, 6, 8, 0), (1 * m, 16, 11, 7, 10, 0), (11 * m, 14, 9, 8, 9, 0)]
    bones.short_bones(S, cx, yw, UP, carp)
    bones.radius_ulna(S, cx + 2 * m, yw + 12, UP, -m, anchor=1.0)
    if rays:
        angs = [-0.55, -0.12, -0.02, 0.06, 0.15]
        xs = [-22, -10, 0, 10, 18]
        for k in range(5):
            seq = ["metacarpal", "phalanx", "phalanx_distal"] if k == 0 else ["metacarpal", "phalanx", "phalanx", "phalanx_distal"]
            sc = [0.75, 0.8, 1.1] if k == 0 else [1.0 - 0.04 * abs(k - 2), 1.05, 0.65, 0.95]
            bones.digit_ray(S, cx + xs[k] * m, yw - 26, UP + m * angs[k], seq, sc)


def wrist(S: Scene) -> None:
    r, W, H = S.rng, S.W, S.H
    m = int(r.choice([-1, 1]))
    cx, yw = W / 2 + r.normal(0, 0.03 * W), H * r.uniform(0.45, 0.58)
    soft.limb(S, cx, H + 30, -DOWN, H + 40, [r.uniform(26, 32), r.uniform(30, 36), r.uniform(38, 46)], _fat(S), 0.55)
    _hand_bones(S, cx, yw, m, rays=True)
    _joint(S, *S.pt(cx - 6 * m, yw + 30), 22, 14, S.ang(-DOWN), -0.8, 0.8,
           [S.pt(cx + 14 * m, yw + 10)], canonical=False)
    _peri(S, cx, yw, 35)


def hand(S: Scene) -> None:
    r, W, H = S.rng, S.W, S.H
    m = int(r.choice([-1, 1]))
    cx, yw = W / 2 + r.normal(0, 0.03 * W), H * r.uniform(0.72, 0.8)
    soft.limb(S, cx, H + 30, -DOWN, 90 + H - yw, [r.uniform(26, 32), r.uniform(42, 50), r.uniform(44, 52)],
              _fat(S) * 0.4, 0.45, caps=(0.6, 0.3))
    for k, dx in enumerate([-34, -12, 0, 12, 23]):       # fingers as soft tubes
        a = -DOWN + m * [-0.55, -0.12, -0.02, 0.06, 0.15][k]
        x0, y0 = cx + dx * m, yw - (40 if k == 0 else 88)
        soft.limb(S, x0, y0, a, 60 if k == 0 else 85, [10, 8.5, 7], 2.0, 0.9, site=False)
    _hand_bones(S, cx, yw, m, rays=True)
    S.sites["vein"].append((*S.pt(cx, yw - 60), 35.0))
    _peri(S, cx, yw, 30)
    _peri(S, cx, yw - 100, 30)


def knee_lateral(S: Scene, p: int, cx: float, yj: float) -> None:
    """Lateral knee: overlapping condyles, patella in profile, flexed tibia, fibular head behind."""
    r = S.rng
    flex = np.deg2rad(r.uniform(0, 35))
    soft.limb(S, cx, -30, DOWN, yj + 30, [r.uniform(65, 80), r.uniform(55, 62)], _fat(S), 1.0, union=True)
    soft.limb(S, cx, yj - 20, DOWN - p * flex, S.H, [r.uniform(52, 60), r.uniform(48, 58), r.uniform(40, 50)],
              _fat(S), 1.0, union=True)
    fem = bones.long_bone(S, "femur", cx, yj - 30, DOWN, extra=[(1.0, 8 * p, 27, 30, 38, 1.2)], anchor=1.0)
    tx, ty = S.pt(cx, yj + 2)
    tib = bones.long_bone(S, "tibia", tx, ty, S.ang(DOWN - p * flex), canonical=False,
                          extra=[(0.08, -22 * p, 12, 8, 20, 1.0)])
    fx, fy = at(tib["x"], tib["y"], tib["ang"], 14, 14 * p)
    bones.long_bone(S, "fibula", fx, fy, tib["ang"], canonical=False)
    px, py = at(fem["x"], fem["y"], fem["ang"], fem["L"] - 12, -38 * p)
    S.cv.add("bone", bones.prims.ellipsoid(S.cv, px, py, 22, 10, 22, fem["ang"] - p * 0.2, 1.0, S.rho_c * 0.8,
                                           S.rho_t * 2, off=S.off()))
    cxy = at(fem["x"], fem["y"], fem["ang"], fem["L"], 8 * p)
    dots = [at(*cxy, fem["ang"], 30, 20 * p), at(*cxy, fem["ang"], 30, -18 * p)]
    t0, t1 = (-0.4, 1.3) if p > 0 else (-1.3, 0.4)         # distal + posterior articular surface
    _joint(S, *cxy, 27, 30, fem["ang"], t0, t1, dots, canonical=False)
    _peri(S, *cxy, 60, canonical=False)


def ankle_lateral(S: Scene, p: int, cx: float, yj: float) -> None:
    """Lateral ankle: tibia/fibula overlapping, talar dome, calcaneus, midfoot toward the front."""
    r = S.rng
    fwd = 0.0 if p < 0 else np.pi                      # direction of the toes
    soft.limb(S, cx, -20, DOWN, yj + 25, [r.uniform(38, 46), r.uniform(34, 40)], _fat(S), 1.0, union=True)
    hx, hy = cx + p * 45, yj + 42
    soft.limb(S, hx, hy, fwd, 240, [r.uniform(28, 34), r.uniform(30, 36), r.uniform(22, 28), r.uniform(14, 18)],
              _fat(S), 1.25, caps=(0.8, 0.5), union=True, site=False)
    bones.tibia_fibula(S, cx, yj - 2, DOWN, p, anchor=1.0)
    fx, fy = S.pt(cx + p * 8, yj + 8)
    S.cv.add("bone", bones.prims.ellipsoid(S.cv, fx, fy, 22, 8, 10, S.ang(DOWN), 1.0, S.rho_c, S.rho_t))
    tab = [(0, 14, 16, 24, 20, 0), (-p * 18, 42, 20, 42, 24, 0), (p * 34, 30, 13, 11, 20, 0),
           (p * 44, 48, 14, 14, 20, 0), (p * 56, 36, 10, 12, 18, 0)]
    tab = [(-dx, dy, a, b, c, ad) for dx, dy, a, b, c, ad in tab]
    bones.short_bones(S, cx, yj, DOWN, tab)
    _joint(S, *S.pt(cx, yj + 14), 16, 24, S.ang(-DOWN), -1.1, 1.1, [], canonical=False)
    _peri(S, cx, yj + 10, 45)
