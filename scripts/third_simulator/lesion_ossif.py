"""Heterotopic ossification / myositis ossificans circumscripta: an oval mass of ordered bone
in muscle beside a long bone, with a peripheral cortex, internal trabeculae that are more
mature (denser) at the periphery (zonal, centrifugal), separated from the bone by a lucent
cleft. Immature lesions show a faint peripheral rim around a lacy centre."""
from __future__ import annotations

import math

import numpy as np

from .lesion_common import inside, uni
from .scene import Scene
from . import trabecular

F32 = np.float32
SHAFTS_BY_KIND = {
    "thigh": ["femur"], "hip": ["femur"], "knee": ["femur", "tibia"], "leg": ["tibia", "fibula"],
    "arm": ["humerus"], "shoulder": ["humerus"], "elbow": ["humerus", "radius", "ulna"],
    "forearm": ["radius", "ulna"], "pelvis": ["femur"],
}


def _skin(scene: Scene, x: float, y: float) -> float:
    """Soft-tissue chord (mm) at a point, 0 outside the image."""
    g = scene.grid
    j, i = (int(round(v)) for v in g.to_px(x, y))
    if 0 <= i < g.h and 0 <= j < g.w:
        return float(scene.maps["skin"][i, j])
    return 0.0


def _site(scene: Scene, rng: np.random.Generator, c: dict, kind: str, L: float, W: float):
    g = scene.grid
    names = SHAFTS_BY_KIND.get(kind)
    shafts = [s for s in scene.landmarks.get("shafts", []) if not names or s["name"] in names]
    rng.shuffle(shafts)
    for s in shafts + scene.landmarks.get("shafts", []):
        (ax, ay), (bx, by) = s["a"], s["b"]
        ang = math.atan2(by - ay, bx - ax)
        for _ in range(25):
            t = rng.uniform(-0.1, 1.0)
            side = 1 if rng.random() < 0.5 else -1
            cleft = uni(rng, c["cleft_mm"])
            over = rng.random() < c["p_overlapping_bone"]["value"]
            v = side * (s["r"] * (0.2 if over else 1.0) + cleft + W / 2)
            x = ax + t * (bx - ax) - v * math.sin(ang)
            y = ay + t * (by - ay) + v * math.cos(ang)
            # the far edge must stay inside the limb (the mass lies in muscle)
            vf = v + side * W / 2
            fx, fy = ax + t * (bx - ax) - vf * math.sin(ang), ay + t * (by - ay) + vf * math.cos(ang)
            if inside(g, x, y, L / 2 + 4) and _skin(scene, fx, fy) > 0.25 * W:
                return x, y, ang, cleft, s["name"], over
    return None


def render(scene: Scene, rng: np.random.Generator, cfg: dict, kind: str) -> dict:
    c = cfg["lesions"]["trabeculated_ossification"]
    g = scene.grid
    hw, hh = g.half
    L = min(uni(rng, c["length_mm"]), 1.6 * min(hw, hh) * 0.8)
    W = L * uni(rng, c["width_ratio"])
    site = None
    for _ in range(4):
        site = _site(scene, rng, c, kind, L, W)
        if site:
            break
        L, W = L * 0.75, W * 0.75
    if site is None:
        return {}
    cx, cy, ang, cleft, host, over = site
    ang += rng.normal(0, math.radians(c["axis_spread_deg"]["value"]))
    a, b = L / 2, W / 2
    cdepth = b * rng.uniform(0.8, 1.3)
    mat = uni(rng, c["maturity"])
    rext = max(a, b) * 1.25
    win = g.window((cx - rext, cy - rext, cx + rext, cy + rext))
    if win is None:
        return {}
    sl, X, Y = win
    ca, sa = F32(math.cos(ang)), F32(math.sin(ang))
    u = (X - F32(cx)) * ca + (Y - F32(cy)) * sa
    v = -(X - F32(cx)) * sa + (Y - F32(cy)) * ca
    th = np.arctan2(v / F32(b), u / F32(a))
    eps = np.zeros_like(th)
    for k in range(2, 6):  # irregular, lobulated outline
        eps += F32(rng.normal(0, c["outline_irregularity"]["value"] / k)) * np.cos(F32(k) * th + F32(rng.uniform(0, 6.3)))
    rho = np.sqrt((u / F32(a)) ** 2 + (v / F32(b)) ** 2) / (1 + eps)

    def chord(s: float) -> np.ndarray:
        q = 1 - (rho / F32(s)) ** 2
        return F32(2 * cdepth * s) * np.sqrt(np.maximum(q, 0))

    t_c = uni(rng, c["cortex_mm"]) * (0.5 + 0.5 * mat)
    s_in = max(1 - t_c / b, 0.5)
    outer, inner = chord(1.0), chord(s_in)
    cort = (outer - inner) * F32(0.75 + 0.5 * mat)
    tile = trabecular.pick(rng, coarse=True)
    tex = tile.sample(X, Y, ang, float(rng.uniform(0, 40)), float(rng.uniform(0, 40)))
    bv_p, bv_c = uni(rng, c["bvf_periphery"]) * mat, uni(rng, c["bvf_centre"])
    bvf = F32(bv_c) + F32(bv_p - bv_c) * np.clip(rho / F32(s_in), 0, 1) ** 2
    damp = np.sqrt(F32(tile.depth) / np.maximum(inner, F32(tile.depth)))
    trab = np.maximum(bvf * inner * (1 + (tex - 1) * damp * F32(1.3)), 0)
    bone = cort + trab
    bone[outer <= 0] = 0
    scene.maps["l_bone"][sl] += bone
    scene.maps["l_marrow"][sl] += np.maximum(inner - trab, 0)
    scene.maps["l_occ"][sl] += outer
    scene.maps["lesion"][sl] += outer
    return {"length_mm": L, "width_mm": W, "cleft_mm": cleft, "maturity": mat, "host_bone": host,
            "overlapping_bone": over}
