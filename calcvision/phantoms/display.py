"""The display chain of a CR/DX system: range normalisation, dynamic range compression, edge
enhancement, tone curve, window, quantisation to BitsStored and photometric sense."""

from __future__ import annotations

import cv2
import numpy as np

from calcvision.phantoms.geometry import blur_lowres, gaussian


def subsample_step(img: np.ndarray, target: int = 20000) -> int:
    """Stride that leaves about ``target`` pixels: histogram statistics need no more."""
    return max(1, int(np.ceil(np.sqrt(img.size / target))))


def robust_range(img: np.ndarray, low_q: float, high_q: float, mask: np.ndarray | None = None) -> tuple[float, float]:
    """Quantiles of a subsample of the image, over ``mask`` (the exposed anatomy, as DR
    processing segments it) when given and not empty."""
    step = subsample_step(img)
    sub = img[::step, ::step]
    if mask is not None:
        m = mask[::step, ::step]
        if m.sum() > 100:
            sub = sub[m]
    lo, hi = np.quantile(sub, [low_q, high_q])
    if hi - lo < 1e-3:
        hi = lo + 1e-3
    return float(lo), float(hi)


def normalise(img: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return (img - np.float32(lo)) * np.float32(1.0 / (hi - lo))


def compress_range(img: np.ndarray, amount: float, sigma_px: float) -> np.ndarray:
    """Large-kernel equalisation: subtract part of the local mean so that thick and thin
    regions share the display range."""
    if amount <= 0:
        return img
    base = blur_lowres(img, sigma_px)
    return img - np.float32(amount) * (base - np.float32(base.mean()))


def unsharp(img: np.ndarray, amount: float, sigma_px: float) -> np.ndarray:
    """Edge enhancement: img + amount (img - blur(img))."""
    if amount <= 0:
        return img
    return img + np.float32(amount) * (img - gaussian(img, sigma_px))


def tone(img: np.ndarray, kind: str, gamma: float, slope: float, centre: float) -> np.ndarray:
    """Tone curve mapping ~0..1 to 0..1 (values outside are clipped first)."""
    x = np.clip(img, 0.0, 1.0)
    if kind == "gamma":
        return x ** np.float32(gamma)
    if kind == "sigmoid":
        s = lambda t: 1.0 / (1.0 + np.exp(-slope * (t - centre)))  # noqa: E731
        lo, hi = s(0.0), s(1.0)
        return ((1.0 / (1.0 + np.exp(np.float32(-slope) * (x - np.float32(centre)))) - lo) / (hi - lo)).astype(np.float32)
    return x


def degrade(img: np.ndarray, jpeg_quality: int | None, eight_bit: bool) -> np.ndarray:
    """A copy's history: through lossy JPEG at ``jpeg_quality`` and/or through 8 bits
    (0..1 in, 0..1 out)."""
    if jpeg_quality is None and not eight_bit:
        return img
    u8 = np.clip(np.rint(img * 255.0), 0, 255).astype(np.uint8)
    if jpeg_quality is not None:
        ok, buf = cv2.imencode(".jpg", u8, [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])
        if ok:
            u8 = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
    return u8.astype(np.float32) * np.float32(1 / 255.0)


def window(img: np.ndarray, centre: float, width: float) -> np.ndarray:
    return np.clip((img - np.float32(centre - width / 2)) * np.float32(1.0 / width), 0.0, 1.0)


def quantise(unit: np.ndarray, bits_stored: int, range_used: float, offset_frac: float) -> np.ndarray:
    """0..1 -> unsigned integers in [0, 2**bits_stored - 1], occupying ``range_used`` of the
    range starting at ``offset_frac`` of the unused part (MONOCHROME2 sense)."""
    top = (1 << bits_stored) - 1
    lo = offset_frac * (1.0 - range_used) * top
    vals = np.rint(np.float32(lo) + unit * np.float32(range_used * top))
    return np.clip(vals, 0, top).astype(np.uint16)


_FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_PLAIN)


def burn_in(img: np.ndarray, spec: dict | None) -> np.ndarray:
    """Display values (0-1) with annotation text written over them (anti-aliased, white or
    black), as a modality burns it into the pixels; ``spec`` from confusers.annotation_spec."""
    if spec is None:
        return img
    font = _FONTS[spec["font"]]
    thickness = max(1, int(round(spec["height_px"] / 10)))
    scale = cv2.getFontScaleFromHeight(font, max(4, int(round(spec["height_px"]))), thickness)
    ink = np.zeros(img.shape, np.uint8)
    cv2.putText(ink, spec["text"], (spec["x"], spec["y"]), font, scale, 255, thickness, cv2.LINE_AA)
    a = ink.astype(np.float32) / np.float32(255)
    return (img * (1 - a) + np.float32(spec["value"]) * a).astype(np.float32)
