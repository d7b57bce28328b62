"""Real-world clutter: orthopaedic hardware, clips, staples, clothing, ECG electrodes, jewellery,
casts, lead markers and rulers (projected mass g/cm^2 in the 'metal' or 'water' layers)."""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from . import prims
from .prims import chord
from .scene import Scene, at

STEEL, TI = 7.9, 4.5 * 0.6        # titanium expressed as steel-equivalent g/cm^3 (approx.)


def _pick_bone(S: Scene) -> dict | None:
    bs = [b for b in S.sites["bones"] if b["L"] > 120] or S.sites["bones"]
    return bs[int(S.rng.integers(len(bs)))] if bs else None


def _in_view(S: Scene) -> tuple[float, float]:
    return S.rng.uniform(0.1, 0.9) * S.W, S.rng.uniform(0.1, 0.9) * S.H


def screw(S: Scene, x: float, y: float, ang: float, L: float, rc: float, rho: float = STEEL) -> None:
    """Cortical/cancellous screw: threaded core + head (lateral view of the screw)."""
    pitch, th = S.rng.uniform(1.0, 2.8), S.rng.uniform(0.5, 1.2)

    def fn(u, v):
        saw = th * np.abs(((u / pitch) % 1.0) * 2 - 1)
        body = np.where((u > 0) & (u < L), chord((rc + saw) ** 2, v * v), 0)
        head = chord(np.float32((rc * 2.2) ** 2), v * v) * ((u > -3.5) & (u <= 0))
        return (body + head) * 0.1 * rho
    S.cv.add("metal", prims.shape_patch(S.cv, x, y, ang, L + 6, fn))


def plate_fix(S: Scene) -> None:
    """Plate on a long-bone shaft, screws seen end-on through its holes."""
    b = _pick_bone(S)
    if b is None:
        return
    f = S.rng.uniform(0.25, 0.75)
    L, w, t = S.rng.uniform(60, 200), S.rng.uniform(10, 16), S.rng.uniform(3, 5)
    x, y = at(b["x"], b["y"], b["ang"], f * b["L"] - L / 2, S.rng.normal(0, 3))
    n = int(L // 16)
    rho = STEEL if S.rng.random() < 0.5 else TI

    def fn(u, v):
        body = ((u > 0) & (u < L) & (np.abs(v) < w / 2)) * t
        holes = sum(((u - 8 - 16 * k) ** 2 + v ** 2) < 16 for k in range(n))
        scr = sum(chord(np.float32(9.0), (u - 8 - 16 * k) ** 2 + v ** 2) * 5 for k in range(n) if S.rng.random() < 0.8)
        return (body * (1 - holes) + scr) * 0.1 * rho
    S.cv.add("metal", prims.shape_patch(S.cv, *at(x, y, b["ang"], L / 2, 0), b["ang"], L / 2 + w,
                                        lambda u, v: fn(u + L / 2, v)))


def kwires(S: Scene) -> None:
    x, y = _in_view(S)
    for _ in range(int(S.rng.integers(1, 4))):
        a = S.rng.uniform(0, np.pi * 2)
        S.cv.add("metal", prims.rod(S.cv, x, y, a, S.rng.uniform(40, 140), S.rng.uniform(0.6, 1.2), STEEL))


def prosthesis(S: Scene) -> None:
    """Stemmed prosthesis in a long bone (stem + articulating head or tray)."""
    b = _pick_bone(S)
    if b is None:
        return
    end = S.rng.random() < 0.5
    L = S.rng.uniform(90, 160)
    sx, sy = at(b["x"], b["y"], b["ang"], (b["L"] - L) if end else 0, 0)
    r0 = float(np.interp(0.5, b["s"], b["R"])) * 0.55
    S.cv.add("metal", prims.tube(S.cv, sx, sy, b["ang"], L, [0, 1], [r0 * (0.6 if end else 1.3), r0 * (1.3 if end else 0.6)],
                                 [r0 * 2] * 2, [0, 0], TI, 0.0, 0.6, 0.6))
    hx, hy = at(b["x"], b["y"], b["ang"], b["L"] if end else 0, 0)
    hr = S.rng.uniform(14, 26)
    S.cv.add("metal", prims.ellipsoid(S.cv, hx, hy, hr, hr, hr, 0.0, 0.0, STEEL, STEEL, tex_on=False))


def clips(S: Scene, staples: bool) -> None:
    x, y = _in_view(S)
    a0 = S.rng.uniform(0, np.pi)
    for k in range(int(S.rng.integers(2, 12 if staples else 5))):
        cx, cy = at(x, y, a0, k * (S.rng.uniform(8, 14) if staples else S.rng.uniform(5, 30)), S.rng.normal(0, 2))
        a = a0 + (np.pi / 2 if staples else S.rng.uniform(0, 6.28))
        l, r = S.rng.uniform(5, 9), S.rng.uniform(0.25, 0.45)
        legs = [(-0.35, 0.35), (0.35, -0.35)] if not staples else [(-0.5, 0), (0.5, 0)]
        for d, spread in legs:
            p0 = at(cx, cy, a, 0, d * l * 0.6)
            S.cv.add("metal", prims.rod(S.cv, *p0, a + spread, l, r, STEEL))
        if staples:
            S.cv.add("metal", prims.rod(S.cv, *at(cx, cy, a, 0, -0.3 * l), a + np.pi / 2, 0.6 * l, r, STEEL))


def button(S: Scene, kind: str) -> None:
    x, y = _in_view(S)
    r = S.rng.uniform(5, 12)
    metal = kind != "button" or S.rng.random() < 0.3
    rho = STEEL * 0.5 if metal else 1.3

    def fn(u, v):
        rr = np.sqrt(u * u + v * v)
        if kind == "snap":
            return (chord(np.float32(r * r), rr * rr) * 0.3 - chord(np.float32((0.6 * r) ** 2), rr * rr) * 0.3
                    + chord(np.float32(4.0), rr * rr)) * 0.1 * rho
        disc = (rr < r) * 2.5
        for k in range(int(S.rng.integers(2, 5))):
            hu, hv = 0.35 * r * np.cos(k * 1.9), 0.35 * r * np.sin(k * 1.9)
            disc = disc * (((u - hu) ** 2 + (v - hv) ** 2) > 1.2)
        return disc * 0.1 * rho
    S.cv.add("metal" if metal else "water", prims.shape_patch(S.cv, x, y, 0.0, r + 1, fn))


def zipper(S: Scene) -> None:
    x, y = _in_view(S)
    a = S.rng.uniform(0, np.pi)
    L = S.rng.uniform(40, 160)

    def fn(u, v):
        teeth = (np.abs(v) < 3.5) & (((u + 2 * (v > 0)) % 4.0) < 2.2) & (u > 0) & (u < L)
        return teeth * 1.0 * 0.1 * STEEL * 0.6
    S.cv.add("metal", prims.shape_patch(S.cv, *at(x, y, a, L / 2, 0), a, L / 2 + 5, lambda u, v: fn(u + L / 2, v)))


def ecg(S: Scene) -> None:
    for _ in range(int(S.rng.integers(1, 4))):
        x, y = _in_view(S)
        S.cv.add("metal", prims.ellipsoid(S.cv, x, y, 2.5, 2.5, 2.0, 0.0, 0.5, STEEL, 0.0, tex_on=False))
        S.cv.add("water", prims.shape_patch(S.cv, x, y, 0.0, 22, lambda u, v: (u * u + v * v < 400) * 0.12))


def jewellery(S: Scene) -> None:
    x, y = _in_view(S)
    if S.rng.random() < 0.5:                      # ring / bangle: projected annulus
        r, w = S.rng.uniform(8, 35), S.rng.uniform(1.0, 3.0)
        S.cv.add("metal", prims.ellipsoid(S.cv, x, y, r, r * S.rng.uniform(0.3, 1), 3, S.rng.uniform(0, 3), w,
                                          STEEL * 1.3, 0.0, tex_on=False))
    else:                                         # chain of beads
        a = S.rng.uniform(0, 6.28)
        for k in range(int(S.rng.integers(8, 40))):
            px, py = at(x, y, a + 0.03 * k, 2.5 * k, 4 * np.sin(k / 5))
            S.cv.add("metal", prims.ellipsoid(S.cv, px, py, 1.2, 1.2, 1.2, 0.0, 0.0, STEEL, STEEL, tex_on=False))


def cast(S: Scene) -> None:
    """Fibreglass mesh or plaster cast around the first limb segment."""
    if not S.sites["limb"]:
        return
    g = S.sites["limb"][0]
    rmax = float(np.max(g["R"])) + 8
    mesh, per = S.rng.random() < 0.6, S.rng.uniform(1.2, 2.5)
    half = max(S.W, S.H)

    def fn(u, v):
        shell = chord(np.float32(rmax ** 2), v * v) - chord(np.float32((rmax - 5) ** 2), v * v)
        if mesh:
            tex = 0.6 + 0.4 * (np.cos(2 * np.pi * (u + v) / per) * np.cos(2 * np.pi * (u - v) / per)) ** 2
            return shell * tex * 0.1 * 1.6
        return shell * 0.1 * 1.9
    cx, cy = at(g["x"], g["y"], g["ang"], g["L"] / 2, 0)
    S.cv.add("water", prims.shape_patch(S.cv, cx, cy, g["ang"], half, fn))


def marker(S: Scene, text: str, ruler: bool = False) -> None:
    """Lead letter marker (or a radiopaque ruler) near the field edge."""
    cv = S.cv
    if ruler:
        x, y = S.rng.uniform(0.05, 0.15) * S.W, S.rng.uniform(0.1, 0.3) * S.H
        L = S.rng.uniform(0.4, 0.8) * S.H

        def fn(u, v):
            ticks = ((u % 10) < 0.5) * (np.abs(v) < 4) + ((u % 1) < 0.3) * (np.abs(v) < 1.5)
            return ((u > 0) & (u < L)) * (ticks > 0) * 0.1 * STEEL * 0.1
        cv.add("metal", prims.shape_patch(cv, x, y + L / 2, np.pi / 2, L / 2 + 5, lambda u, v: fn(u + L / 2, v)))
        return
    size_mm = S.rng.uniform(8, 16)
    px = max(8, int(size_mm / cv.sp))
    im = Image.new("L", (px * len(text), px), 0)
    try:
        font = ImageFont.load_default(size=px)
    except TypeError:  # old Pillow without FreeType default
        font = ImageFont.load_default()
    ImageDraw.Draw(im).text((0, 0), text, fill=255, font=font)
    m = np.asarray(im, np.float32) / 255.0
    if getattr(S, "flip", False):
        m = m[:, ::-1]
    fx = S.rng.uniform(0.03, 0.15) if S.rng.random() < 0.5 else S.rng.uniform(0.75, 0.85)   # a corner
    x0, y0 = int(fx * cv.shape[1]), int(S.rng.choice([0.04, 0.85]) * cv.shape[0])
    h, w = min(m.shape[0], cv.shape[0] - y0), min(m.shape[1], cv.shape[1] - x0)
    cv.layer("metal")[y0:y0 + h, x0:x0 + w] += m[:h, :w] * 0.15 * 11.3 * 0.7   # 1.5 mm lead ~ steel-equiv
