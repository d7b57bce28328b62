"""Random fields: power-law (1/f^beta) noise, clustered lumpy backgrounds, upsampling."""
from __future__ import annotations

import numpy as np
from scipy import ndimage


def _freq(shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    fy = np.fft.fftfreq(shape[0]).astype(np.float32)[:, None]
    fx = np.fft.rfftfreq(shape[1]).astype(np.float32)[None, :]
    return fy, fx


def powerlaw(rng: np.random.Generator, shape: tuple[int, int], beta: float, aniso: float = 1.0,
             angle: float = 0.0, fmin: float = 0.004) -> np.ndarray:
    """Zero-mean unit-std periodic field with PSD ~ 1/f^beta; ``aniso`` > 1 stretches along ``angle`` (rad)."""
    fy, fx = _freq(shape)
    c, s = np.cos(angle), np.sin(angle)
    fu = fx * c + fy * s            # frequency along the stretch direction
    fv = -fx * s + fy * c
    f = np.sqrt((fu * aniso) ** 2 + fv ** 2 + fmin ** 2)
    spec = np.fft.rfft2(rng.standard_normal(shape, dtype=np.float32))
    out = np.fft.irfft2(spec * f ** (-beta / 2), s=shape).astype(np.float32)
    out -= out.mean()
    return out / (out.std() + 1e-9)


def ridge_texture(rng: np.random.Generator, n: int, beta: float, aniso: float, width: float) -> np.ndarray:
    """Trabecular-like periodic tile: ridges at zero crossings of a band-limited power-law field, 0..1.

    Axis 0 of the tile is the stress-line direction (long correlation)."""
    f = powerlaw(rng, (n, n), beta, aniso=aniso, angle=np.pi / 2, fmin=0.03)
    net = np.exp(-(f / width) ** 2)                       # network of plates/rods
    fine = powerlaw(rng, (n, n), 2.0, fmin=0.05)
    return np.clip(0.55 * net + 0.45 + 0.12 * fine, 0.0, 1.6).astype(np.float32)


def lumpy(rng: np.random.Generator, shape: tuple[int, int], n_clusters: int, blobs: tuple[int, int],
          sigma_px: float, n_orient: int = 4) -> np.ndarray:
    """Clustered lumpy background (Bochud-style): anisotropic Gaussian blobs grouped in clusters
    that share an orientation; returns a zero-mean unit-std field."""
    h, w = shape
    fy, fx = _freq(shape)
    acc = np.zeros((h, fx.shape[1]), np.complex64)
    angles = rng.uniform(0, np.pi, n_orient)
    for k in range(n_orient):
        imp = np.zeros(shape, np.float32)
        m = max(1, n_clusters // n_orient)
        cy, cx = rng.uniform(0, h, m), rng.uniform(0, w, m)
        nb = rng.integers(blobs[0], blobs[1] + 1, m)
        ys = np.repeat(cy, nb) + rng.normal(0, 3 * sigma_px, nb.sum())
        xs = np.repeat(cx, nb) + rng.normal(0, 3 * sigma_px, nb.sum())
        np.add.at(imp, (ys.astype(int) % h, xs.astype(int) % w), 1.0)
        c, s = np.cos(angles[k]), np.sin(angles[k])
        fu, fv = fx * c + fy * s, -fx * s + fy * c
        su, sv = sigma_px * 2.2, sigma_px * 0.8
        kern = np.exp(-2 * np.pi ** 2 * ((fu * su) ** 2 + (fv * sv) ** 2))
        acc += np.fft.rfft2(imp) * kern
    out = np.fft.irfft2(acc, s=shape).astype(np.float32)
    out -= out.mean()
    return out / (out.std() + 1e-9)


def upsample(a: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Bilinear upsampling of a coarse map to ``shape`` (float32)."""
    zy, zx = shape[0] / a.shape[0], shape[1] / a.shape[1]
    return ndimage.zoom(a.astype(np.float32), (zy, zx), order=1, mode="nearest", grid_mode=True)[
        : shape[0], : shape[1]]


def downsample(a: np.ndarray, f: int) -> np.ndarray:
    """Block-mean downsampling by integer factor ``f`` (edges cropped)."""
    h, w = (a.shape[0] // f) * f, (a.shape[1] // f) * f
    return a[:h, :w].reshape(h // f, f, w // f, f).mean(axis=(1, 3))
