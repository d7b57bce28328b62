"""Lesions drawn analytically as HA areal density (g/cm^2 = conc g/cm^3 * path mm / 10): rice
grains, phlebolith rings, calcified sheets and chondrocalcinosis lines (lengths mm)."""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage
from scipy.special import erf

from .filters import bandpass_noise
from .geometry import (
    Box,
    Grid,
    Point,
    axial_span,
    axis_window,
    chord,
    ellipse_chord,
    ellipsoid_chord,
    smoothstep,
    square,
    to_image,
    turned_window,
)
from .lesion_sites import in_soft, sample_site
from .params import Cfg, Rng, chance, draw, draw_int, pick
from .scene import Scene
from .soft_tissue import envelope_halfwidth


def add_spindle(sc: Scene, g: Grid, centre: Point, angle: float, length: float, width: float, conc: float) -> None:
    """Fusiform (rice-grain) focus: radius r0*(1-(2v/length)^2), HA conc (g/cm^3), mm."""
    win = axis_window(g, square(centre, length / 2 + 1), centre, angle)
    if win is None:
        return
    sl, u, v = win
    rad = (width / 2) * np.clip(1 - (2 * v / length) ** 2, 0, None)
    sc["ha"][sl] += conc * chord(rad, u) / 10.0


def lesion_rice_grain(sc: Scene, g: Grid, rng: Rng, cfg: Cfg, info: dict, field: Box) -> bool:
    """Many fusiform foci aligned with the muscle fibres in a muscle field."""
    p = cfg["rice_grain"]
    fl, fw = draw(rng, p["field_length_mm"]), draw(rng, p["field_width_mm"])
    centre = sample_site(rng, sc, g, field, fl / 2 + 5, min_soft=25.0)
    if centre is None:
        return False
    ang0, conc = info["fibre_angle"], draw(rng, p["ha_g_cm3"])
    jit = math.radians(draw(rng, p["angle_jitter_deg"]))
    n = 0
    for _ in range(draw_int(rng, p["count"])):
        r = math.sqrt(rng.random())
        t = rng.uniform(0, 2 * math.pi)
        q = to_image(centre, ang0, r * fw / 2 * math.cos(t), r * fl / 2 * math.sin(t))
        if not in_soft(sc, g, q, 12.0, avoid_bone=False):
            continue
        length = draw(rng, p["length_mm"])
        add_spindle(sc, g, q, ang0 + rng.normal(0, jit), length, length / draw(rng, p["aspect"]),
                    conc * rng.uniform(0.7, 1.1))
        n += 1
    return n >= 3


def lesion_phlebolith(sc: Scene, g: Grid, rng: Rng, cfg: Cfg, info: dict, field: Box) -> bool:
    """One or a cluster of round/oval shells with lucent centres, sometimes lamellated."""
    p = cfg["phlebolith_ring"]
    cr = draw(rng, p["cluster_radius_mm"])
    centre = sample_site(rng, sc, g, field, cr + 8, min_soft=10.0)
    if centre is None:
        return False
    n_ok = 0
    for i in range(draw_int(rng, p["count"])):
        q = centre if i == 0 else (centre[0] + rng.normal(0, cr / 2), centre[1] + rng.normal(0, cr / 2))
        if not in_soft(sc, g, q, 8.0, avoid_bone=False):
            continue
        a = draw(rng, p["diameter_mm"]) / 2
        b = a / draw(rng, p["oval_aspect"])
        c = (a + b) / 2
        lam = draw(rng, p["lumen_frac"])
        conc, core = draw(rng, p["ha_g_cm3"]), draw(rng, p["centre_ha_g_cm3"])
        win = turned_window(g, rng, (q[0] - a - 1, q[1] - a - 1, q[0] + a + 1, q[1] + a + 1), q)
        if win is None:
            continue
        sl, u, v = win

        def scaled(f: float) -> np.ndarray:
            return ellipsoid_chord(u, v, f * a, f * b, f * c)  # noqa: B023 - used at once

        shell = scaled(1.0) - scaled(lam)
        if chance(rng, p["lamellated_prob"]):  # a lucent lamella inside the shell
            m = rng.uniform(lam + 0.1, 0.85)
            shell = shell - 0.8 * (scaled(min(m + 0.1, 0.97)) - scaled(m))
        sc["ha"][sl] += (conc * shell + core * scaled(lam)) / 10.0
        n_ok += 1
    return n_ok > 0


def lesion_sheet(sc: Scene, g: Grid, rng: Rng, cfg: Cfg, info: dict, field: Box) -> bool:
    """Confluent or reticulated calcified sheet on a cylindrical fascial / subcutaneous shell
    around the limb; front and back surfaces get independent patterns."""
    p, env = cfg["sheet"], info["env"]
    sl, u, v = axis_window(g, g.box, env["origin"], env["angle"])
    vmin, vmax = axial_span(field, env["origin"], env["angle"])
    length = min(draw(rng, p["length_mm"]), 0.9 * (vmax - vmin))
    vc = rng.uniform(vmin + length / 2, vmax - length / 2)
    a = envelope_halfwidth(env, v)
    depth = min(draw(rng, p["depth_below_skin_mm"]), 0.5 * env["a0"])
    t = draw(rng, p["thickness_mm"])
    a_s = a - depth
    c_s = env["k"] * a - depth
    shell = ellipse_chord(u, a_s + t, c_s + t) - ellipse_chord(u, a_s, c_s)
    xn = np.clip(u / (a_s + t / 2), -1.0, 1.0)
    phi_f = np.arctan2(np.sqrt(1 - xn**2), xn)  # 0..pi, front surface; back is -phi_f
    r_mean = float(env["a0"] * (1 + env["k"]) / 2 - depth)
    res = 0.5  # mm per cell of the pattern map (axial x arc)
    n_arc = int(2 * math.pi * r_mean / res)
    n_v = int((length + 40) / res)
    noise = bandpass_noise(rng, (n_v, n_arc), draw(rng, p["noise_scale_mm"]) / res, wrap=True)
    if pick(rng, p["style"]) == "reticulated":
        mask = np.clip(1 - np.abs(noise) / draw(rng, p["reticulated_width"]), 0, 1) ** 0.7
    else:
        mask = smoothstep((noise - draw(rng, p["confluent_threshold"])) / 0.4)
    phi_c, half = rng.uniform(-math.pi, math.pi), math.radians(draw(rng, p["arc_half_deg"]))
    vi = (v - (vc - length / 2 - 20)) / res
    total = np.zeros_like(shell)
    for phi in (phi_f, -phi_f):
        ai = (phi + math.pi) / (2 * math.pi) * n_arc
        m = ndimage.map_coordinates(mask, [vi.ravel(), ai.ravel()], order=1, mode="grid-wrap").reshape(shell.shape)
        dphi = np.abs(np.angle(np.exp(1j * (phi - phi_c))))
        total += m * smoothstep((half - dphi) / 0.3)
    ends = smoothstep((length / 2 - np.abs(v - vc)) / 8.0)
    sc["ha"][sl] += draw(rng, p["ha_g_cm3"]) * shell / 2 / 10.0 * total * ends
    return True


def joint_surface(u: np.ndarray, gap: float, r_end: float, h: float, sign: float) -> tuple[np.ndarray, np.ndarray]:
    """Axial position (mm) of an articular surface (sign +1 lower bone, -1 upper) at u (mm),
    and its slope dv/du."""
    un = np.clip(u / r_end, -0.999, 0.999)
    root = np.sqrt(1 - un**2)
    return sign * (gap / 2 + h * (1 - root)), sign * h * un / (r_end * root)


def lesion_chondrocalcinosis(sc: Scene, g: Grid, rng: Rng, cfg: Cfg, info: dict, field: Box) -> bool:
    """Fine interrupted line inside the joint paralleling the articular surface(s), with
    punctate meniscal foci at the joint margins."""
    p = cfg["chondrocalcinosis_line"]
    if not info["joints"]:
        return False
    jt = info["joints"][0]
    gap = jt["gap"]
    sl, u, v = axis_window(g, g.box, jt["centre"], jt["angle"])
    which = pick(rng, p["surfaces"])
    surfaces = {"lower": [(+1.0, jt["lower"])], "upper": [(-1.0, jt["upper"])]}.get(which) or \
        [(+1.0, jt["lower"]), (-1.0, jt["upper"])]
    sigma = max(g.s / 2, 0.05)
    conc = draw(rng, p["ha_g_cm3"])
    for sign, (r_end, h) in surfaces:
        width = draw(rng, p["width_mm"])
        off = min(draw(rng, p["offset_mm"]), 0.4 * gap)
        vs, slope = joint_surface(u, gap, r_end, h, sign)
        dist = np.abs(v - (vs - sign * off)) / np.sqrt(1 + slope**2)
        prof = 0.5 * (erf((width / 2 - dist) / (math.sqrt(2) * sigma)) + erf((width / 2 + dist) / (math.sqrt(2) * sigma)))
        ext = draw(rng, p["extent_frac"]) * r_end
        along = smoothstep((ext - np.abs(u - rng.uniform(-0.1, 0.1) * r_end)) / 2.0)
        # interruptions: 1-D noise along u, sampled every 0.25 mm
        n1 = bandpass_noise(rng, (int(4 * r_end / 0.25) + 8,), 1.5 / 0.25)
        gaps = ndimage.map_coordinates(n1, [((u + 2 * r_end) / 0.25).ravel()], order=1, mode="nearest").reshape(u.shape)
        keep = smoothstep((gaps - (draw(rng, p["gap_prob"]) * 2 - 1)) / 0.3)
        depth = chord(np.float32(r_end), u) * draw(rng, p["depth_fill_frac"])
        sc["ha"][sl] += conc * depth / 10.0 * prof * along * keep
    if chance(rng, p["meniscus_prob"]):
        (re_lo, h_lo), (re_up, h_up) = jt["lower"], jt["upper"]
        r_m = min(re_lo, re_up)
        for side in (-1.0, 1.0):
            for _ in range(draw_int(rng, p["meniscus_dots"])):
                uu = side * r_m * rng.uniform(0.78, 1.0)
                lo_s = joint_surface(np.float32(uu), gap, re_lo, h_lo, 1.0)[0]
                up_s = joint_surface(np.float32(uu), gap, re_up, h_up, -1.0)[0]
                # triangle: narrower towards the joint centre
                vv = rng.uniform(float(up_s) + 0.5, max(float(lo_s) - 0.5, float(up_s) + 0.6))
                q = to_image(jt["centre"], jt["angle"], uu, vv)
                rd = draw(rng, p["meniscus_dot_mm"])
                win = turned_window(g, rng, (q[0] - rd - 1, q[1] - rd - 1, q[0] + rd + 1, q[1] + rd + 1), q)
                if win is None:
                    continue
                s2, uu2, vv2 = win
                path = ellipsoid_chord(uu2, vv2, rd, rd * rng.uniform(0.6, 1.0), draw(rng, p["meniscus_depth_mm"]) / 2)
                sc["ha"][s2] += conc * rng.uniform(0.8, 1.5) * path / 10.0
    return True
