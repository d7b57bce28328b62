"""Phleboliths (and look-alike ring calcifications): round/oval shells with a lucent centre,
sometimes lamellated or with a small central nidus; single or clustered, in the pelvic side
wall veins or in limb soft tissue (veins, venous malformations, injection sites)."""
from __future__ import annotations

import math

import numpy as np

from .geometry import Ellipsoid3D, rot3
from .lesion_common import add_ha, inside, limb_point, limb_radius, limbs_in_field, logu, uni
from .scene import Scene


def _one(scene: Scene, rng: np.random.Generator, c: dict, x: float, y: float, d: float) -> None:
    R = d / 2
    asp = uni(rng, c["aspect"])
    rot = rot3(rng.uniform(0, math.pi), rng.normal(0, 0.4), rng.uniform(0, math.pi))
    outer = Ellipsoid3D(x, y, R, R / asp, R / asp * rng.uniform(0.9, 1.1), rot)
    rho = uni(rng, c["wall_density_g_cm3"])
    inner_f = uni(rng, c["inner_ratio"])
    centre = rho * uni(rng, c["centre_fraction"])
    add_ha(scene, outer, rho)
    add_ha(scene, outer.scaled(inner_f), centre - rho)   # hollow it out
    if rng.random() < c["p_lamellated"]["value"] and inner_f > 0.45:
        f2 = inner_f * rng.uniform(0.55, 0.8)
        add_ha(scene, outer.scaled(inner_f * 0.92), rho * 0.5 - centre)
        add_ha(scene, outer.scaled(f2), centre - rho * 0.5)
    if rng.random() < c["p_nidus"]["value"]:
        add_ha(scene, outer.scaled(inner_f * 0.3), rho * 0.6)


def render(scene: Scene, rng: np.random.Generator, cfg: dict, kind: str) -> dict:
    c = cfg["lesions"]["phlebolith_ring"]
    g = scene.grid
    n = 1 if rng.random() < c["p_single"]["value"] else int(rng.integers(*c["cluster_count"]["value"]))
    sites = []
    veins = [v for v in scene.landmarks.get("pelvic_veins", []) if inside(g, *v["c"], 15)]
    if veins and rng.random() < c["p_pelvic_if_available"]["value"]:
        use = veins if (len(veins) > 1 and rng.random() < 0.5) else [veins[int(rng.integers(len(veins)))]]
        for v in use:
            sites.append(("pelvic", v))
    else:
        cands = limbs_in_field(scene)
        if not cands:
            return {}
        limb, (t0, t1) = cands[int(rng.integers(len(cands)))]
        sites.append(("limb", (limb, t0, t1)))
    spread = logu(rng, c["cluster_spread_mm"])
    placed, tries = 0, 0
    per = max(1, n // len(sites))
    for kind_site, s in sites:
        if kind_site == "limb":
            limb, t0, t1 = s
            tc = float(rng.uniform(t0, t1))
            rs, rm = limb_radius(limb, tc)
            vc = float(rng.uniform(-0.95, 0.95)) * rs
        m = 0
        while m < per and tries < 400:
            tries += 1
            d = uni(rng, c["diameter_mm"])
            if kind_site == "pelvic":
                u, w = rng.uniform(-1, 1, 2)
                if u * u + w * w > 1:
                    continue
                ca, sa = math.cos(s["ang"]), math.sin(s["ang"])
                x = s["c"][0] + u * s["ax"] * ca - w * s["ay"] * sa
                y = s["c"][1] + u * s["ax"] * sa + w * s["ay"] * ca
            else:
                ax_len = math.dist(limb["a"], limb["b"])
                t = tc + float(rng.normal(0, spread / ax_len))
                v = vc + float(rng.normal(0, spread * 0.5))
                x, y, _ = limb_point(limb, min(max(t, 0), 1), v)
            if not inside(g, x, y, d + 2):
                continue
            _one(scene, rng, c, x, y, d)
            m += 1
            placed += 1
    return {"count": placed, "site": sites[0][0]}
