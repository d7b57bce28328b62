"""Tumoral calcinosis-like masses: large, dense, lobulated, amorphous/flocculent periarticular
deposits made of many cystic lobules; some lobules hold calcium 'milk' that layers under
gravity, giving a horizontal fluid-calcium level (sedimentation sign) on an erect film."""
from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

from .geometry import Ellipsoid3D, SuperEllipsoid, rot3
from .lesion_common import add_ha_map, inside, joints_in_field, logu, smooth_noise, uni
from .scene import Scene

F32 = np.float32
P_UNION = 2.0


def render(scene: Scene, rng: np.random.Generator, cfg: dict, kind: str) -> dict:
    c = cfg["lesions"]["tumoral_glob"]
    g = scene.grid
    joints = joints_in_field(scene)
    if not joints:
        return {}
    hw, hh = g.half
    j = joints[int(rng.integers(len(joints)))]
    D = logu(rng, c["diameter_mm"])
    D = min(D, 1.2 * min(hw, hh) * c["max_field_fraction"]["value"])
    for _ in range(30):
        out = j["out"][int(rng.integers(len(j["out"])))] + rng.normal(0, 0.35)
        dist = j["r"] * rng.uniform(0.5, 1.0) + D * rng.uniform(0.1, 0.3)
        cx, cy = j["c"][0] + dist * math.cos(out), j["c"][1] + dist * math.sin(out)
        if inside(g, cx, cy, D / 2 + 3):
            break
        D *= 0.85
    else:
        return {}
    env_rot = rot3(rng.uniform(0, math.pi), rng.normal(0, 0.3), rng.uniform(0, math.pi))
    env_ax = np.array([1.0, rng.uniform(0.55, 1.0), rng.uniform(0.6, 1.0)]) * D / 2
    n_lob = int(np.clip(c["lobules_base"]["value"] + D / c["mm_per_lobule"]["value"], 3,
                        c["lobules_max"]["value"]))
    rho = uni(rng, c["density_g_cm3"])
    sed = D >= c["sedimentation_min_mm"]["value"] and rng.random() < c["p_sedimentation"]["value"]
    level_tilt = math.radians(rng.normal(0, 2.0))
    lobes = []
    for _ in range(n_lob):
        r = D / 2 * rng.uniform(*c["lobule_radius_fraction"]["value"])
        p = rng.normal(size=3)
        p /= np.linalg.norm(p) + 1e-9
        p *= rng.uniform(0, 1) ** 0.6 * np.maximum(env_ax - r, r * 0.2)
        p = env_rot @ p
        lob = Ellipsoid3D(cx + p[0], cy + p[1], r, r * rng.uniform(0.7, 1.0), r * rng.uniform(0.7, 1.0),
                          rot3(rng.uniform(0, math.pi), rng.normal(0, 0.5), 0), gamma=0.5)
        lobes.append((lob, rho * rng.uniform(0.55, 1.2), sed and r > 4 and rng.random() < 0.45))
    box = [min(l[0].bbox()[0] for l in lobes), min(l[0].bbox()[1] for l in lobes),
           max(l[0].bbox()[2] for l in lobes), max(l[0].bbox()[3] for l in lobes)]
    win = g.window(tuple(box))
    if win is None:
        return {}
    sl, X, Y = win
    acc = np.zeros((Y.shape[0], X.shape[1]), F32)
    layered = np.zeros_like(acc)
    levels = 0
    for lob, d, cystic in lobes:
        w = g.window(lob.bbox())
        if w is None:
            continue
        lsl, LX, LY = w
        ch = lob.chord(LX, LY)
        sub = (slice(lsl[0].start - sl[0].start, lsl[0].stop - sl[0].start),
               slice(lsl[1].start - sl[1].start, lsl[1].stop - sl[1].start))
        if cystic:  # fluid-calcium level: dense sediment below a horizontal line
            yl = lob.cy + lob.a * rng.uniform(-0.3, 0.55)
            below = ((LY - F32(yl)) - (LX - F32(lob.cx)) * F32(math.tan(level_tilt))) > 0
            dens = np.where(below, F32(d * rng.uniform(1.0, 1.3)), F32(d * rng.uniform(0.08, 0.3)))
            layered[sub] = np.maximum(layered[sub], ch * dens)
            acc[sub] += (ch * F32(d * 0.25)) ** F32(P_UNION)  # thin calcified wall/rim
            levels += 1
        else:
            acc[sub] += (ch * F32(d)) ** F32(P_UNION)
    dens_mm = acc ** F32(1 / P_UNION) + layered
    # flocculent, chalky texture: lacunae at 1-4 mm scale
    sc = uni(rng, c["floc_scale_mm"]) / g.s
    h, w = dens_mm.shape
    step = max(1, int(sc / 3))
    nz = smooth_noise(rng, (h // step + 2, w // step + 2), (sc / step, sc / step))
    nz = ndimage.zoom(nz, step, order=1)[:h, :w]
    por = uni(rng, c["porosity"])
    tex = np.clip(1.0 - F32(por) * np.clip(nz + 0.5, 0, 2.0) / 2.0, 0.35, 1.0)
    ha = dens_mm * tex * F32(0.1)
    ha[dens_mm <= 0] = 0
    add_ha_map(scene, sl, ha)
    # the mass lifts the soft tissue: a soft-tissue swelling around it joins the limb outline
    swell = SuperEllipsoid(cx, cy, D / 2 + 6, D / 2 * float(env_ax[1] / env_ax[0]) + 6, D / 2 + 6,
                           float(rng.uniform(0, math.pi)))
    scene.add_envelope([swell], 3.0)
    return {"diameter_mm": D, "lobules": n_lob, "fluid_levels": levels, "density": rho, "joint": j["name"]}
