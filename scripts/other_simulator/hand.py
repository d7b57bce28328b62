"""A PA hand: forearm bone ends, carpals, metacarpals and phalanges in soft tissue (mm)."""

from __future__ import annotations

import math

import numpy as np

from .bones import add_ellipsoid_bone, add_long_bone, bone_params
from .geometry import (
    Grid,
    Point,
    ellipse_chord,
    full_window,
    jittered_centre,
    segment_distance,
    to_image,
)
from .params import Cfg, Mu, Rng, draw, random_sign
from .scene import Scene

# hand geometry at scale 1 (mm, hand frame: u across with thumb side negative, v from wrist
# towards the fingers); adult hand proportions.
_MC_BASE_U = [-16.0, -5.0, 5.0, 15.0]
_MC_HEAD = [(-24.0, 95.0), (-8.0, 97.0), (8.0, 93.0), (23.0, 87.0)]
_PHAL_LEN = [(40, 24, 17), (45, 28, 19), (42, 26, 18), (33, 19, 16)]
_CARPALS = [(-15, 11, 9.5, 6.5, 10), (-3, 10, 7.5, 7.5, 10), (8.5, 11, 7, 6.5, 9), (12, 7, 5, 5, 6),
            (-20, 25, 7.5, 7.5, 9), (-11, 27, 6, 7, 8), (-1, 25, 7, 10, 10), (10, 24, 8, 9, 10)]


def build_hand(sc: Scene, g: Grid, mu: Mu, rng: Rng, cfg: Cfg, tex: np.ndarray) -> dict:
    """PA hand: radius/ulna ends, carpals, metacarpals and phalanges in a soft-tissue union of
    capsules (forearm, wrist, palm, fingers, thenar). Returns anatomy info."""
    an = cfg["anatomy"]
    k = draw(rng, an["hand_scale"])
    mirror = random_sign(rng)
    ang = -math.pi / 2 + math.radians(draw(rng, an["axis_tilt_deg"]) * 0.6)
    centre = jittered_centre(rng, g, an["centre_jitter_frac"])
    wrist = to_image(centre, ang, 0.0, -80.0 * k)

    def P(u: float, v: float) -> Point:
        return to_image(wrist, ang, mirror * u * k, v * k)

    fat_frac = draw(rng, an["hand_soft_fat_frac"])
    mu_soft = fat_frac * mu["fat"] + (1 - fat_frac) * mu["muscle"]
    spread = math.radians(draw(rng, an["finger_spread_deg"]))
    # rays: list of (start point, direction angles, [(length, r_shaft, r_base, r_head)])
    rays, caps, joints = [], [], []
    for i in range(4):
        base, head = P(_MC_BASE_U[i], 32.0), P(*_MC_HEAD[i])
        mc_ang = math.atan2(head[1] - base[1], head[0] - base[0])
        f_ang = mc_ang + mirror * (i - 1.5) * spread * 0.5
        r0 = [3.8, 3.8, 3.4, 3.1][i]
        segs = [(math.dist(base, head), r0, 5.4, 5.2)]
        phalanges = zip(_PHAL_LEN[i], (3.4, 3.0, 2.4), (4.6, 3.9, 3.6), (4.0, 3.4, 2.8), strict=True)
        segs += [(L * k, rr, rb, rh) for L, rr, rb, rh in phalanges]
        rays.append((base, [mc_ang] + [f_ang] * 3, segs))
        tip = to_image(head, f_ang, 0.0, sum(s[0] for s in segs[1:]) + 6 * k)
        caps.append((head, tip, (8.5 if i < 3 else 7.5) * k, 8.0 * k))
        joints.append((head, 5.5 * k))
    t_base = P(-22.0, 26.0)
    t_ang = ang - mirror * math.radians(rng.uniform(32, 48))
    t_segs = [(42 * k, 4.2, 5.5, 5.2), (31 * k, 3.7, 4.8, 4.2), (24 * k, 3.0, 4.0, 3.0)]
    rays.append((t_base, [t_ang] * 3, t_segs))
    t_mcp = to_image(t_base, t_ang, 0.0, 42 * k)
    caps.append((to_image(t_base, t_ang, 0.0, 10 * k), to_image(t_base, t_ang, 0.0, 105 * k), 10.5 * k, 10.0 * k))
    caps.append((P(-10, 15), t_mcp, 14 * k, 14 * k))
    caps += [(P(0, -400), P(0, 0), 31 * k, 22 * k), (P(0, 0), P(0, 25), 33 * k, 19 * k), (P(-2, 40), P(0, 85), 44 * k, 14 * k)]
    _, xs, ys = full_window(g)
    thick = np.zeros((g.h, g.w), np.float32)
    for p0, p1, a, c in caps:
        thick = np.maximum(thick, ellipse_chord(segment_distance(xs, ys, p0, p1), a, c))
    sc["L"] += mu_soft * thick / 10.0
    sc["soft"] += thick
    gap = rng.uniform(1.5, 2.5) * k
    for start, angs, segs in rays:
        pos = start
        for (L, rs, rb, rh), a_ in zip(segs, angs, strict=True):
            rs, rb, rh = rs * k, rb * k, rh * k
            b = {"p0": pos, "angle": a_, "length": L, "r_ends": (rb, rh), "caps": (0.35 * rb, 0.8 * rh),
                 **bone_params(rng, cfg, rs)}
            add_long_bone(sc, g, mu, tex, mu_soft, b)
            pos = to_image(pos, a_, 0.0, L + gap)
            joints.append((pos, rh))
    bp = bone_params(rng, cfg, 5.0)
    for cu, cv, a, b_, c in _CARPALS:
        f = rng.uniform(0.9, 1.1)
        add_ellipsoid_bone(sc, g, mu, tex, mu_soft, P(cu, cv), ang + rng.uniform(-0.4, 0.4),
                           (a * k * f, b_ * k * f, c * k), bp["t_end"], bp["bvf"], bp["tex_amp"])
    for u0, v_end, rs, re, hc in ((-6.0, -1.0, 9.0, 15.0, 6.0), (17.0, -5.0, 6.5, 8.5, 6.0)):
        b = {"p0": P(u0, v_end - 400), "angle": ang, "length": 400 * k, "r_ends": (rs * k, re * k),
             "caps": (rs * k, hc * k), **bone_params(rng, cfg, rs * k)}
        add_long_bone(sc, g, mu, tex, mu_soft, b)
    return {"kind": "hand", "env": None, "fibre_angle": ang, "joints": [], "joint_points": joints, "shafts": []}
