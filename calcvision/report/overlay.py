"""Pictures of a result: the radiograph with the heat map, the box and a label drawn on it.

One renderer serves the HTML thumbnails and the burned-in Secondary Capture, so what a
viewer sees in PACS is what the report shows.
"""

from __future__ import annotations

import base64
import io
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

BOX_RGB = (0, 255, 255)
HEAT_ALPHA = 0.5
HEAT_FLOOR = 0.2
"""Saliency below this fraction of the map's peak is not painted, so the anatomy stays readable."""
MIN_PEAK = 1e-3
"""A map whose peak is below this (no evidence anywhere) is not painted at all."""


@lru_cache(maxsize=1)
def _turbo_lut() -> np.ndarray:
    from matplotlib import colormaps

    return (colormaps["turbo"](np.linspace(0, 1, 256))[:, :3] * 255).astype(np.float32)


def _blend_heat(rgb: np.ndarray, heat: np.ndarray) -> None:
    """Blend the colour-mapped ``heat`` into ``rgb`` (float32, in place) where it is above
    ``HEAT_FLOOR``; only the bounding rows/cols of that area are touched (a map is zero away
    from the lesion, and a plate has millions of pixels)."""
    peak = float(heat.max())
    if peak < MIN_PEAK:
        return
    heat = heat / peak  # shown relative to the image's strongest evidence
    hot = heat >= HEAT_FLOOR
    rows, cols = np.flatnonzero(hot.any(axis=1)), np.flatnonzero(hot.any(axis=0))
    if rows.size == 0:
        return
    win = np.s_[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    h = np.clip(heat[win], 0, 1)
    alpha = (hot[win] * (HEAT_ALPHA * np.sqrt(h)))[..., None]
    colour = _turbo_lut()[np.round(h * 255).astype(np.uint8)]
    rgb[win] = rgb[win] * (1 - alpha) + colour * alpha


def _shrink(a: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Area-average a float image down to ``size`` (width, height)."""
    return np.asarray(Image.fromarray(a.astype(np.float32), "F").resize(size, Image.Resampling.BOX))


def render(pixels: np.ndarray, *, heat: np.ndarray | None = None,
           box: tuple[float, float, float, float] | None = None, label: str | None = None,
           max_side: int | None = None) -> Image.Image:
    """RGB picture of ``pixels`` (float 0..1, MONOCHROME2 sense) with ``heat`` (same shape,
    0..1, shown relative to its peak) blended where above ``HEAT_FLOOR`` of the peak, the
    ``box`` (x0, y0, x1, y1 in ``pixels`` coordinates) outlined and ``label`` written in the
    top-left corner on a dark band. ``max_side`` shrinks the picture first (thumbnails); lines and text are drawn at the
    final size so they stay legible.
    """
    gray = np.clip(np.nan_to_num(pixels), 0, 1).astype(np.float32)
    if heat is not None and heat.shape != gray.shape:
        raise ValueError(f"heat map shape {heat.shape} differs from image shape {gray.shape}")
    factor = 1.0
    if max_side and max(gray.shape) > max_side:
        factor = max_side / max(gray.shape)
        size = (max(1, round(gray.shape[1] * factor)), max(1, round(gray.shape[0] * factor)))
        gray = _shrink(gray, size)
        heat = None if heat is None else _shrink(heat, size)
    rgb = np.repeat(gray[..., None] * np.float32(255), 3, axis=2)
    if heat is not None:
        _blend_heat(rgb, heat)
    img = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(img)
    line = max(1, round(max(img.size) / 300))
    if box is not None:
        x0, y0, x1, y1 = (v * factor for v in box)
        draw.rectangle([x0, y0, x1, y1], outline=BOX_RGB, width=line)
    if label:
        font = ImageFont.load_default(size=max(10, round(max(img.size) / 45)))
        left, top, right, bottom = draw.textbbox((0, 0), label, font=font)
        pad = line * 3
        draw.rectangle([0, 0, right - left + 2 * pad, bottom - top + 2 * pad], fill=(0, 0, 0))
        draw.text((pad - left, pad - top), label, fill=(255, 255, 0), font=font)
    return img


def file_data_uri(path: str, mime: str = "image/png") -> str:
    """``data:<mime>;base64,...`` of a file's bytes."""
    with open(path, "rb") as fh:
        return f"data:{mime};base64," + base64.b64encode(fh.read()).decode("ascii")


def png_data_uri(img: Image.Image) -> str:
    """``data:image/png;base64,...`` for embedding ``img`` in HTML."""
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
