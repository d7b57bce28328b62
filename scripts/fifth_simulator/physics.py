"""Line integrals -> detected quanta: effective-energy attenuation per material with a quadratic
beam-hardening term, blurred scatter, Poisson + electronic noise shaped by the detector MTF,
CR plate / DR panel artefacts. Output: -log(signal / unattenuated), i.e. total attenuation."""
from __future__ import annotations

import numpy as np
from scipy import ndimage

from . import fields


def mu(cfg: dict, kvp: float) -> dict:
    """Mass attenuation (cm^2/g) at the effective energy of a ``kvp`` beam (log-log interpolation)."""
    t = cfg["mass_atten_cm2_per_g"]["value"]
    ee = cfg["effective_energy_kev"]["value"]
    e = ee["offset"] + ee["per_kvp"] * kvp
    le = np.log(t["energies_kev"])
    # log-log slope of the last interval continues outside the table
    out = {}
    for m in ("fat", "muscle", "mineral", "steel"):
        lm = np.log(t[m])
        k = 0 if np.log(e) < le[1] else 1
        out[m] = float(np.exp(lm[k] + (lm[k + 1] - lm[k]) / (le[k + 1] - le[k]) * (np.log(e) - le[k])))
    return out


def _bh(x: np.ndarray, h: float) -> np.ndarray:
    """Beam hardening: x - h x^2, continued flat-slope beyond the vertex so it stays monotone."""
    xm = 0.45 / h
    return np.where(x < xm, x - h * x * x, xm - h * xm * xm + 0.1 * (x - xm))


def attenuation(rng: np.random.Generator, cfg: dict, kvp: float, soft_c: dict, coarse_shape_full,
                layers: dict) -> tuple[np.ndarray, np.ndarray]:
    """Total log attenuation at full resolution and the coarse soft-tissue attenuation."""
    m, bh = mu(cfg, kvp), cfg["beam_hardening_h"]["value"]
    a_soft = m["fat"] * soft_c["fat"] + m["muscle"] * soft_c["muscle"]
    a_soft = _bh(a_soft, rng.uniform(*bh["soft"])).astype(np.float32)
    A = fields.upsample(a_soft, coarse_shape_full)
    bone = layers["bone"]
    np.maximum(bone, 0, out=bone)
    A += _bh(bone * m["mineral"], rng.uniform(*bh["mineral"])).astype(np.float32)
    if "metal" in layers:
        A += _bh(layers["metal"] * m["steel"], rng.uniform(*bh["steel"])).astype(np.float32)
    if "water" in layers:
        A += layers["water"] * m["muscle"]
    np.maximum(A, 0, out=A)
    return A, a_soft


def detect(rng: np.random.Generator, cfg: dict, A: np.ndarray, a_soft: np.ndarray, coarse: int, sp: float,
           trunk: bool, cr: bool) -> np.ndarray:
    """Exposure, scatter, noise and detector; returns -log(signal/N0) (float32, higher = denser)."""
    det = cfg["detector"]["value"]
    sf = cfg["scatter_fraction"]["value"]
    n0 = rng.uniform(*cfg["quanta_per_mm2"]["value"]) * sp * sp          # quanta / pixel behind tissue
    prim_c = np.exp(-a_soft)
    body = prim_c < 0.8
    med = float(np.median(a_soft[body])) if body.any() else 0.0
    n_open = n0 * np.exp(min(med, 6.0))                                    # AEC: tissue gets ~n0
    spr = rng.uniform(*(sf["trunk"] if trunk else sf["extremity"]))
    ksig = rng.uniform(*sf["kernel_mm"]) / (sp * coarse)
    scat_c = spr * ndimage.gaussian_filter(prim_c, ksig, mode="nearest")   # SPR x blurred primary
    sig = np.exp(-A)
    sig += fields.upsample(scat_c.astype(np.float32), A.shape)
    sig *= np.float32(n_open)
    z = rng.standard_normal(A.shape, dtype=np.float32)
    sig += np.sqrt(sig) * z                                                # quantum noise
    blur = rng.uniform(*(det["cr_blur_px"] if cr else det["dr_blur_px"]))
    sig = ndimage.gaussian_filter(sig, blur, mode="nearest", truncate=3.0)  # MTF shapes signal and NPS
    sig += np.float32(rng.uniform(*det["electronic_noise_rel"]) * n0) * z[::-1, ::-1]
    h, w = A.shape
    if cr:
        for _ in range(int(rng.integers(det["cr_dust"][0], det["cr_dust"][1] + 1))):
            y, x, r = int(rng.integers(0, h)), int(rng.integers(0, w)), int(rng.integers(1, 4))
            sig[max(0, y - r):y + r, max(0, x - r):x + r] *= np.float32(rng.uniform(0.4, 0.85))
        for _ in range(int(rng.integers(det["cr_scratches"][0], det["cr_scratches"][1] + 1))):
            x0, y0, L, a = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(50, 600), rng.uniform(0, np.pi)
            t = np.arange(0, L, 0.7)
            xs, ys = (x0 + t * np.cos(a)).astype(int), (y0 + t * np.sin(a)).astype(int)
            ok = (xs >= 0) & (xs < w) & (ys >= 0) & (ys < h)
            sig[ys[ok], xs[ok]] *= np.float32(rng.uniform(0.5, 1.3))
        sig *= (1 + np.float32(0.01) * np.sin(np.arange(h, dtype=np.float32) / rng.uniform(30, 200)))[:, None]
    else:
        tile = int(rng.integers(*det["dr_tile_px"]))
        gy = 1 + rng.normal(0, rng.uniform(*det["dr_gain_step"]), h // tile + 1).astype(np.float32)
        gx = 1 + rng.normal(0, rng.uniform(*det["dr_gain_step"]), w // tile + 1).astype(np.float32)
        sig *= gy[np.arange(h) // tile][:, None] * gx[np.arange(w) // tile][None, :]
        for _ in range(int(rng.integers(0, 3))):                            # stitched seam lines
            c = int(rng.integers(0, w))
            sig[:, c:c + 1] *= np.float32(rng.uniform(0.96, 1.04))
    np.maximum(sig, 0.5, out=sig)
    out = np.log(np.float32(n_open) / sig)
    return out.astype(np.float32)
