"""A labelled montage of phantoms: for each class a row of examples, each as the full view
(with its lesion box) and a zoom on the lesion. For looking at what the simulator makes."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from calcvision.phantoms.sample import PhantomSample


def _to_tile(img: np.ndarray, size: int) -> Image.Image:
    """8-bit tile, auto-windowed to the 0.5-99.5 % range as a viewer would."""
    lo, hi = np.quantile(img[::4, ::4], [0.005, 0.995])
    u8 = np.clip((img - lo) / max(hi - lo, 1e-6) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return Image.fromarray(u8, mode="L").resize((size, size), Image.Resampling.LANCZOS)


def _zoom(s: PhantomSample, margin: float = 0.35) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    px = s.radiograph.pixels
    h, w = px.shape
    if s.box is None:  # centre crop of a quarter of the field
        x0, y0, x1, y1 = w * 3 // 8, h * 3 // 8, w * 5 // 8, h * 5 // 8
    else:
        x0, y0, x1, y1 = s.box
    side = int(max(x1 - x0, y1 - y0) * (1 + 2 * margin)) + 8
    side = min(side, h, w)
    cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
    c0 = int(np.clip(cx - side // 2, 0, w - side))
    r0 = int(np.clip(cy - side // 2, 0, h - side))
    return px[r0:r0 + side, c0:c0 + side], (c0, r0, c0 + side, r0 + side)


def render_montage(rows: list[tuple[str, list[PhantomSample]]], tile: int = 200) -> Image.Image:
    """One row per (title, samples); each sample as full view + zoom, labelled with its
    pixel spacing, bit depth and photometric; the box drawn on the full view."""
    ncol = max(len(s) for _, s in rows) * 2
    label_w, pad, text_h = 170, 4, 14
    W = label_w + ncol * (tile + pad)
    H = len(rows) * (tile + text_h + pad) + 24
    canvas = Image.new("RGB", (W, H), (24, 24, 24))
    draw = ImageDraw.Draw(canvas)
    draw.text((6, 4), "calcvision phantoms: full view (box) + zoom. Synthetic, not for clinical use.", fill=(230, 230, 230))
    for r, (title, samples) in enumerate(rows):
        y = 24 + r * (tile + text_h + pad)
        draw.text((6, y + tile // 2 - 6), title, fill=(255, 220, 120))
        for i, s in enumerate(samples):
            x = label_w + 2 * i * (tile + pad)
            full = _to_tile(s.radiograph.pixels, tile).convert("RGB")
            h, w = s.radiograph.pixels.shape
            dr = ImageDraw.Draw(full)
            zimg, zbox = _zoom(s)
            sx, sy = tile / w, tile / h
            if s.box is not None:
                x0, y0, x1, y1 = s.box
                dr.rectangle([x0 * sx, y0 * sy, x1 * sx, y1 * sy], outline=(255, 60, 60))
            dr.rectangle([zbox[0] * sx, zbox[1] * sy, zbox[2] * sx, zbox[3] * sy], outline=(80, 160, 255))
            canvas.paste(full, (x, y))
            canvas.paste(_to_tile(zimg, tile).convert("RGB"), (x + tile + pad, y))
            sp = s.radiograph.spacing_mm[0]
            zoom_mm = (zbox[2] - zbox[0]) * sp
            info = f"{sp:.3f}mm {s.header['bits_stored']}b {s.header['photometric'][-1]} | zoom {zoom_mm:.0f}mm"
            draw.text((x, y + tile + 1), info, fill=(200, 200, 200))
    return canvas
