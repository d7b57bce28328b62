"""Sheet-like calcinosis (calcinosis universalis, dermatomyositis): thin calcified layers in
the subcutaneous fat (a partial cylindrical shell), along interfascial planes (radial planes
through the compartment) and inside muscle, patterned confluent, reticulated or banded.

Each layer is a 3-D surface of thickness w; its projected path is w divided by the cosine of
the angle between the beam and the surface normal (capped at the tangential chord), so
layers seen edge-on make dense bands and seen en face make faint lacy sheets.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

from .lesion_common import (add_ha_map, limbs_in_field, logu, smooth_noise,
                            smoothstep, uni)
from .scene import Scene

F32 = np.float32
CELL = 0.5  # mm per cell of the pattern maps


def _pattern(rng: np.random.Generator, c: dict, nu: int, ns: int, style: str) -> np.ndarray:
    """Calcified fraction (0..1) on an unrolled surface grid (u along the limb, s across)."""
    lam = uni(rng, c["pattern_scale_mm"]) / CELL
    if style == "banded":
        n = smooth_noise(rng, (nu, ns), (lam * 3.0, lam * 0.5))
        m = smoothstep((n - 0.3) / 0.5)
    elif style == "reticulated":
        n = smooth_noise(rng, (nu, ns), (lam * 0.5, lam * 0.5))
        width = uni(rng, c["reticule_width"])
        m = smoothstep((width - np.abs(n)) / (0.5 * width))
    else:  # confluent plaques
        n = smooth_noise(rng, (nu, ns), (lam, lam))
        m = smoothstep((n + 0.2) / 0.6)
    amp = 0.55 + 0.45 * smoothstep((smooth_noise(rng, (nu, ns), (lam * 2, lam * 2)) + 1.0) / 1.5)
    # irregular outline of the deposit: large-scale patches, elongated along the limb
    big = 12.0 / CELL
    patch = smoothstep((smooth_noise(rng, (nu, ns), (big * 2.0, big)) + 0.6) / 0.7)
    return (m * amp * patch).astype(F32)


def _sample(pat: np.ndarray, u: np.ndarray, s: np.ndarray) -> np.ndarray:
    return ndimage.map_coordinates(pat, [u.ravel() / CELL, s.ravel() / CELL], order=1,
                                   mode="grid-wrap").reshape(u.shape)


def render(scene: Scene, rng: np.random.Generator, cfg: dict, kind: str) -> dict:
    c = cfg["lesions"]["sheet"]
    cands = limbs_in_field(scene)
    if not cands:
        return {}
    limb, (t0, t1) = cands[int(rng.integers(len(cands)))]
    g = scene.grid
    (ax, ay), (bx, by) = limb["a"], limb["b"]
    Lax = math.dist(limb["a"], limb["b"])
    ang = math.atan2(by - ay, bx - ax)
    ext = min(logu(rng, c["length_mm"]), (t1 - t0) * Lax)
    ua = float(rng.uniform(t0 * Lax, max(t0 * Lax, t1 * Lax - ext)))  # equal bounds may round the wrong way
    ub = ua + ext
    rs_max = max(limb["r"]) + 5
    corners = [(ax + ca * math.cos(ang) + d * -math.sin(ang), ay + ca * math.sin(ang) + d * math.cos(ang))
               for ca in (ua, ub) for d in (-rs_max, rs_max)]
    win = g.window((min(p[0] for p in corners), min(p[1] for p in corners),
                    max(p[0] for p in corners), max(p[1] for p in corners)))
    if win is None:
        return {}
    sl, X, Y = win
    u = (X - F32(ax)) * F32(math.cos(ang)) + (Y - F32(ay)) * F32(math.sin(ang))
    v = -(X - F32(ax)) * F32(math.sin(ang)) + (Y - F32(ay)) * F32(math.cos(ang))
    t = np.clip(u / F32(Lax), 0, 1)
    r_skin = F32(limb["r"][0]) + t * F32(limb["r"][1] - limb["r"][0])
    r_mus = np.maximum(r_skin - F32(limb["fat"]), F32(0.4) * r_skin)
    k = F32(limb.get("k", 1.0))
    edge = F32(max(5.0, 0.2 * ext))
    axial = smoothstep((u - F32(ua)) / edge) * smoothstep((F32(ub) - u) / edge)
    rho = uni(rng, c["density_g_cm3"])
    w = uni(rng, c["thickness_mm"])
    style = str(rng.choice(c["styles"]["value"], p=c["styles"]["p"]))
    total = np.zeros(u.shape, F32)
    nu = int(ext / CELL) + 8
    layers = []
    if rng.random() < c["p_subcutaneous"]["value"]:
        layers.append("subq")
    if rng.random() < c["p_fascial"]["value"]:
        layers.append("fascial")
    if rng.random() < c["p_intramuscular"]["value"] or not layers:
        layers.append("muscle")
    for layer in layers:
        if layer in ("subq", "muscle"):
            f = float(rng.uniform(0.25, 0.75))
            R = (r_mus + F32(f) * (r_skin - r_mus)) if layer == "subq" else r_mus * F32(rng.uniform(0.55, 0.85))
            q = np.clip(np.abs(v) / R, 0, 0.9999)
            phi = np.arccos(np.where(v < 0, -q, q))  # 0..pi: lateral angle of the front crossing
            path = np.minimum(F32(w) * k / np.sqrt(1 - q * q), np.sqrt(F32(2 * w) * R) * k)
            path *= (np.abs(v) < R)
            Rm = float(np.max(R))
            ns = int(2 * math.pi * Rm / CELL) + 8
            pat = _pattern(rng, c, nu, ns, style)
            cover_c = float(rng.uniform(0, 2 * math.pi))
            cover_h = math.radians(uni(rng, c["coverage_deg"])) / 2
            uu = u - F32(ua)
            for sgn in (1.0, -1.0):  # front and back crossings of the shell
                az = (phi * F32(sgn)) % F32(2 * math.pi)
                d = np.abs(((az - F32(cover_c)) + F32(math.pi)) % F32(2 * math.pi) - F32(math.pi))
                cover = smoothstep((F32(cover_h) - d) / F32(0.25))
                total += path * cover * _sample(pat, uu, az * F32(Rm))
        else:
            for _ in range(int(rng.integers(1, 4))):
                phi0 = float(rng.uniform(0, math.pi))
                cphi = abs(math.cos(phi0))
                rin = r_mus * F32(rng.uniform(0.3, 0.5))
                depth = r_mus - rin
                path = np.minimum(F32(w / max(cphi, 1e-3)), depth * k)
                rr = np.abs(v) / F32(max(cphi, 1e-3)) if cphi > 0.02 else np.full(v.shape, F32(1e9))
                side = 1.0 if rng.random() < 0.5 else -1.0
                band_in = ((v * F32(side)) >= 0)
                if cphi > 0.02:
                    m = smoothstep((rr - rin) / 2.0) * smoothstep((r_mus - rr) / 2.0) * band_in
                else:
                    m = smoothstep((F32(w) - np.abs(v)) / F32(w))
                    rr = np.abs(v) + rin
                ns = int(float(r_mus.max()) / CELL) + 8
                pat = _pattern(rng, c, nu, ns, "banded" if style != "reticulated" else style)
                total += path * m * _sample(pat, u - F32(ua), rr - rin)
    ha = total * axial * F32(rho * 0.1)
    ha[ha < F32(rho * 0.1 * 0.05)] = 0
    add_ha_map(scene, sl, ha)
    return {"layers": layers, "style": style, "length_mm": ext, "thickness_mm": w, "density": rho}
