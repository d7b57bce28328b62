"""The six calcification patterns as 3-D hydroxyapatite / bone objects at physical size (mm).

Each builder returns (fines, anchor): Fine objects in the anatomical frame and the point the
view is centred near. Sizes are divided by the limb scale k so they keep physical size.
"""
from __future__ import annotations

import numpy as np

from .geometry import Ell, tube
from .params import I, P, U, V
from .scene import Fine, Scene


def _unit(v) -> np.ndarray:
    v = np.asarray(v, float)
    return v / max(np.linalg.norm(v), 1e-9)


def _frame(d) -> np.ndarray:
    """Orthonormal columns (e1, d, e2) with d the second axis."""
    d = _unit(d)
    ref = np.array([0.0, 0, 1]) if abs(d[2]) < 0.9 else np.array([1.0, 0, 0])
    e1 = _unit(np.cross(d, ref))
    return np.stack([e1, d, np.cross(e1, d)], 1)


def ell_along(c, d, half_len: float, w1: float, w2: float) -> Ell:
    """Ellipsoid centred at c with its long semi-axis half_len along direction d (mm)."""
    return Ell(np.asarray(c, float), np.array([w1, half_len, w2]), _frame(d))


def _dens(rng, cfg, lo: float = 0.0) -> float:
    a, b = V(cfg, "lesion_density_g_cc")
    return float(rng.uniform(max(a, lo), b))


def rice_grain(rng, cfg, sc: Scene, k: float, down) -> tuple[list, np.ndarray]:
    p0, p1, rm = (np.asarray(x, float) if i < 2 else x for i, x in enumerate(sc.sites["axis"]))
    ax = _unit(p1 - p0)
    lax = float(np.linalg.norm(p1 - p0))
    fr = _frame(ax)
    n = I(rng, cfg, "rice_count")
    ext = min(rng.uniform(60, 260) / k, 0.8 * lax)
    sc_ = rng.uniform(0.3, 0.7) * lax
    jit = np.radians(V(cfg, "rice_axis_jitter_deg"))
    parts = []
    for _ in range(n):
        rad = rm * 0.92 * np.sqrt(rng.random())
        phi = rng.uniform(0, 2 * np.pi)
        c = p0 + ax * (sc_ + rng.uniform(-ext / 2, ext / 2)) + rad * (np.cos(phi) * fr[:, 0] + np.sin(phi) * fr[:, 2])
        d = ax + np.tan(rng.normal(0, jit)) * fr[:, 0] + np.tan(rng.normal(0, 2 * jit)) * fr[:, 2]
        ln = U(rng, cfg, "rice_length_mm") / k
        w = ln / U(rng, cfg, "rice_aspect") / 2
        parts.append((ell_along(c, d, ln / 2, w, w * rng.uniform(0.8, 1.2)), rng.uniform(0.9, 1.5), None))
    return [Fine(parts, "hap", _dens(rng, cfg, 1.2), lesion=True)], p0 + ax * sc_


def phlebolith_ring(rng, cfg, sc: Scene, k: float, down) -> tuple[list, np.ndarray]:
    veins = sc.sites["veins"]
    a, b = (np.asarray(x, float) for x in veins[int(rng.integers(len(veins)))])
    centre = a + (b - a) * rng.uniform(0.15, 0.85)
    n = I(rng, cfg, "phlebolith_count")
    spread = rng.uniform(4, 25) / k
    parts = []
    for i in range(n):
        c = centre + (rng.normal(0, spread, 3) * [1, 1.6, 1] if i else 0)
        r = max(U(rng, cfg, "phlebolith_size_mm"), 3.0) / 2 / k
        out = Ell(c, r * np.array([1, rng.uniform(0.75, 1.0), rng.uniform(0.75, 1.0)]), _frame(rng.normal(size=3)))
        wall = U(rng, cfg, "phlebolith_wall_fraction")
        parts += [(out, 1.0, None), (out.scaled(1 - wall), -1.0, None)]
        if P(rng, cfg, "p_phlebolith_laminated") and r * k > 2.5:
            parts += [(out.scaled(1 - wall * 1.6), 0.8, None), (out.scaled(max(1 - wall * 2.3, 0.12)), -0.8, None)]
        elif rng.random() < 0.25:
            parts.append((out.scaled(0.22), 0.9, None))          # central nidus
    return [Fine(parts, "hap", _dens(rng, cfg, 1.3), lesion=True)], centre


def sheet(rng, cfg, sc: Scene, k: float, down) -> tuple[list, np.ndarray]:
    p0, p1, rm = (np.asarray(x, float) if i < 2 else x for i, x in enumerate(sc.sites["axis"]))
    ax = _unit(p1 - p0)
    lax = float(np.linalg.norm(p1 - p0))
    ext = min(U(rng, cfg, "sheet_extent_mm") / k, 0.9 * lax)
    s0 = rng.uniform(0, lax - ext)
    q0, q1 = p0 + ax * s0, p0 + ax * (s0 + ext)
    th = U(rng, cfg, "sheet_thickness_mm") / k
    tex = "reticulated" if P(rng, cfg, "p_sheet_reticulated") else "patchy"
    fines = []
    if rng.random() < 0.65:   # subcutaneous / fascial shell around the limb
        r = rm * rng.uniform(0.8, 1.12)
        prof = r * (1 + 0.08 * rng.standard_normal(4))
        fines.append(Fine([(tube(q0, q1, prof + th, 0.9), 1.0, None), (tube(q0, q1, prof, 0.9), -1.0, None)],
                          "hap", _dens(rng, cfg), tex, lesion=True))
    fr = _frame(ax)
    parts = []
    for _ in range(int(rng.integers(1 if fines else 2, 5))):   # interfascial planes: bands
        phi = rng.uniform(0, 2 * np.pi)
        c = (q0 + q1) / 2 + rm * rng.uniform(0, 0.7) * (np.cos(phi) * fr[:, 0] + np.sin(phi) * fr[:, 2])
        c += ax * rng.uniform(-0.2, 0.2) * ext
        d = ax + rng.normal(0, 0.08, 3)
        e = Ell(c, np.array([rng.uniform(8, 40) / k, ext / 2 * rng.uniform(0.5, 1), th * rng.uniform(0.5, 1.5)]),
                _frame(d))
        roll = rng.uniform(0, np.pi)
        cr, sr = np.cos(roll), np.sin(roll)
        e.R = e.R @ np.array([[cr, 0, -sr], [0, 1, 0], [sr, 0, cr]])
        parts.append((e, rng.uniform(0.6, 1.3), None))
    fines.append(Fine(parts, "hap", _dens(rng, cfg), tex, lesion=True))
    return fines, (q0 + q1) / 2


def tumoral_glob(rng, cfg, sc: Scene, k: float, down) -> tuple[list, np.ndarray]:
    pts = sc.sites["peri"]
    pt, clear = pts[int(rng.integers(len(pts)))]
    size = min(U(rng, cfg, "glob_size_mm"), 0.45 * min(sc.fov) * k) / k
    out = _unit(np.asarray(pt, float) * [1, 0.3, 0.3] + rng.normal(0, 0.2, 3))
    c = np.asarray(pt, float) + out * max(size * 0.3 - clear * 0.3, 0)
    parts = []
    levels = P(rng, cfg, "p_glob_fluid_level")
    for _ in range(I(rng, cfg, "glob_lobules")):
        lc = c + rng.normal(0, 1, 3) * size * np.array([0.22, 0.22, 0.18])
        r = size * rng.uniform(0.1, 0.28)
        e = Ell(lc, r * rng.uniform(0.7, 1.2, 3), _frame(rng.normal(size=3)))
        if levels and rng.random() < 0.5 and r * k > 5:
            dn = np.asarray(down, float)
            parts += [(e, 0.3, None), (e.scaled(0.85), -0.3, None),
                      (e.scaled(0.95), rng.uniform(1.0, 1.6), (dn, float(dn @ lc + rng.uniform(-0.2, 0.5) * r)))]
        else:
            parts.append((e, rng.uniform(0.6, 1.2), None))
    return [Fine(parts, "hap", _dens(rng, cfg) * rng.uniform(0.6, 1.0), "flocculent", lesion=True)], c


def chondrocalcinosis_line(rng, cfg, sc: Scene, k: float, down) -> tuple[list, np.ndarray]:
    j = sc.sites["joints"][int(rng.integers(len(sc.sites["joints"])))]
    th = U(rng, cfg, "chondro_thickness_mm") / k
    parts = []
    for surf, nrm in j["surfaces"]:
        if rng.random() < 0.15 and len(j["surfaces"]) > 1:
            continue
        n = _unit(nrm)
        off = rng.uniform(0.3, 1.5) / k
        o = Ell(surf.c, surf.r + off + th, surf.R)
        i = Ell(surf.c, surf.r + off, surf.R)
        ext = float(np.sqrt(n @ (surf.R * surf.r ** 2) @ surf.R.T @ n))
        plane = (n, float(n @ surf.c + rng.uniform(0.4, 0.7) * ext))
        parts += [(o, 1.0, plane), (i, -1.0, plane)]
    if j.get("plate") is not None and rng.random() < 0.8:
        pc, (rx, rz) = j["plate"]
        parts.append((Ell(np.asarray(pc, float), np.array([rx * rng.uniform(0.5, 0.9), th / 2, rz * 0.9]), np.eye(3)),
                      1.0, None))
    fine = [Fine(parts, "hap", _dens(rng, cfg, 0.9), lesion=True)]
    dots = []
    if j["menisci"]:
        for _ in range(I(rng, cfg, "chondro_punctate")):
            m = np.asarray(j["menisci"][int(rng.integers(len(j["menisci"])))], float)
            c = m + rng.normal(0, 2.5, 3) / k
            dots.append((Ell(c, rng.uniform(0.3, 1.2, 3) / k, np.eye(3)), 1.0, None))
        fine.append(Fine(dots, "hap", _dens(rng, cfg, 0.8), lesion=True))
    return fine, np.asarray(j["c"], float)


def trabeculated_ossification(rng, cfg, sc: Scene, k: float, down) -> tuple[list, np.ndarray]:
    sh = sc.sites["shafts"]
    p0, p1, rb = sh[int(rng.integers(len(sh)))]
    p0, p1 = np.asarray(p0, float), np.asarray(p1, float)
    ax = _unit(p1 - p0)
    a = p0 + (p1 - p0) * rng.uniform(0.25, 0.75)
    lat = _unit(np.cross(ax, [0, 0, 1.0]))
    phi = np.radians(rng.uniform(-40, 40))
    dirn = np.cos(phi) * lat * rng.choice([-1, 1]) + np.sin(phi) * np.array([0, 0, 1.0])
    size = U(rng, cfg, "ossification_size_mm") / k
    rp = size * rng.uniform(0.2, 0.35)
    c = a + dirn * (rb + U(rng, cfg, "ossification_cleft_mm") / k + rp)
    fr = _frame(ax + rng.normal(0, 0.12, 3))
    outer = Ell(c, np.array([rp, size / 2, rp * rng.uniform(0.8, 1.2)]), fr)
    rind = U(rng, cfg, "ossification_rind_mm") / k
    inner = outer.shrunk(rind)
    mature = rng.uniform(0.55, 1.0)
    fines = [Fine([(outer, 1.0, None), (inner, -1.0, None)], "cortical", mature * rng.uniform(0.7, 1.0), lesion=True),
             Fine([(inner, 1.0, None), (inner.scaled(rng.uniform(0.35, 0.6)), -rng.uniform(0.3, 0.8), None)],
                  "cortical", mature * rng.uniform(0.22, 0.42), "trabecular", lesion=True)]
    return fines, c


BUILDERS = {"rice_grain": rice_grain, "phlebolith_ring": phlebolith_ring, "sheet": sheet,
            "tumoral_glob": tumoral_glob, "chondrocalcinosis_line": chondrocalcinosis_line,
            "trabeculated_ossification": trabeculated_ossification}
