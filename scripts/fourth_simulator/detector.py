"""Exposure, scatter, heel effect, focal-spot penumbra, quantum noise and detector artefacts.

CR (storage phosphor): quantum noise is added before the phosphor/laser-readout blur, so it
comes out correlated; readout line noise and dust specks. DX (direct-conversion a-Se panel):
near-aperture MTF, white noise, flat-field gain residue, occasionally a dead row/column.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

from .materials import mu
from .params import P, U, V
from .render import Grid, upsample


def heel_and_falloff(grid: Grid, sid: float, gradient: float, axis: int, sign: float) -> np.ndarray:
    """Relative fluence: anode heel ramp along `axis` x inverse-square / obliquity (cos^3) falloff."""
    u, v = grid.axes(True)
    t = (v if axis == 0 else u) / (0.5 * grid.pix * (grid.h if axis == 0 else grid.w))
    heel = 1.0 + sign * 0.5 * gradient * t
    cos3 = (sid / np.sqrt(u ** 2 + v ** 2 + sid ** 2)) ** 3
    return (heel * cos3).astype(np.float32)


def scatter(primary_c: np.ndarray, logp_c: np.ndarray, energy: float, grid: Grid, rng, cfg,
            use_grid: bool) -> np.ndarray:
    """Low-frequency scatter on the coarse grid: SPR grows with water-equivalent thickness."""
    t_cm = np.clip(-logp_c / mu("water", np.array([energy]))[0], 0, None) / 10.0
    spr = U(rng, cfg, "scatter_spr_per_cm") * t_cm
    if use_grid:
        spr *= U(rng, cfg, "grid_scatter_factor")
    k = 4
    src = (primary_c * spr)[: primary_c.shape[0] // k * k, : primary_c.shape[1] // k * k]
    small = src.reshape(src.shape[0] // k, k, src.shape[1] // k, k).mean((1, 3))
    sig = U(rng, cfg, "scatter_sigma_mm") / (grid.pix * grid.f * k)
    small = ndimage.gaussian_filter(small, sig, mode="nearest")
    out = ndimage.zoom(small, (primary_c.shape[0] / small.shape[0], primary_c.shape[1] / small.shape[1]),
                       order=1, mode="nearest", grid_mode=True)
    return out[: primary_c.shape[0], : primary_c.shape[1]].astype(np.float32)


def expose(primary: np.ndarray, scat_c: np.ndarray, field: np.ndarray, grid: Grid, rng, cfg,
           detector: str, focal_blur_px: float) -> np.ndarray:
    """Detected signal (quanta per pixel) from relative primary (full res) and scatter (coarse)."""
    n0 = U(rng, cfg, "quanta_per_pixel")
    sig = primary * field + upsample(scat_c, grid.f) * (0.25 + 0.75 * field)
    if focal_blur_px > 0.3:
        sig = ndimage.gaussian_filter(sig, focal_blur_px, truncate=3.0)
    sig *= n0
    noise = rng.standard_normal(sig.shape, dtype=np.float32)
    if detector == "cr":
        sig += noise * np.sqrt(np.maximum(sig, 1.0)) * 1.1
        s_mtf = U(rng, cfg, "cr_mtf_sigma_mm") / grid.pix
        sig = ndimage.gaussian_filter(sig, s_mtf, truncate=3.0)
        sig *= 1 + U(rng, cfg, "cr_line_noise") * rng.standard_normal((sig.shape[0], 1)).astype(np.float32)
        _dust(sig, rng, cfg, grid)
    else:
        s_mtf = U(rng, cfg, "dx_mtf_sigma_mm") / grid.pix
        if s_mtf > 0.3:
            sig = ndimage.gaussian_filter(sig, s_mtf, truncate=3.0)
        sig += noise * np.sqrt(np.maximum(sig, 1.0))
        g = U(rng, cfg, "dx_gain_residue")
        sig *= 1 + g * rng.standard_normal((1, sig.shape[1])).astype(np.float32)
        sig *= 1 + 0.5 * g * rng.standard_normal((sig.shape[0], 1)).astype(np.float32)
        if P(rng, cfg, "p_dead_line"):
            if rng.random() < 0.5:
                c = int(rng.integers(0, sig.shape[1]))
                sig[:, c] = 0.5 * n0 * rng.uniform(0.0, 0.05)
            else:
                r = int(rng.integers(0, sig.shape[0]))
                sig[r, :] = 0.5 * n0 * rng.uniform(0.0, 0.05)
    sig += U(rng, cfg, "electronic_noise") * n0 * rng.standard_normal(sig.shape, dtype=np.float32)
    return np.maximum(sig, 0.5)


def _dust(sig: np.ndarray, rng, cfg, grid: Grid) -> None:
    """CR plate dust: small specks that block stimulated light (lower signal -> white in display)."""
    for _ in range(int(rng.integers(*[int(x) for x in V(cfg, "cr_dust_count")]) + 1) - 1):
        r = int(rng.integers(5, sig.shape[0] - 5))
        c = int(rng.integers(5, sig.shape[1] - 5))
        rad = rng.uniform(0.15, 0.6) / grid.pix
        n = int(np.ceil(rad * 2)) + 2
        yy, xx = np.mgrid[-n:n + 1, -n:n + 1]
        spot = np.exp(-0.5 * (xx ** 2 + yy ** 2) / max(rad, 0.5) ** 2).astype(np.float32)
        r0, r1, c0, c1 = max(r - n, 0), min(r + n + 1, sig.shape[0]), max(c - n, 0), min(c + n + 1, sig.shape[1])
        sig[r0:r1, c0:c1] *= 1 - rng.uniform(0.2, 0.7) * spot[r0 - r + n:r1 - r + n, c0 - c + n:c1 - c + n]
