"""Vendor-like 'for presentation' processing: log transform, dynamic-range compression,
multi-scale contrast enhancement, tone curve and windowing into 10-16 stored bits."""
from __future__ import annotations

import math

import numpy as np
from scipy.interpolate import PchipInterpolator

from .physics import blur_mm

F32 = np.float32


def _draw(rng: np.random.Generator, entry: dict) -> float:
    lo, hi = entry["value"]
    return float(rng.uniform(lo, hi))


def process(raw: np.ndarray, ref: float, shutter: np.ndarray, body: np.ndarray, bone_mask: np.ndarray,
            spacing: float, cfg: dict, rng: np.random.Generator) -> dict:
    """Raw linear detector signal -> stored pixel values (uint16) plus what was chosen.

    The 'display' array is the processed image in [0, 1], bright = attenuating (MONOCHROME2 sense).
    """
    L = np.log(F32(ref) / raw).astype(F32)  # attenuation (bone bright)
    anat = body & (shutter > 0.5)
    if anat.sum() < 1000:
        anat = shutter > 0.5
    # dynamic range compression: subtract part of the very low frequencies
    a_drc = _draw(rng, cfg["drc_strength"])
    low = blur_mm(L, _draw(rng, cfg["drc_sigma_mm"]), spacing)
    L1 = L - F32(a_drc) * (low - F32(np.median(low[anat])))
    # multi-scale enhancement: three detail bands with gains that fall off for large details
    s1, s2, s3 = (float(rng.uniform(*cfg["band_sigma_mm"]["value"][i])) for i in range(3))
    b1 = blur_mm(L1, s1, spacing)
    b2 = blur_mm(b1, s2, spacing)
    b3 = blur_mm(b2, s3, spacing)
    g0, g1, g2 = (float(rng.uniform(*cfg["band_gain"]["value"][i])) for i in range(3))
    scale = float(np.percentile(np.abs(b1 - b2)[anat], 90)) + 1e-6
    d1, d2 = b1 - b2, b2 - b3
    out = b3 + F32(g0) * (L1 - b1)
    out += d1 * (1 + F32(g1 - 1) / (1 + np.abs(d1) / F32(2 * scale)))
    out += d2 * (1 + F32(g2 - 1) / (1 + np.abs(d2) / F32(4 * scale)))
    # tone curve: a monotone curve through the anatomy's landmarks of the histogram (direct-
    # exposure edge, soft-tissue median, bone median, brightest bone), as histogram-driven
    # vendor look-up tables do; then a film-like shoulder/toe (sigmoid blend) and gamma
    p_lo, p_hi = _draw(rng, cfg["window_lo_pct"]), _draw(rng, cfg["window_hi_pct"])
    step = max(1, int(anat.sum() // 200000))
    vals = out[anat][::step]
    lo, hi = (float(v) for v in np.percentile(vals, [p_lo, p_hi]))
    soft_sel = anat & ~bone_mask
    bone_sel = anat & bone_mask
    soft_med = float(np.median(out[soft_sel][::step])) if soft_sel.sum() > 500 else lo + 0.35 * (hi - lo)
    bone_med = float(np.median(out[bone_sel][::step])) if bone_sel.sum() > 500 else lo + 0.75 * (hi - lo)
    R = max(hi - lo, 1e-6)  # keep the curve's slope bounded (no noise-amplifying cliffs)
    soft_med = float(np.clip(soft_med, lo + 0.15 * R, hi - 0.45 * R))
    bone_med = float(np.clip(bone_med, soft_med + 0.25 * R, hi - 0.08 * R))
    xs = [lo - 0.05 * R, lo, soft_med, bone_med, hi, hi + 0.05 * R]
    ys = [0.0, _draw(rng, cfg["tone_lo"]), _draw(rng, cfg["tone_soft"]), _draw(rng, cfg["tone_bone"]),
          _draw(rng, cfg["tone_hi"]), 1.0]
    xs = np.maximum.accumulate(np.array(xs) + np.arange(6) * 1e-4 * (hi - lo))
    ys = np.maximum.accumulate(np.array(ys))
    lut_x = np.linspace(xs[0], xs[-1], 4096)
    lut_y = PchipInterpolator(xs, ys)(lut_x)
    y = np.interp(out, lut_x, lut_y).astype(F32)
    k, x0 = _draw(rng, cfg["tone_slope"]), 0.5
    t0, t1 = math.tanh(-k * x0), math.tanh(k * (1 - x0))
    y = F32(0.7) * y + F32(0.3) * (np.tanh(F32(k) * (y - F32(x0))) - F32(t0)) / F32(t1 - t0)
    gamma = _draw(rng, cfg["tone_gamma"])
    np.clip(y, 0, 1, out=y)
    y **= F32(gamma)
    collimated = shutter < 0.5
    if collimated.any() and rng.random() < cfg["p_black_mask"]["value"]:
        y[collimated] = 0.0  # electronic shuttering of the collimated border
    bits = int(rng.choice(cfg["bits"]["value"], p=cfg["bits"]["p"]))
    maxv = (1 << bits) - 1
    used = _draw(rng, cfg["range_used"])
    off = float(rng.uniform(0, 1 - used)) * maxv
    stored = y * F32(used * maxv) + F32(off)
    mono1 = bool(rng.random() < cfg["p_monochrome1"]["value"])
    if mono1:
        stored = F32(maxv) - stored
    pixels = np.clip(np.rint(stored), 0, maxv).astype(np.uint16)
    centre = off + used * maxv / 2.0
    if mono1:
        centre = maxv - centre
    return {"pixels": pixels, "display": y, "bits": bits, "mono1": mono1,
            "window": (centre, used * maxv), "proc": {
                "drc": a_drc, "gains": (g0, g1, g2), "sigmas_mm": (s1, s2, s3), "tone": (ys.tolist(), k, gamma)}}
