"""Lesions built as voxel volumes of HA concentration (g/cm^3) and projected along the beam:
tumoral calcinosis globs and trabeculated ossification (lengths mm)."""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

from .filters import bandpass_noise
from .geometry import (
    Box,
    Grid,
    Point,
    axial_span,
    axis_window,
    inside_box,
    square,
    to_image,
)
from .lesion_sites import fit_ellipse, fraction_in_body, sample_site
from .params import Cfg, Rng, chance, draw, draw_int, random_sign
from .scene import Scene


def voxel_axes(half: tuple[float, float, float], vs: float) -> list[np.ndarray]:
    """Voxel-centre coordinates (mm) of a grid of voxel size vs (mm) covering +-half (mm)."""
    return [((np.arange(int(2 * h / vs) + 3) - (int(2 * h / vs) + 2) / 2) * vs).astype(np.float32) for h in half]


def project_volume(sc: Scene, g: Grid, vol: np.ndarray, vs: float, centre: Point, angle: float) -> None:
    """Add a voxel volume of HA conc (g/cm^3; axes (v, u, beam), voxel vs mm, centred on
    centre, u/v of the axis at angle) summed along the beam to the HA map."""
    proj = vol.sum(axis=2) * vs / 10.0
    nv, nu = proj.shape
    win = axis_window(g, square(centre, 0.5 * math.hypot(nv, nu) * vs + 1), centre, angle)
    if win is None:
        return
    sl, u, v = win
    iv, iu = v / vs + (nv - 1) / 2, u / vs + (nu - 1) / 2
    val = ndimage.map_coordinates(proj, [iv.ravel(), iu.ravel()], order=1, mode="constant", cval=0.0)
    sc["ha"][sl] += val.reshape(u.shape).astype(np.float32)


def lesion_tumoral_glob(sc: Scene, g: Grid, rng: Rng, cfg: Cfg, info: dict, field: Box) -> bool:
    """Large lobulated amorphous mass near a joint (periarticular); some lobules with a
    horizontal fluid-calcium level (image rows = gravity)."""
    p = cfg["tumoral_glob"]
    fw, fh = field[2] - field[0], field[3] - field[1]
    size = min(draw(rng, p["size_mm"]), p["max_fov_frac"]["value"] * min(fw, fh))
    if info["kind"] == "hand":
        size = min(size, float(p["hand_max_mm"]["value"]))
    A = size / 2
    B = A * rng.uniform(0.55, 1.0)
    psi = rng.uniform(0, math.pi)
    jp = info["joint_points"]

    def centre_fn(a: float, b: float) -> Point | None:
        if jp and rng.random() < 0.8:
            (jc, jr) = jp[int(rng.integers(len(jp)))]
            t = rng.uniform(0, 2 * math.pi)
            d = jr + draw(rng, p["periarticular_offset_mm"]) + 0.6 * max(a, b)
            q = (jc[0] + d * math.cos(t), jc[1] + d * math.sin(t))
        else:
            q = sample_site(rng, sc, g, field, max(a, b), min_soft=10.0, tries=50)
        if q is None:
            return None
        return q if inside_box(field, q, max(a, b)) else None

    fit = fit_ellipse(sc, g, centre_fn, B, A, psi, need=0.85)
    if fit is None:
        return False
    centre, B, A = fit
    C = min(A, B) * rng.uniform(0.6, 1.0)
    vs = max(0.3, 2 * max(A, B) / 110)
    ext = max(A, B) + 1
    y, x, z = voxel_axes((ext, ext, C + 1), vs)
    Y, X, Z = y[:, None, None], x[None, :, None], z[None, None, :]
    vol = np.zeros((len(y), len(x), len(z)), np.float32)
    base = draw(rng, p["ha_g_cm3"])
    texture = 1 + draw(rng, p["texture_amp"]) * bandpass_noise(rng, vol.shape, 1.5 / vs)
    cps, sps = math.cos(psi), math.sin(psi)
    for _ in range(draw_int(rng, p["lobules"])):
        r = min(draw(rng, p["lobule_radius_frac"]) * size, 0.95 * min(A, B, C))
        rr = math.sqrt(rng.random())
        t = rng.uniform(0, 2 * math.pi)
        lu, lv = rr * max(B - r, 0) * math.cos(t), rr * max(A - r, 0) * math.sin(t)
        cx, cy = lu * cps - lv * sps, lu * sps + lv * cps  # image-aligned offsets (mm)
        cz = rng.uniform(-1, 1) * max(C - r, 0)
        inside = (X - cx) ** 2 + (Y - cy) ** 2 + (Z - cz) ** 2 <= r * r
        if chance(rng, p["fluid_level_prob"]):
            level = cy - r + 2 * r * draw(rng, p["level_frac"])
            lob = np.where(Y > level, draw(rng, p["sediment_ha_g_cm3"]), draw(rng, p["fluid_ha_g_cm3"])).astype(np.float32)
        else:
            lob = base * rng.uniform(0.5, 1.2) * texture
        vol += np.where(inside, lob, 0.0).astype(np.float32)  # overlapping lobules add up
    project_volume(sc, g, np.clip(vol, 0, None), vs, centre, math.pi / 2)
    return True


def lesion_trabeculated(sc: Scene, g: Grid, rng: Rng, cfg: Cfg, info: dict, field: Box) -> bool:
    """Ossified mass beside a bone shaft: dense peripheral cortex, trabecular interior mature
    at the periphery, separated from the bone by a lucent cleft."""
    p = cfg["trabeculated_ossification"]
    if not info["shafts"]:
        return False
    size = min(draw(rng, p["size_mm"]), 0.8 * min(field[2] - field[0], field[3] - field[1]))
    A = size / 2
    B = A * draw(rng, p["width_frac"])
    cleft = draw(rng, p["cleft_mm"])
    fit = None
    for i in range(40):  # a shaft, a side, a position; shrink by 12 % after every 4 misses
        if i and i % 4 == 0:
            A, B = 0.88 * A, 0.88 * B
        if A < 10:
            return False
        sh = info["shafts"][int(rng.integers(len(info["shafts"])))]
        side = random_sign(rng)
        vmin, vmax = axial_span(field, sh["p0"], sh["angle"])
        lo, hi = max(vmin, 0.0) + A + 3, min(vmax, sh["length"]) - A - 3
        if hi <= lo:
            continue
        q = to_image(sh["p0"], sh["angle"], side * (sh["r"] + cleft + B), rng.uniform(lo, hi))
        if not inside_box(field, q, max(A, B)):
            continue
        if fraction_in_body(sc, g, q, sh["angle"], B, A, 2.0) >= 0.85:
            fit = (q, sh["angle"])
            break
    if fit is None:
        return False
    centre, ang = fit
    C = B * rng.uniform(0.8, 1.2)
    vs = max(0.3, (8 * A * B * C / 3.0e6) ** (1 / 3))
    v_, u_, z_ = voxel_axes((A + 1, B + 1, C + 1), vs)
    V, U, Z = v_[:, None, None], u_[None, :, None], z_[None, None, :]
    rho = np.sqrt((U / B) ** 2 + (V / A) ** 2 + (Z / C) ** 2)
    rim_n = draw(rng, p["rim_mm"]) / min(B, C)
    shell = (rho <= 1) & (rho > 1 - rim_n)
    core = rho <= 1 - rim_n
    sig = 0.5 * draw(rng, p["trabecular_scale_mm"]) / vs
    n = bandpass_noise(rng, rho.shape, (sig, sig, 4.0 * sig))  # plates/rods coherent along the beam
    strands = np.clip(1 - np.abs(n) / draw(rng, p["trabecular_width"]), 0, 1)
    maturity = 0.3 + 0.7 * np.clip(rho / (1 - rim_n), 0, 1) ** draw(rng, p["zonal_power"])
    vol = (draw(rng, p["rim_ha_g_cm3"]) * shell
           + draw(rng, p["trabecular_ha_g_cm3"]) * strands * maturity * core).astype(np.float32)
    project_volume(sc, g, vol, vs, centre, ang)
    return True
