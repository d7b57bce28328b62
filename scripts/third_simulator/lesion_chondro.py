"""Chondrocalcinosis (CPPD): a fine, often interrupted white line paralleling the articular
(hyaline) cartilage inside the joint, plus punctate calcification of the fibrocartilage
(menisci, acetabular labrum, triangular fibrocartilage, symphysis).

The hyaline line is a thin 3-D shell offset from the subchondral bone surface by part of the
cartilage thickness; projected, its edge-on part gives the line (0.3-1 mm) along the joint.
"""
from __future__ import annotations

import math

import numpy as np

from .geometry import Capsule, Ellipsoid3D, rot3
from .lesion_common import add_ha, add_ha_map, inside, smooth_noise, smoothstep, uni
from .scene import Scene

F32 = np.float32
SITES_BY_KIND = {
    "knee": ["knee"], "hip": ["hip"], "pelvis": ["hip", "symphysis"], "wrist": ["wrist"],
    "hand": ["wrist", "mcp"], "forearm": ["wrist"], "shoulder": ["shoulder"], "elbow": [],
}
SURF = {"knee": ["knee", "knee_plateau"], "hip": ["hip"], "wrist": ["wrist", "wrist_carpal"],
        "mcp": ["mcp"], "shoulder": ["shoulder", "shoulder_glenoid"]}


def _line(scene: Scene, rng: np.random.Generator, c: dict, s: dict, rho: float, w: float) -> bool:
    prim = s["prim"]
    off = uni(rng, c["offset_mm"])
    outer = prim.grow(off + w)
    inner = prim.grow(off)
    win = scene.grid.window(outer.bbox())
    if win is None:
        return False
    sl, X, Y = win
    shell = outer.chord(X, Y) - inner.chord(X, Y)
    np.maximum(shell, 0, out=shell)
    ang = np.arctan2(Y - F32(prim.cy), X - F32(prim.cx))
    d = np.abs(((ang - F32(s["dir"])) + F32(math.pi)) % F32(2 * math.pi) - F32(math.pi))
    half = s["half"] * rng.uniform(0.6, 1.0)
    arc = smoothstep((F32(half) - d) / F32(0.15))
    # interruptions along the arc: 1-D noise in angle
    n = smooth_noise(rng, (1, 720), (1.0, uni(rng, c["gap_scale_deg"]) * 2))[0]
    idx = ((ang + F32(math.pi)) / F32(2 * math.pi) * 720).astype(np.int32) % 720
    cont = uni(rng, c["continuity"])
    keep = smoothstep((n[idx] + 1.5 * cont - 0.5) / 0.4)
    ha = shell * arc * keep * F32(rho * 0.1)
    if float(ha.max(initial=0)) <= 0:
        return False
    ha[ha < F32(rho * 0.1 * 0.02)] = 0
    add_ha_map(scene, sl, ha)
    return True


def _wedge(scene: Scene, rng: np.random.Generator, c: dict, wd: dict, rho: float) -> int:
    (bx, by), (ax, ay), h = wd["base"], wd["apex"], wd["h"]
    L = math.dist((bx, by), (ax, ay))
    ang = math.atan2(ay - by, ax - bx)
    n = int(rng.integers(*c["punctate_count"]["value"]))
    placed = 0
    for _ in range(n):
        t = rng.uniform(0, 1) ** 0.7  # denser toward the base (periphery)
        off = rng.uniform(-1, 1) * h * (1 - t)
        x = bx + t * (ax - bx) - off * math.sin(ang)
        y = by + t * (ay - by) + off * math.cos(ang)
        r = uni(rng, c["punctate_radius_mm"])
        e = Ellipsoid3D(x, y, r * rng.uniform(1.0, 2.5), r, r * rng.uniform(1, 3),
                        rot3(ang + rng.normal(0, 0.3), rng.normal(0, 0.5), 0))
        add_ha(scene, e, rho * rng.uniform(0.6, 1.3))
        placed += 1
    if rng.random() < c["p_wedge_haze"]["value"]:  # diffuse calcification of the whole wedge
        win = scene.grid.window((min(bx, ax) - h - 1, min(by, ay) - h - 1, max(bx, ax) + h + 1, max(by, ay) + h + 1))
        if win is not None:
            sl, X, Y = win
            u = ((X - F32(bx)) * F32(math.cos(ang)) + (Y - F32(by)) * F32(math.sin(ang))) / F32(L)
            v = -(X - F32(bx)) * F32(math.sin(ang)) + (Y - F32(by)) * F32(math.cos(ang))
            tri = smoothstep(u / 0.1) * smoothstep((1 - u) / 0.1) * smoothstep((F32(h) * (1 - u) - np.abs(v)) / F32(0.4))
            depth = uni(rng, c["wedge_depth_mm"])
            ha = tri * F32(depth * rho * uni(rng, c["wedge_haze_fraction"]) * 0.1)
            ha[ha < 1e-4] = 0
            add_ha_map(scene, sl, ha)
    return placed


def _symphysis(scene: Scene, rng: np.random.Generator, c: dict, rho: float) -> bool:
    s = scene.landmarks.get("symphysis")
    if not s or not inside(scene.grid, *s["c"], 20):
        return False
    cx, cy = s["c"]
    ang, L = s["ang"], s["len"] * rng.uniform(0.5, 0.9)
    for dx in rng.uniform(-1.5, 1.5, int(rng.integers(1, 3))):
        x0 = cx - L / 2 * math.cos(ang) + dx * math.sin(ang)
        y0 = cy - L / 2 * math.sin(ang) - dx * math.cos(ang)
        x1, y1 = x0 + L * math.cos(ang), y0 + L * math.sin(ang)
        r = uni(rng, c["line_thickness_mm"]) / 2
        add_ha(scene, Capsule(x0, y0, x1, y1, r, r, 8.0 / max(r, 0.1) * rng.uniform(0.5, 1.0)), rho * 0.5)
    return True


def render(scene: Scene, rng: np.random.Generator, cfg: dict, kind: str) -> dict:
    c = cfg["lesions"]["chondrocalcinosis_line"]
    g = scene.grid
    sites = SITES_BY_KIND.get(kind) or ["knee", "hip", "wrist", "mcp", "shoulder"]
    rho = uni(rng, c["density_g_cm3"])
    w = uni(rng, c["line_thickness_mm"])
    info = {"lines": 0, "punctate": 0, "sites": []}
    for site in rng.permutation(sites):
        if site == "symphysis":
            if _symphysis(scene, rng, c, rho):
                info["lines"] += 1
                info["sites"].append(site)
            continue
        surfs = [s for s in scene.landmarks.get("cc_surfaces", [])
                 if s["site"] in SURF.get(site, []) and inside(g, s["prim"].cx, s["prim"].cy, 5)]
        wedges = [wd for wd in scene.landmarks.get("cc_wedges", [])
                  if wd["site"] == site and inside(g, *wd["base"], 8) and inside(g, *wd["apex"], 8)]
        do_line = rng.random() < c["p_hyaline_line"]["value"] or not wedges
        do_wedge = wedges and (rng.random() < c["p_fibrocartilage"]["value"] or not surfs)
        if do_line:
            for s in surfs:
                if rng.random() < (0.9 if s is surfs[0] else 0.6):
                    info["lines"] += int(_line(scene, rng, c, s, rho, w * rng.uniform(0.8, 1.2)))
        if do_wedge:
            for wd in wedges:
                if rng.random() < 0.85:
                    info["punctate"] += _wedge(scene, rng, c, wd, rho)
        if info["lines"] or info["punctate"]:
            info["sites"].append(site)
            break
    info.update(density=rho, thickness_mm=w)
    return info if (info["lines"] or info["punctate"]) else {}
