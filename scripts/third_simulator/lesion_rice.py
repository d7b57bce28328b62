"""Rice-grain calcifications (calcified cysticerci): many fusiform dense foci in muscle,
long axes along the muscle fibres (the compartment's axis), tilted out of plane at random."""
from __future__ import annotations

import math

import numpy as np

from .geometry import Ellipsoid3D, rot3
from .lesion_common import add_ha, inside, limb_point, limb_radius, limbs_in_field, logu, uni
from .scene import Scene


def render(scene: Scene, rng: np.random.Generator, cfg: dict, kind: str) -> dict:
    """Scatter grains through one or two muscle compartments in the field."""
    c = cfg["lesions"]["rice_grain"]
    cands = limbs_in_field(scene)
    if not cands:
        return {}
    n_comp = 2 if (len(cands) > 1 and rng.random() < c["p_two_compartments"]["value"]) else 1
    picks = rng.choice(len(cands), size=n_comp, replace=False)
    n_total = int(round(logu(rng, c["count"])))
    yaw_sd = math.radians(uni(rng, c["axis_spread_deg"]))
    pitch_sd = math.radians(uni(rng, c["tilt_spread_deg"]))
    rho0 = uni(rng, c["density_g_cm3"])
    L_med = uni(rng, c["length_mm"])
    placed = 0
    for pi in picks:
        limb, (t0, t1) = cands[int(pi)]
        ax_len = math.dist(limb["a"], limb["b"])
        ext = min(uni(rng, c["region_mm"]) / ax_len, t1 - t0)
        ts = float(rng.uniform(t0, t1 - ext))
        n = max(1, n_total // n_comp)
        tries = 0
        while n > 0 and tries < 20 * n + 50:
            tries += 1
            t = ts + float(rng.uniform(0, ext))
            _, rm = limb_radius(limb, t)
            v = float(rng.uniform(-0.9, 0.9)) * rm
            x, y, ang = limb_point(limb, t, v)
            length = float(np.clip(L_med * rng.lognormal(0, 0.3), *c["length_clip_mm"]["value"]))
            if not inside(scene.grid, x, y, length):
                continue
            aspect = uni(rng, c["aspect"])
            a = length / 2
            b = a / aspect
            R = rot3(ang + rng.normal(0, yaw_sd), rng.normal(0, pitch_sd), rng.uniform(0, math.pi))
            gam = uni(rng, c["taper_gamma"])
            g = Ellipsoid3D(x, y, a, b, b * rng.uniform(0.8, 1.2), R, gamma=gam)
            rho_g = rho0 * float(rng.uniform(0.7, 1.3))
            add_ha(scene, g, rho_g * 0.75)
            # a longer, thinner core makes the outline fusiform (tapered, rod-like ends)
            add_ha(scene, Ellipsoid3D(x, y, a * 1.3, b * 0.5, b * 0.5, R, gamma=gam), rho_g * 0.6)
            n -= 1
            placed += 1
    return {"count": placed, "density": rho0, "median_length_mm": L_med}
