"""The exposure at the detector: collimated field, lead marker, Beer-Lambert primary, heel
effect, scatter, Poisson quanta, blur and read-out noise (lengths mm)."""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

from .filters import smooth_large
from .geometry import Box, Grid
from .params import Cfg, Rng, chance, draw
from .scene import Scene


def field_box(rng: Rng, cfg: Cfg, g: Grid) -> tuple[Box, bool]:
    """Collimated field (mm) and whether shutters are visible."""
    det = cfg["detector"]
    W, H = g.width_mm, g.height_mm
    if not chance(rng, det["collimation_prob"]):
        return (0.0, 0.0, W, H), False
    f = [draw(rng, det["collimation_inset_frac"]) for _ in range(4)]
    return (f[0] * W, f[1] * H, W - f[2] * W, H - f[3] * H), True


def field_mask(g: Grid, field: Box) -> np.ndarray:
    """Boolean mask of the pixels whose centres lie in the collimated field (mm)."""
    yy = (np.arange(g.h) + 0.5)[:, None] * g.s
    xx = (np.arange(g.w) + 0.5)[None, :] * g.s
    return (xx >= field[0]) & (xx < field[2]) & (yy >= field[1]) & (yy < field[3])


def add_marker(sc: Scene, g: Grid, rng: Rng, cfg: Cfg, field: Box) -> None:
    """Lead L/R letter in a field corner, outside the body (skipped where there is none)."""
    det = cfg["detector"]
    try:
        from PIL import Image, ImageDraw, ImageFont
        hpx = max(8, int(draw(rng, det["marker_height_mm"]) / g.s))
        font = ImageFont.load_default(size=hpx)
    except Exception:  # noqa: BLE001 - a missing font only drops the marker
        return
    img = Image.new("L", (2 * hpx, 2 * hpx), 0)
    ImageDraw.Draw(img).text((hpx // 4, 0), "L" if rng.random() < 0.5 else "R", font=font, fill=255)
    m = np.asarray(img, np.float32) / 255.0
    rows, cols = np.nonzero(m > 0)
    if rows.size == 0:
        return
    m = m[rows.min(): rows.max() + 1, cols.min(): cols.max() + 1]
    r0f, c0f = int(field[1] / g.s) + 10, int(field[0] / g.s) + 10
    r1f, c1f = int(field[3] / g.s) - 10 - m.shape[0], int(field[2] / g.s) - 10 - m.shape[1]
    for _ in range(8):
        r = int(r0f if rng.random() < 0.5 else r1f)
        c = int(c0f if rng.random() < 0.5 else c1f)
        if r < 0 or c < 0:
            continue
        sl = (slice(r, r + m.shape[0]), slice(c, c + m.shape[1]))
        if sc["soft"][sl].shape == m.shape and sc["soft"][sl].max() <= 0:
            sc["L"][sl] += draw(rng, cfg["materials"]["marker_line_integral"]) * m
            return


def expose(sc: Scene, g: Grid, rng: Rng, cfg: Cfg, body: np.ndarray, fmask: np.ndarray,
           collimated: bool) -> tuple[np.ndarray, float]:
    """Detected quanta per pixel: Beer-Lambert primary (heel effect, shutters), scatter from
    the body, Poisson noise, detector blur, read-out noise. Returns (counts, I0 open-field
    quanta per pixel)."""
    det = cfg["detector"]
    T = np.exp(-sc["L"].astype(np.float64)).astype(np.float32)
    n_body = draw(rng, det["quanta_per_mm2"]) * g.s**2
    I0 = n_body / max(float(np.median(T[body])), 1e-6)
    t = rng.uniform(0, 2 * math.pi)
    yy = (np.arange(g.h, dtype=np.float32)[:, None] / g.h - 0.5)
    xx = (np.arange(g.w, dtype=np.float32)[None, :] / g.w - 0.5)
    heel = 1.0 + draw(rng, det["heel_gradient"]) * (xx * math.cos(t) + yy * math.sin(t))
    P = I0 * heel * T
    if collimated:
        P = np.where(fmask, P, P * draw(rng, det["collimation_transmission"]))
    # scatter arises in the body in proportion to the primary times the thickness crossed
    # (line integral); scaled so that the scatter-to-primary ratio under the median body
    # pixel is sf/(1-sf), then spread by a wide kernel
    sf = draw(rng, det["scatter_fraction"])
    L_med = max(float(np.median(sc["L"][body])), 1e-3)
    S = sf / (1 - sf) * smooth_large(P * np.clip(sc["L"], 0, None) / L_med, draw(rng, det["scatter_sigma_mm"]) / g.s)
    N = rng.poisson(np.clip(P + S, 0, None)).astype(np.float32)
    N = ndimage.gaussian_filter(N, draw(rng, det["blur_sigma_mm"]) / g.s)
    N += rng.normal(0.0, draw(rng, det["electronic_noise_quanta"]), N.shape).astype(np.float32)
    return N, I0
