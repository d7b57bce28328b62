"""Gaussian smoothing with large kernels and band-pass noise fields (sizes in pixels)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import ndimage

from .params import Rng


def smooth_large(img: np.ndarray, sigma_px: float) -> np.ndarray:
    """Gaussian blur with a large sigma (pixels), done on a block-averaged copy."""
    if sigma_px <= 6:
        return ndimage.gaussian_filter(img, sigma_px, mode="nearest")
    f = max(1, int(sigma_px // 3))
    h, w = img.shape
    ph, pw = (-h) % f, (-w) % f
    pad = np.pad(img, ((0, ph), (0, pw)), mode="edge")
    small = pad.reshape(pad.shape[0] // f, f, pad.shape[1] // f, f).mean(axis=(1, 3))
    small = ndimage.gaussian_filter(small, sigma_px / f, mode="nearest")
    big = ndimage.zoom(small, f, order=1, grid_mode=True, mode="nearest")
    return big[:h, :w].astype(img.dtype)


def bandpass_noise(rng: Rng, shape: tuple[int, ...], sigma_px: float | Sequence[float],
                   wrap: bool = False) -> np.ndarray:
    """Zero-mean unit-std band-pass noise (difference of Gaussians at sigma and 2.5 sigma;
    sigma in pixels, a scalar or one per axis)."""
    white = rng.standard_normal(shape).astype(np.float32)
    mode = "wrap" if wrap else "reflect"
    s1 = np.broadcast_to(np.asarray(sigma_px, float), (len(shape),))
    n = ndimage.gaussian_filter(white, s1, mode=mode) - ndimage.gaussian_filter(white, 2.5 * s1, mode=mode)
    return n / (n.std() + 1e-9)
