"""Image formation: polychromatic Beer-Lambert projection, heel effect, automatic exposure
control, scatter, quantum and electronic noise, detector blur (MTF)."""
from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

from .materials import mu_rho, mu_lin
from .spectrum import Beam

F32 = np.float32


def blur_mm(img: np.ndarray, sigma_mm: float, spacing: float, max_sigma_px: float = 6.0) -> np.ndarray:
    """Gaussian blur of width `sigma_mm`; large widths run on a block-averaged copy and are
    upsampled back (bilinear), which is exact enough for smooth low-pass fields."""
    sig = sigma_mm / spacing
    if sig <= max_sigma_px:
        return ndimage.gaussian_filter(img, sig, mode="nearest")
    f = int(math.ceil(sig / max_sigma_px))
    h, w = img.shape
    H, W = -(-h // f) * f, -(-w // f) * f
    pad = np.pad(img, ((0, H - h), (0, W - w)), mode="edge")
    small = pad.reshape(H // f, f, W // f, f).mean(axis=(1, 3))
    small = ndimage.gaussian_filter(small, sig / f, mode="nearest")
    out = ndimage.zoom(small.astype(F32), f, order=1, grid_mode=True, mode="nearest")
    return out[:h, :w]


def exposure_profile(h: int, w: int, heel: float, heel_dir: float, falloff: float) -> np.ndarray:
    """Relative primary fluence: linear heel-effect gradient (+-heel at the field edges,
    along image direction heel_dir) times a radial inverse-square/obliquity falloff."""
    y = np.linspace(-1, 1, h, dtype=F32)[:, None]
    x = np.linspace(-1, 1, w, dtype=F32)[None, :]
    g = 1.0 + F32(heel) * (x * F32(math.cos(heel_dir)) + y * F32(math.sin(heel_dir)))
    return (g * (1.0 - F32(falloff) * (x * x + y * y) / 2.0)).astype(F32)


def project(mats: dict[str, np.ndarray], beam: Beam, profile: np.ndarray, shutter: np.ndarray,
            body: np.ndarray, pcfg: dict, spacing: float, rng: np.random.Generator) -> dict:
    """Detector signal (energy-integrated, arbitrary linear units) with scatter, noise and blur.

    mats: path lengths in cm (adipose, muscle, bone, lead) and HA areal density (g/cm^2).
    Returns raw signal, the unattenuated reference level, and the dose/SPR actually used.
    """
    h, w = profile.shape
    E = beam.energy
    mu = {m: (mu_rho(m, E) if m == "hydroxyapatite" else mu_lin(m, E)) for m in mats}
    wE = beam.fluence_per_ugy * beam.eta  # absorbed photons per mm^2 per uGy, per bin
    sig = np.zeros((h, w), F32)
    var = np.zeros((h, w), F32)
    lead = mats.get("lead")
    has_lead = lead is not None and bool(lead.any())
    for k in range(len(E)):
        a = mats["muscle"] * F32(mu["muscle"][k])
        a += mats["adipose"] * F32(mu["adipose"][k])
        a += mats["bone"] * F32(mu["bone"][k])
        a += mats["hydroxyapatite"] * F32(mu["hydroxyapatite"][k])
        if has_lead:
            a += lead * F32(mu["lead"][k])
        np.negative(a, out=a)
        np.exp(a, out=a)
        sig += a * F32(wE[k] * E[k])
        var += a * F32(wE[k] * E[k] * E[k])
    ref = float((wE * E).sum())  # signal per uGy without object
    sig *= profile * shutter
    var *= profile * shutter
    # automatic exposure control: the median of the anatomy gets the target detector kerma
    rel = sig[body & (shutter > 0.5)] / ref if body.any() else sig.ravel() / ref
    med = float(np.median(rel)) if rel.size else 1.0
    k_target = float(rng.uniform(*pcfg["detector_ugy"]["value"]))
    k0 = float(np.clip(k_target / max(med, 1e-4), k_target, 300 * k_target))
    n_scale = k0 * spacing * spacing  # uGy * mm^2 per pixel
    sig *= F32(n_scale)
    var *= F32(n_scale * pcfg["swank_inverse"]["value"])
    ref_level = ref * n_scale
    # scatter from water-equivalent thickness (cm)
    teq = mats["muscle"] * 1.05 + mats["adipose"] * 0.95 + mats["bone"] * 1.85 + mats["hydroxyapatite"] * 1.0
    c1, c2 = pcfg["spr_coeff"]["value"], pcfg["spr_power"]["value"]
    grid_factor = 1.0
    teq_med = float(np.median(teq[body])) if body.any() else 0.0
    if teq_med > pcfg["grid_above_cm"]["value"]:
        grid_factor = float(rng.uniform(*pcfg["grid_factor"]["value"]))
    spr_map = F32(c1 * grid_factor) * np.power(blur_mm(teq, 10.0, spacing), F32(c2))
    sigma_s = float(rng.uniform(*pcfg["scatter_sigma_mm"]["value"]))
    scat = blur_mm(sig * spr_map, sigma_s, spacing) + F32(0.3) * blur_mm(sig * spr_map, sigma_s * 3, spacing)
    scat *= F32(1.0 / 1.3)
    e_mean = beam.mean_energy
    noisy = sig + scat
    var += scat * F32(e_mean)
    noisy += np.sqrt(var) * rng.standard_normal((h, w), dtype=F32)
    # detector blur: light spread (narrow Gaussian) plus a low-amplitude wide glare tail
    s1 = float(rng.uniform(*pcfg["psf_sigma_mm"]["value"]))
    glare = float(rng.uniform(*pcfg["glare_fraction"]["value"]))
    out = ndimage.gaussian_filter(noisy, s1 / spacing, mode="nearest")
    if glare > 0:
        out = out * F32(1 - glare) + F32(glare) * blur_mm(noisy, float(rng.uniform(0.6, 2.0)), spacing)
    # electronic noise (in absorbed-quanta equivalents of mean energy) and gain residuals
    n_e = float(rng.uniform(*pcfg["electronic_quanta"]["value"]))
    out += F32(math.sqrt(n_e) * e_mean) * rng.standard_normal((h, w), dtype=F32)
    if rng.random() < pcfg["p_grid_lines"]["value"]:
        period = float(rng.uniform(2.5, 6.0))  # aliased grid-line period (pixels)
        ax = rng.integers(0, 2)
        line = 1.0 + 0.004 * np.sin(2 * math.pi * np.arange((h, w)[ax]) / period).astype(F32)
        out *= line[:, None] if ax == 0 else line[None, :]
    np.maximum(out, F32(ref_level * 1e-6), out=out)
    spr_body = float(np.median((scat / np.maximum(sig, 1e-6))[body])) if body.any() else 0.0
    return {"raw": out, "ref": ref_level, "k0_ugy": k0, "spr": spr_body, "teq_cm": teq_med,
            "grid": grid_factor < 1.0}
