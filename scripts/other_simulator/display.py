"""The vendor-like display chain: detected quanta to stored 12-bit pixel values."""

from __future__ import annotations

import math

import numpy as np

from .filters import smooth_large
from .geometry import Grid
from .params import Cfg, Rng, chance, draw, pick


def display(N: np.ndarray, I0: float, g: Grid, rng: Rng, cfg: Cfg, body: np.ndarray, fmask: np.ndarray,
            collimated: bool) -> tuple[np.ndarray, bool]:
    """Stored 12-bit values (uint16) and whether MONOCHROME1: log, optional latitude
    compression and unsharp mask (kernels in mm), body-percentile window, tone curve,
    quantisation (inverted for MONOCHROME1). N and I0 in quanta per pixel."""
    d = cfg["display"]
    y = -np.log(np.clip(N, 0.5, None) / I0)
    seen = body & fmask
    if chance(rng, d["latitude_prob"]):
        big = smooth_large(y, draw(rng, d["latitude_sigma_mm"]) / g.s)
        ref = float(np.median(big[seen])) if seen.any() else float(big.mean())
        y = y - draw(rng, d["latitude_amount"]) * (big - ref)
    if chance(rng, d["unsharp_prob"]):
        y = y + draw(rng, d["unsharp_amount"]) * (y - smooth_large(y, draw(rng, d["unsharp_sigma_mm"]) / g.s))
    vals = y[seen] if seen.any() else y
    lo, hi = np.percentile(vals, [draw(rng, d["low_percentile"]), draw(rng, d["high_percentile"])])
    span = max(hi - lo, 1e-3)
    lo, hi = lo - draw(rng, d["low_margin_frac"]) * span, hi + draw(rng, d["high_margin_frac"]) * span
    t = np.clip((y - lo) / (hi - lo), 0, 1)
    if pick(rng, d["tone"]) == "gamma":
        t = t ** draw(rng, d["gamma"])
    else:
        k = draw(rng, d["sigmoid_gain"])
        s0, s1 = 1 / (1 + math.exp(k / 2)), 1 / (1 + math.exp(-k / 2))
        t = (1 / (1 + np.exp(-k * (t - 0.5))) - s0) / (s1 - s0)
    lo_s, hi_s = draw(rng, d["stored_low"]), draw(rng, d["stored_high"])
    stored = lo_s + t * (hi_s - lo_s)
    if collimated and chance(rng, cfg["detector"]["collimation_masked_prob"]):
        stored = np.where(fmask, stored, 0.0)
    stored = np.clip(np.rint(stored), 0, 4095).astype(np.uint16)
    mono1 = chance(rng, d["monochrome1_prob"])
    return (4095 - stored).astype(np.uint16) if mono1 else stored, mono1
