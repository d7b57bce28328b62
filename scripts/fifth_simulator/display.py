"""Vendor-like presentation: windowing, LUT (S-curve, logarithmic, equalised), unsharp masking,
black collimation shutters, burned-in annotation, quantisation to ``bits`` and MONOCHROME1/2."""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage

from . import fields


def _blur_coarse(d: np.ndarray, sigma_px: float) -> np.ndarray:
    """Large Gaussian blur computed on a block-averaged copy, then upsampled (fast)."""
    f = int(max(1, min(16, sigma_px // 3)))
    small = fields.downsample(d, f) if f > 1 else d
    small = ndimage.gaussian_filter(small, sigma_px / f, mode="nearest")
    return fields.upsample(small, d.shape) if f > 1 else small


def present(rng: np.random.Generator, cfg: dict, raw: np.ndarray, sp: float, rect: tuple[int, int, int, int],
            text: str | None) -> np.ndarray:
    """Map total attenuation ``raw`` to display values 0..1 (1 = white in display sense)."""
    pc = cfg["processing"]["value"]
    x0, y0, x1, y1 = rect
    ks = rng.uniform(*pc["unsharp_kernel_mm"]) / sp
    g = np.float32(rng.uniform(*pc["unsharp_gain"]))
    comp = np.float32(rng.uniform(*pc["latitude_compression"]))
    B = _blur_coarse(raw, ks / 2)
    ref = np.float32(np.median(B[y0:y1:8, x0:x1:8]))
    d = raw + g * (raw - B) - comp * (B - ref)            # detail boost + latitude compression
    del B
    lo, hi = np.percentile(d[y0:y1:4, x0:x1:4], [rng.uniform(0.2, 3), rng.uniform(99.3, 99.95)])
    d -= np.float32(lo)
    d *= np.float32(1.0 / max(hi - lo, 1e-3))
    np.clip(d, 0, 1, out=d)
    lut = pc["lut"][int(rng.integers(len(pc["lut"])))]
    if lut == "s_curve":
        k, c = rng.uniform(3, 7), rng.uniform(0.4, 0.6)
        a, b = 1 / (1 + np.exp(k * c)), 1 / (1 + np.exp(-k * (1 - c)))
        d = (1 / (1 + np.exp(-k * (d - c))) - a) / (b - a)
    elif lut == "log":
        gg = rng.uniform(2, 10)
        d = np.log1p(gg * d) / np.log1p(gg) if rng.random() < 0.5 else np.expm1(np.log1p(gg) * d) / gg
    else:
        hist, edges = np.histogram(d[y0:y1:4, x0:x1:4], bins=256, range=(0, 1))
        cdf = np.cumsum(hist).astype(np.float32)
        cdf /= cdf[-1]
        w = rng.uniform(0.3, 0.7)
        d = w * np.interp(d, edges[1:], cdf).astype(np.float32) + (1 - w) * d
    d = np.clip(d.astype(np.float32), 0, 1)
    mask = np.zeros(d.shape, bool)
    mask[y0:y1, x0:x1] = True
    d[~mask] = np.float32(rng.uniform(0.0, 0.04))                 # black shutters
    if text:
        _burn_text(rng, d, text)
    return d


def _burn_text(rng: np.random.Generator, d: np.ndarray, text: str) -> None:
    """Burn a white annotation line into a corner band of the image."""
    h, w = d.shape
    px = int(h * rng.uniform(0.014, 0.025))
    im = Image.new("L", (min(w, px * len(text)), int(px * 1.4)), 0)
    try:
        font = ImageFont.load_default(size=px)
    except TypeError:
        font = ImageFont.load_default()
    ImageDraw.Draw(im).text((2, 1), text, fill=255, font=font)
    m = np.asarray(im, np.float32) / 255.0
    y = int(rng.choice([0.01, 0.95]) * h)
    x = int(rng.uniform(0.01, 0.3) * w)
    hh, ww = min(m.shape[0], h - y), min(m.shape[1], w - x)
    reg = d[y:y + hh, x:x + ww]
    np.maximum(reg, m[:hh, :ww], out=reg)


def quantise(d: np.ndarray, bits: int, mono1: bool) -> np.ndarray:
    """Display 0..1 -> stored uint16 in [0, 2^bits - 1]; MONOCHROME1 stores the inverse."""
    top = (1 << bits) - 1
    q = np.rint(d * top).astype(np.uint16)
    return (top - q).astype(np.uint16) if mono1 else q
