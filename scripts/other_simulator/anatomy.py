"""Body parts rendered into a scene: limb shaft, large joint, hand, hip/shoulder-like trunk.

Each builder returns an info dict for lesion placement: kind, env (envelope or None),
fibre_angle (rad), joints, joint_points ((centre, radius) in mm) and shafts.
"""

from __future__ import annotations

import math

import numpy as np

from .bones import add_flat_bone, add_long_bone, bone_params
from .filters import bandpass_noise
from .geometry import Grid, ellipsoid_chord, square, to_image, turned_window
from .hand import build_hand
from .params import Cfg, Mu, Rng, chance, draw, draw_int, random_sign
from .scene import Scene
from .soft_tissue import add_envelope, limb_envelope


def build_limb(sc: Scene, g: Grid, mu: Mu, rng: Rng, cfg: Cfg, tex: np.ndarray, a0: float) -> dict:
    """Long-bone shaft view: one or two parallel bones in a limb of half-width a0 (mm)."""
    an = cfg["anatomy"]
    env = limb_envelope(rng, cfg, g, a0)
    r1 = draw(rng, an["bone_radius_mm"])
    if chance(rng, an["two_bones_prob"]):
        r2 = r1 * draw(rng, an["second_bone_radius_frac"])
        sep = r1 + r2 + rng.uniform(4, 15)
        env["a0"] = max(env["a0"], sep / 2 + r1 + env["fat"] + 8)
        offs = [(-sep / 2, r1), (sep / 2, r2)] if rng.random() < 0.5 else [(sep / 2, r1), (-sep / 2, r2)]
    else:
        offs = [(rng.uniform(-0.25, 0.25) * (env["a0"] - env["fat"] - r1), r1)]
        env["a0"] = max(env["a0"], r1 + env["fat"] + 10)
    add_envelope(sc, g, mu, rng, cfg, env)
    span = 1.5 * max(g.w, g.h) * g.s
    shafts = []
    for u0, r in offs:
        p0 = to_image(env["origin"], env["angle"], u0, -span)
        b = {"p0": p0, "angle": env["angle"], "length": 2 * span, "r_ends": (r, r), "caps": (r, r), **bone_params(rng, cfg, r)}
        add_long_bone(sc, g, mu, tex, mu["muscle"], b)
        shafts.append({"p0": p0, "angle": env["angle"], "length": 2 * span, "r": r})
    return {"kind": "limb", "env": env, "fibre_angle": env["angle"], "joints": [], "joint_points": [], "shafts": shafts}


def build_joint(sc: Scene, g: Grid, mu: Mu, rng: Rng, cfg: Cfg, tex: np.ndarray, a0: float) -> dict:
    """Large joint (knee/elbow/ankle-like): two coaxial bones with flared capped ends and a
    joint gap (mm), optional small parallel bone, in a limb of half-width a0 (mm)."""
    an = cfg["anatomy"]
    env = limb_envelope(rng, cfg, g, a0)
    gap = draw(rng, an["joint_gap_mm"])
    r_up = draw(rng, an["bone_radius_mm"])
    r_lo = r_up * rng.uniform(0.85, 1.1)
    re_up, re_lo = r_up * draw(rng, an["joint_end_radius_frac"]), r_lo * draw(rng, an["joint_end_radius_frac"])
    h_up, h_lo = re_up * draw(rng, an["joint_cap_upper_frac"]), re_lo * draw(rng, an["joint_cap_lower_frac"])
    env["a0"] = max(env["a0"], max(re_up, re_lo) + env["fat"] + rng.uniform(6, 20))
    env["bulge"], env["bulge_len"] = draw(rng, an["joint_bulge"]), 2.0 * max(re_up, re_lo)
    add_envelope(sc, g, mu, rng, cfg, env)
    J, ang = env["origin"], env["angle"]
    span = 1.5 * max(g.w, g.h) * g.s
    up = {"p0": to_image(J, ang, 0.0, -gap / 2 - span), "angle": ang, "length": span,
          "r_ends": (r_up, re_up), "caps": (r_up, h_up), "cap_p": (2.0, draw(rng, an["joint_cap_upper_exponent"])),
          **bone_params(rng, cfg, r_up)}
    lo = {"p0": to_image(J, ang, 0.0, gap / 2), "angle": ang, "length": span,
          "r_ends": (re_lo, r_lo), "caps": (h_lo, r_lo), "cap_p": (draw(rng, an["joint_cap_lower_exponent"]), 2.0),
          **bone_params(rng, cfg, r_lo)}
    for b in (up, lo):
        add_long_bone(sc, g, mu, tex, mu["muscle"], b)
    shafts = [{"p0": up["p0"], "angle": ang, "length": span - 2.5 * re_up, "r": r_up},
              {"p0": to_image(J, ang, 0.0, gap / 2 + 2.5 * re_lo), "angle": ang, "length": span, "r": r_lo}]
    if chance(rng, an["fibula_prob"]):
        side = random_sign(rng)
        rf = r_lo * rng.uniform(0.3, 0.45)
        start = gap / 2 + rng.uniform(8, 25)
        fib = {"p0": to_image(J, ang, side * re_lo * rng.uniform(0.75, 0.95), start), "angle": ang, "length": span,
               "r_ends": (rf * 1.5, rf), "caps": (rf, rf), **bone_params(rng, cfg, rf)}
        add_long_bone(sc, g, mu, tex, mu["muscle"], fib)
    joint = {"centre": J, "angle": ang, "gap": gap, "upper": (re_up, h_up), "lower": (re_lo, h_lo)}
    return {"kind": "joint", "env": env, "fibre_angle": ang, "joints": [joint],
            "joint_points": [(J, max(re_up, re_lo))], "shafts": shafts}


def add_gas(sc: Scene, g: Grid, mu: Mu, rng: Rng, cfg: Cfg) -> None:
    """A few gas pockets (tissue replaced by gas) in a trunk field."""
    an = cfg["anatomy"]
    for _ in range(draw_int(rng, an["gas_count"])):
        r = draw(rng, an["gas_size_mm"]) / 2
        c = (rng.uniform(0.1, 0.9) * g.w * g.s, rng.uniform(0.05, 0.5) * g.h * g.s)
        win = turned_window(g, rng, square(c, 2 * r), c)
        if win is None:
            continue
        sl, u, v = win
        path = ellipsoid_chord(u, v, r, r * rng.uniform(0.5, 1.0), r * rng.uniform(0.3, 0.8))
        sc["L"][sl] -= mu["muscle"] * path / 10.0


def build_trunk(sc: Scene, g: Grid, mu: Mu, rng: Rng, cfg: Cfg, tex: np.ndarray) -> dict:
    """Hip/shoulder-like wide field: thick trunk envelope (wider than the field), a long bone
    with a spherical head, a flat bone with a socket, optional gas."""
    an = cfg["anatomy"]
    W, H = g.width_mm, g.height_mm
    side = random_sign(rng)
    a0 = draw(rng, an["trunk_half_width_mm"])
    origin = (W / 2 - side * (a0 - W * rng.uniform(0.3, 0.6)), H / 2)
    env = {"origin": origin, "angle": math.pi / 2 + math.radians(rng.uniform(-4, 4)), "a0": a0,
           "k": draw(rng, an["trunk_depth_half_mm"]) / a0, "taper": rng.uniform(-0.03, 0.03), "bulge": 0.0,
           "bulge_len": 50.0, "fat": draw(rng, an["trunk_fat_mm"])}
    add_envelope(sc, g, mu, rng, cfg, env)
    rh = draw(rng, an["head_radius_mm"])
    head = (W * rng.uniform(0.4, 0.6), H * rng.uniform(0.25, 0.42))
    b_ang = math.pi / 2 + side * math.radians(rng.uniform(8, 28))
    rs = rh * rng.uniform(0.5, 0.65)
    span = 1.5 * max(W, H)
    tip = to_image(head, b_ang, 0.0, -rh * 0.95)
    b = {"p0": tip, "angle": b_ang, "length": span, "r_ends": (rh, rs), "caps": (rh * 0.95, rs), **bone_params(rng, cfg, rs)}
    add_long_bone(sc, g, mu, tex, mu["muscle"], b)
    add_flat_bone(sc, g, mu, tex, rng, cfg, head, rh, side)
    if chance(rng, an["gas_prob"]):
        add_gas(sc, g, mu, rng, cfg)
    shafts = [{"p0": to_image(tip, b_ang, 0.0, 3 * rh), "angle": b_ang, "length": span, "r": rs}]
    return {"kind": "trunk", "env": env, "fibre_angle": b_ang + rng.uniform(-0.6, 0.6), "joints": [],
            "joint_points": [(head, rh)], "shafts": shafts}


def build_anatomy(sc: Scene, g: Grid, mu: Mu, rng: Rng, cfg: Cfg, kind: str, a0: float) -> dict:
    """Render the anatomy of a kind (limb half-width a0 in mm) into the scene; returns its info."""
    sig = 0.5 * draw(rng, cfg["anatomy"]["trabecular_scale_mm"]) / g.s
    tex = bandpass_noise(rng, (g.h, g.w), (2.0 * sig, sig))  # trabeculae along the (near-vertical) axis
    if kind == "limb":
        return build_limb(sc, g, mu, rng, cfg, tex, a0)
    if kind == "joint":
        return build_joint(sc, g, mu, rng, cfg, tex, a0)
    if kind == "hand":
        return build_hand(sc, g, mu, rng, cfg, tex)
    return build_trunk(sc, g, mu, rng, cfg, tex)
