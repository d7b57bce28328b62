"""The detector grid in millimetres, the limb frame, projected thickness of simple solids and
band-limited random textures. All lengths in mm; arrays float32 (rows, cols)."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

cv2.setNumThreads(1)  # deterministic and fair on a shared 2-core machine


@dataclass(frozen=True)
class Grid:
    """Pixel-centre coordinates in mm, origin at the field centre, x to the right, y down."""

    shape: tuple[int, int]
    spacing: float

    @property
    def xs(self) -> np.ndarray:
        return ((np.arange(self.shape[1], dtype=np.float32) + 0.5) - self.shape[1] / 2) * self.spacing

    @property
    def ys(self) -> np.ndarray:
        return ((np.arange(self.shape[0], dtype=np.float32) + 0.5) - self.shape[0] / 2) * self.spacing

    @property
    def size_mm(self) -> tuple[float, float]:
        return self.shape[0] * self.spacing, self.shape[1] * self.spacing

    def to_px(self, x_mm: float, y_mm: float) -> tuple[float, float]:
        """mm -> fractional pixel (col, row) coordinates."""
        return x_mm / self.spacing + self.shape[1] / 2 - 0.5, y_mm / self.spacing + self.shape[0] / 2 - 0.5

    def patch(self, x_mm: float, y_mm: float, r_mm: float) -> tuple[slice, slice] | None:
        """Row/col slices of the pixels within ``r_mm`` of a point, or None if outside."""
        c, r = self.to_px(x_mm, y_mm)
        rp = r_mm / self.spacing + 1
        r0, r1 = max(0, int(r - rp)), min(self.shape[0], int(r + rp) + 2)
        c0, c1 = max(0, int(c - rp)), min(self.shape[1], int(c + rp) + 2)
        if r0 >= r1 or c0 >= c1:
            return None
        return slice(r0, r1), slice(c0, c1)


@dataclass(frozen=True)
class Frame:
    """A limb frame: axis through (cx, cy) mm at angle ``theta`` (rad) from +x; u along the
    axis, v across it."""

    cx: float
    cy: float
    theta: float

    def uv(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        c, s = np.float32(np.cos(self.theta)), np.float32(np.sin(self.theta))
        dx, dy = x - np.float32(self.cx), y - np.float32(self.cy)
        return dx * c + dy * s, dy * c - dx * s

    def xy(self, u: float, v: float) -> tuple[float, float]:
        c, s = np.cos(self.theta), np.sin(self.theta)
        return self.cx + u * c - v * s, self.cy + u * s + v * c


def chord(r2: np.ndarray | float, d: np.ndarray) -> np.ndarray:
    """Path length (mm) through a cylinder/sphere of squared radius ``r2`` at distance ``d``
    from its centre line: 2 sqrt(r^2 - d^2), 0 outside."""
    return 2.0 * np.sqrt(np.maximum(r2 - d * d, 0.0))


def ellipse_chord(semi_w: np.ndarray | float, semi_d: np.ndarray | float, v: np.ndarray) -> np.ndarray:
    """Path length through an elliptical cross-section of half-width ``semi_w`` (in the image)
    and half-depth ``semi_d`` (along the beam) at lateral offset ``v``."""
    q = 1.0 - (v / semi_w) ** 2
    return 2.0 * semi_d * np.sqrt(np.maximum(q, 0.0))


def ellipsoid_chord(du: np.ndarray, dv: np.ndarray, a: float, b: float, c: float) -> np.ndarray:
    """Projected thickness of an ellipsoid with in-plane semi-axes a (along du), b (along dv)
    and depth semi-axis c."""
    q = 1.0 - (du / a) ** 2 - (dv / b) ** 2
    return (2.0 * c) * np.sqrt(np.maximum(q, 0.0))


def lumpy_ellipsoid_chord(du: np.ndarray, dv: np.ndarray, a: float, b: float, c: float,
                          harmonics: list[tuple[int, float, float]]) -> np.ndarray:
    """Projected thickness of an ellipsoid whose outline radius is modulated by
    1 + sum amp cos(k phi + phase) over ``harmonics`` [(k, amp, phase)]: a lobulated mass."""
    x, y = du / np.float32(a), dv / np.float32(b)
    rho2 = x * x + y * y
    phi = np.arctan2(y, x)
    edge = np.ones_like(rho2)
    for k, amp, ph in harmonics:
        edge += np.float32(amp) * np.cos(np.float32(k) * phi + np.float32(ph))
    return (2.0 * c) * np.sqrt(np.maximum(1.0 - rho2 / (edge * edge), 0.0))


def corticated(outer: np.ndarray, inner: np.ndarray, bvf: float, tex: np.ndarray | float,
               gain: float = 0.35) -> tuple[np.ndarray, np.ndarray]:
    """(bone, marrow) path lengths (mm) of a corticated bone from the chords through its outer
    surface and through its medullary cavity: compact cortex between the two, cancellous bone
    of volume fraction ``bvf`` inside, modulated by the trabecular texture ``tex`` (about
    -1..1.5) x ``gain``; marrow fills the rest of the cavity."""
    cancellous = np.clip(inner * np.float32(bvf) * (1 + np.float32(gain) * tex), 0, inner)
    return outer - inner + cancellous, inner - cancellous


def smooth_noise(rng: np.random.Generator, shape: tuple[int, int], corr_px: float,
                 corr_px_y: float | None = None) -> np.ndarray:
    """Zero-mean, unit-variance band-limited noise with correlation length ``corr_px`` (x) and
    ``corr_px_y`` (y): white noise on a coarse lattice, bicubic-upsampled."""
    cy = corr_px if corr_px_y is None else corr_px_y
    gh = max(2, int(np.ceil(shape[0] / max(cy, 1.0))) + 3)
    gw = max(2, int(np.ceil(shape[1] / max(corr_px, 1.0))) + 3)
    coarse = rng.standard_normal((gh, gw), dtype=np.float32)
    big = cv2.resize(coarse, (int(gw * max(corr_px, 1.0)), int(gh * max(cy, 1.0))), interpolation=cv2.INTER_CUBIC)
    oy, ox = int(max(cy, 1.0)), int(max(corr_px, 1.0))
    out = big[oy:oy + shape[0], ox:ox + shape[1]]
    return out / np.float32(max(out.std(), 1e-6))


def power_law_noise(rng: np.random.Generator, shape: tuple[int, int], spacing_mm: float, beta: float,
                    longest_mm: float = 150.0) -> np.ndarray:
    """Zero-mean, unit-variance noise whose power spectrum falls as ``1 / f**beta`` (``f`` in
    cycles/mm, flattened below ``1 / longest_mm``): the statistics of anatomical background
    ("clutter") in projection radiographs. The frequencies are physical, so the texture has
    the same size in mm at every pixel spacing. White noise filtered in the Fourier domain."""
    fy = np.fft.fftfreq(shape[0], d=spacing_mm).astype(np.float32)[:, None]
    fx = np.fft.rfftfreq(shape[1], d=spacing_mm).astype(np.float32)[None, :]
    amp = (fy * fy + fx * fx + np.float32(1.0 / longest_mm) ** 2) ** np.float32(-beta / 4)
    white = np.fft.rfft2(rng.standard_normal(shape, dtype=np.float32))
    out = np.fft.irfft2(white * amp, s=shape).astype(np.float32)
    out -= out.mean()
    return out / np.float32(max(float(out.std()), 1e-12))


def frame_noise(rng: np.random.Generator, u: np.ndarray, v: np.ndarray, corr_u_mm: float,
                corr_v_mm: float) -> np.ndarray:
    """Band-limited noise sampled at limb-frame coordinates (u, v) mm, so anisotropic textures
    (fibres, bands) follow the limb axis whatever the image rotation. Unit variance."""
    u0, v0 = float(u.min()), float(v.min())
    mu = (u - np.float32(u0)) / np.float32(corr_u_mm) + 1.0
    mv = (v - np.float32(v0)) / np.float32(corr_v_mm) + 1.0
    gh, gw = int(mv.max()) + 4, int(mu.max()) + 4
    coarse = rng.standard_normal((gh, gw), dtype=np.float32)
    out = cv2.remap(coarse, mu.astype(np.float32), mv.astype(np.float32), cv2.INTER_CUBIC,
                    borderMode=cv2.BORDER_REFLECT)
    return out / np.float32(0.75)  # bicubic interpolation of unit white noise has std ~0.75


def gaussian(img: np.ndarray, sigma_px: float) -> np.ndarray:
    """Gaussian blur (reflecting borders); identity for sigma below 0.2 px; kernels wider
    than 8 px are computed on a downsampled copy (see ``blur_lowres``)."""
    if sigma_px < 0.2:
        return img
    if sigma_px > 8:
        return blur_lowres(img, sigma_px)
    return cv2.GaussianBlur(img, (0, 0), sigmaX=float(sigma_px), borderType=cv2.BORDER_REFLECT)


def blur_lowres(img: np.ndarray, sigma_px: float) -> np.ndarray:
    """A broad Gaussian blur computed on a downsampled copy (scatter, equalisation): cheap for
    kernels of tens of pixels."""
    f = max(1, int(sigma_px / 3))
    if f == 1:
        return cv2.GaussianBlur(img, (0, 0), sigmaX=float(sigma_px), borderType=cv2.BORDER_REFLECT)
    h, w = img.shape
    small = cv2.resize(img, (max(1, w // f), max(1, h // f)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigmaX=sigma_px / f, borderType=cv2.BORDER_REFLECT)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
