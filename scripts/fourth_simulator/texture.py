"""Procedural textures: ridged anisotropic noise (trabecular network, weave) and smooth blobs."""
from __future__ import annotations

import numpy as np
from scipy import fft, ndimage


def ridged(rng: np.random.Generator, shape: tuple[int, int], period_px: float, angle: float,
           aniso: float = 2.5) -> np.ndarray:
    """Network-like texture with mean 1: ridges of band-pass noise elongated along `angle` (rad).

    Band-pass (ring at 1/period) noise, stretched `aniso` times along the preferred direction,
    folded (1 - |n|) so zero crossings become thin bright struts, like projected trabeculae.
    """
    h, w = shape
    ky = fft.fftfreq(h)[:, None]
    kx = fft.rfftfreq(w)[None, :]
    ca, sa = np.cos(angle), np.sin(angle)
    k_par = kx * ca + ky * sa          # frequency along the preferred direction
    k_perp = -kx * sa + ky * ca
    kr = np.sqrt((k_par * aniso) ** 2 + k_perp ** 2)
    f0 = 1.0 / max(period_px, 2.05)
    filt = np.exp(-0.5 * ((kr - f0) / (0.45 * f0)) ** 2)
    noise = rng.standard_normal(shape).astype(np.float32)
    n = fft.irfft2(fft.rfft2(noise) * filt, s=shape).astype(np.float32)
    n /= n.std() + 1e-9
    r = np.clip(1.0 - np.abs(n), 0, None) ** 2
    return r / (r.mean() + 1e-9)


def blobs(rng: np.random.Generator, shape: tuple[int, int], sigma_px: float) -> np.ndarray:
    """Smooth zero-mean unit-std noise with correlation length sigma_px."""
    n = rng.standard_normal(shape).astype(np.float32)
    n = ndimage.gaussian_filter(n, max(sigma_px, 0.5), mode="wrap")
    return n / (n.std() + 1e-9)
