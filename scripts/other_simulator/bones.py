"""Bones added to a scene: long bones, small (carpal-like) bones, flat bones (lengths mm,
attenuation cm^-1; line integrals are mu * path / 10)."""

from __future__ import annotations

import numpy as np

from .geometry import (
    Grid,
    Point,
    axis_window,
    cap_factor,
    chord,
    ellipsoid_chord,
    flare,
    full_window,
    local_uv,
    smoothstep,
    square,
    to_image,
)
from .params import Cfg, Mu, Rng, draw
from .scene import Scene


def bone_params(rng: Rng, cfg: Cfg, r_shaft: float) -> dict:
    """Cortex thicknesses (mm), bone volume fraction and texture amplitude of one bone."""
    an = cfg["anatomy"]
    return {"r_shaft": r_shaft, "t_shaft": draw(rng, an["cortex_frac"]) * r_shaft,
            "t_end": draw(rng, an["end_cortex_mm"]), "bvf": draw(rng, an["bone_volume_fraction"]),
            "tex_amp": draw(rng, an["trabecular_texture_amp"])}


def cancellous_mu(mu: Mu, host_mu: float, bvf: float, tex_amp: float, tex: np.ndarray) -> np.ndarray:
    """Attenuation (cm^-1) of textured cancellous bone over that of the host tissue it replaces."""
    bv = bvf * np.clip(1.0 + tex_amp * tex, 0.0, None)
    return (mu["marrow"] - host_mu) + bv * (mu["cortical_bone"] - mu["marrow"])


def add_long_bone(sc: Scene, g: Grid, mu: Mu, tex: np.ndarray, host_mu: float, bone: dict) -> None:
    """Add a long bone: a solid of revolution along p0 -> p0 + length*dir with flared,
    spheroid-capped ends; cortex, cancellous ends (textured) and marrow. Lengths mm."""
    p0, ang, length = bone["p0"], bone["angle"], bone["length"]
    rs, (re0, re1), (h0, h1) = bone["r_shaft"], bone["r_ends"], bone["caps"]
    p1 = to_image(p0, ang, 0.0, length)
    rmax = max(rs, re0, re1) + 1.0
    win = axis_window(g, (min(p0[0], p1[0]) - rmax, min(p0[1], p1[1]) - rmax,
                          max(p0[0], p1[0]) + rmax, max(p0[1], p1[1]) + rmax), p0, ang)
    if win is None:
        return
    sl, u, v = win
    d0, d1 = v, length - v
    f0, f1 = flare(d0, re0), flare(d1, re1)
    r_base = rs + (re0 - rs) * f0 + (re1 - rs) * f1
    p0_, p1_ = bone.get("cap_p", (2.0, 2.0))
    r_out = r_base * cap_factor(d0, h0, p0_) * cap_factor(d1, h1, p1_)
    epi = np.clip(1.6 * np.maximum(f0, f1), 0.0, 1.0)
    t_end = bone["t_end"]
    t = t_end + (bone["t_shaft"] - t_end) * (1.0 - epi)
    r_in = np.clip(r_base - t, 0.0, None) * cap_factor(d0 - t_end, h0, p0_) * cap_factor(d1 - t_end, h1, p1_)
    outer, inner = chord(r_out, u), chord(r_in, u)
    canc_mu = cancellous_mu(mu, host_mu, bone["bvf"], bone["tex_amp"], tex[sl])
    sc["L"][sl] += ((mu["cortical_bone"] - host_mu) * (outer - inner)
                    + canc_mu * inner * epi + (mu["marrow"] - host_mu) * inner * (1.0 - epi)) / 10.0
    sc["bone"][sl] += outer


def add_ellipsoid_bone(sc: Scene, g: Grid, mu: Mu, tex: np.ndarray, host_mu: float, centre: Point, angle: float,
                       axes: tuple[float, float, float], cortex: float, bvf: float, tex_amp: float) -> None:
    """Add a small (carpal-like) bone: ellipsoid with semi-axes and a cortical shell (mm)."""
    a, b, c = axes
    win = axis_window(g, square(centre, max(a, b) + 1.0), centre, angle)
    if win is None:
        return
    sl, u, v = win
    outer = ellipsoid_chord(u, v, a, b, c)
    inner = ellipsoid_chord(u, v, a - cortex, b - cortex, c - cortex)
    sc["L"][sl] += ((mu["cortical_bone"] - host_mu) * (outer - inner)
                    + cancellous_mu(mu, host_mu, bvf, tex_amp, tex[sl]) * inner) / 10.0
    sc["bone"][sl] += outer


def add_flat_bone(sc: Scene, g: Grid, mu: Mu, tex: np.ndarray, rng: Rng, cfg: Cfg, head: Point, r_head: float,
                  side: float) -> None:
    """Flat bone (ilium / scapula-like plate) seen en face: an elliptic plate with dense rims
    and a socket (acetabulum / glenoid) around the ball of radius r_head (mm)."""
    an = cfg["anatomy"]
    t_plate = draw(rng, an["flat_bone_mm"])
    ea, eb = rng.uniform(60, 100), rng.uniform(40, 70)
    centre = (head[0] - side * rng.uniform(20, 45), head[1] - rng.uniform(15, 35))
    e_ang = rng.uniform(-0.5, 0.5)
    sock = r_head + rng.uniform(2.0, 5.0)
    _, xs, ys = full_window(g)
    u, v = local_uv(xs, ys, centre, e_ang)
    rho = np.sqrt((u / eb) ** 2 + (v / ea) ** 2)
    d_ell = (rho - 1.0) * min(ea, eb)  # approx signed distance to the ellipse (mm)
    d_sock = np.hypot(xs - head[0], ys - head[1]) - sock
    inside = smoothstep(0.5 - d_ell / 1.5) * smoothstep(0.5 + d_sock / 1.5)
    crest = smoothstep(-v / ea * 2.0)  # dense crest only along the far (upper) part of the rim
    rim = np.exp(-(d_ell / rng.uniform(1.2, 2.5)) ** 2) * (d_sock > 0) * crest * rng.uniform(3, 8)
    roof = np.exp(-(d_sock / rng.uniform(1.0, 2.0)) ** 2) * (d_ell < 0) * rng.uniform(6, 14)
    tables = rng.uniform(1.5, 3.5)  # inner + outer cortical tables seen en face (mm)
    bvf, tex_amp = draw(rng, an["bone_volume_fraction"]), draw(rng, an["trabecular_texture_amp"])
    canc_mu = cancellous_mu(mu, mu["muscle"], bvf, tex_amp, tex)
    cort = (mu["cortical_bone"] - mu["muscle"]) * (rim + roof + tables * inside)
    sc["L"] += (canc_mu * t_plate * inside + cort) / 10.0
    sc["bone"] += (t_plate + tables) * inside + rim + roof
