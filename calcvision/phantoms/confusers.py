"""Things that are not calcification but can look a little like it, drawn for every class
independently of the label: skin folds, vessels, another limb at the field edge, a lead
marker, collimator blades, anti-scatter grid lines, burned-in annotation text."""

from __future__ import annotations

import numpy as np

from calcvision.phantoms.anatomy import Anatomy
from calcvision.phantoms.geometry import Frame, Grid, chord, ellipse_chord, ellipsoid_chord
from calcvision.phantoms.params import Section


def add_soft_confusers(C: Section, anat: Anatomy, grid: Grid, maps: dict[str, np.ndarray],
                       u: np.ndarray, v: np.ndarray) -> None:
    """Skin fold, vessels and another limb, added to the thickness maps in place."""
    rng = C.rng
    a = anat.half_width(u)
    if C("skin_fold"):
        r = C("skin_fold_radius_mm")
        u0, ang = rng.uniform(-0.4, 0.4) * max(grid.size_mm), rng.uniform(-0.6, 0.6) + np.pi / 2
        d = (u - np.float32(u0)) * np.float32(np.sin(ang)) - v * np.float32(np.cos(ang))
        near_edge = np.clip((np.abs(v) - a * 0.4) / (a * 0.2), 0, 1) * (np.abs(v) < a + 3)
        maps["fat"] += chord(np.float32(r * r), d) * np.float32(rng.uniform(0.7, 2.0)) * near_edge
    for _ in range(C("vessels")):
        r = C("vessel_radius_mm")
        v0 = rng.uniform(-0.9, 0.9) * anat.semi_w
        curve = v0 + rng.uniform(0, 8) * np.sin(u / np.float32(rng.uniform(20, 90)) + np.float32(rng.uniform(0, 6.3)))
        t = chord(np.float32(r * r), v - curve) * (np.abs(v) < a)
        maps["muscle"] += t  # blood ~ muscle density, seen against fat
        maps["fat"] -= np.minimum(t, maps["fat"])
    if C("other_limb"):
        H, W = grid.size_mm
        side = rng.choice([-1.0, 1.0])
        w2 = rng.uniform(25, 70)
        th = anat.frame.theta + rng.uniform(-0.3, 0.3)
        edge = side * (max(H, W) / 2 + w2 * rng.uniform(0.4, 0.95))
        fr = Frame(-np.sin(th) * edge, np.cos(th) * edge, th)
        _, v2 = fr.uv(grid.xs[None, :], grid.ys[:, None])
        maps["muscle"] += ellipse_chord(np.float32(w2 - 5), np.float32(w2 - 5), v2)
        maps["fat"] += ellipse_chord(np.float32(w2), np.float32(w2), v2) - ellipse_chord(np.float32(w2 - 5), np.float32(w2 - 5), v2)


def add_bony_confusers(C: Section, anat: Anatomy, grid: Grid, maps: dict[str, np.ndarray],
                       u: np.ndarray, v: np.ndarray) -> None:
    """Marginal osteophytes and a sesamoid at a joint; bowel gas in a trunk field."""
    rng = C.rng
    if anat.joint_u is not None:
        A, B = anat.bones[0], anat.bones[1]
        if C("osteophytes"):
            for bone, hi in ((A, True), (B, False)):
                for side in (-1.0, 1.0):
                    if rng.random() < 0.5:
                        continue
                    ln = C("osteophyte_mm")
                    rend = float(bone.radius_at(bone.u_hi if hi else bone.u_lo))
                    # a beak on the bone margin next to the articular surface, overlapping the cortex
                    vv = bone.vb + side * rend * 0.97
                    uu = float(bone.end_surface(np.float32(vv), hi)) + (-1 if hi else 1) * ln * 0.35
                    _add_ellipsoid(maps["bone"], grid, anat, uu, vv, ln * 0.6, ln * 0.3, ln * 0.5, 1.0)
        if C("sesamoid"):
            ln = C("sesamoid_mm")
            rend = A.radius * (1 + A.flare)
            uu = anat.joint_u - rng.uniform(3, 25)
            vv = A.vb + rng.choice([-1.0, 1.0]) * rend * rng.uniform(0.3, 1.3)
            _add_ellipsoid(maps["bone"], grid, anat, uu, vv, ln / 2, ln / 2 * rng.uniform(0.6, 0.9), ln / 2 * 0.8, 1.0,
                           shell=rng.uniform(0.6, 1.2))
    if anat.kind == "trunk" and C("gas"):
        for _ in range(C("gas_blobs")):
            r = C("gas_radius_mm")
            x, y = rng.uniform(-0.6, 0.6) * grid.size_mm[1], rng.uniform(-0.6, 0.6) * grid.size_mm[0]
            sl = grid.patch(x, y, r)
            if sl is None:
                continue
            dx, dy = grid.xs[sl[1]][None, :] - np.float32(x), grid.ys[sl[0]][:, None] - np.float32(y)
            # a flattened, slightly oval pocket (bowel loops are shallower than wide)
            t = chord(np.float32(r * r), np.sqrt((dx * np.float32(rng.uniform(0.7, 1.3))) ** 2 + dy * dy))
            t *= np.float32(rng.uniform(0.2, 0.6))
            maps["muscle"][sl] -= np.minimum(t, maps["muscle"][sl])


def _add_ellipsoid(target: np.ndarray, grid: Grid, anat: Anatomy, u0: float, v0: float, a: float, b: float, c: float,
                   density: float, shell: float | None = None) -> None:
    """Add a bony ellipsoid (limb-frame axes) at (u0, v0); with ``shell`` mm a corticated
    ovoid (cortex of that thickness around cancellous bone of volume fraction 0.3)."""
    x, y = anat.frame.xy(u0, v0)
    sl = grid.patch(x, y, max(a, b) + 1)
    if sl is None:
        return
    uu, vv = anat.frame.uv(grid.xs[sl[1]][None, :], grid.ys[sl[0]][:, None])
    du, dv = uu - np.float32(u0), vv - np.float32(v0)
    t = ellipsoid_chord(du, dv, a, b, c)
    if shell is not None:
        inner = ellipsoid_chord(du, dv, max(a - shell, 0.5), max(b - shell, 0.5), max(c - shell, 0.5))
        t = t - inner * np.float32(0.7)
    target[sl] += t * np.float32(density)


def marker_line_integral(C: Section, grid: Grid) -> np.ndarray | None:
    """A lead letter ('L' or 'R' in blocks) near a field corner: extra attenuation (line
    integral) so high that almost no primary passes."""
    if not C("marker"):
        return None
    rng = C.rng
    h = C("marker_mm") / grid.spacing
    H, W = grid.shape
    if h * 1.6 > min(H, W) * 0.4:
        return None
    r0 = int(rng.uniform(0.02, 0.98) * (H - 1.6 * h)) if rng.random() < 0.5 else int(rng.choice([0.03 * H, H - 1.6 * h - 0.03 * H]))
    c0 = int(rng.choice([0.03 * W, W - 1.3 * h - 0.03 * W]))
    out = np.zeros(grid.shape, np.float32)
    s = max(1, int(h * 0.18))
    hh, ww = int(h), int(h * 0.7)
    blocks = [(0, hh, 0, s), (hh - s, hh, 0, ww)]  # 'L'
    if rng.random() < 0.5:  # 'R'
        blocks = [(0, hh, 0, s), (0, s, 0, ww), (hh // 2 - s // 2, hh // 2 + s - s // 2, 0, ww), (0, hh // 2, ww - s, ww),
                  (hh // 2, hh, ww // 2, ww // 2 + s)]
    val = np.float32(rng.uniform(5, 8))
    for y0, y1, x0, x1 in blocks:
        out[r0 + y0:r0 + y1, c0 + x0:c0 + x1] = val
    return out


def collimation_mask(C: Section, grid: Grid) -> np.ndarray | None:
    """1 inside the open field, 0 under the collimator blades (1-4 sides)."""
    if not C("collimation"):
        return None
    rng = C.rng
    H, W = grid.shape
    mask = np.ones(grid.shape, np.float32)
    sides = rng.choice(4, size=int(rng.integers(1, 5)), replace=False)
    for side in sides:
        f = C("collimation_frac")
        if side == 0:
            mask[: int(f * H)] = 0
        elif side == 1:
            mask[H - int(f * H):] = 0
        elif side == 2:
            mask[:, : int(f * W)] = 0
        else:
            mask[:, W - int(f * W):] = 0
    return mask


def grid_lines(C: Section, grid: Grid) -> np.ndarray | None:
    """Multiplicative stationary grid-line pattern (aliased), or None."""
    if not C("grid_lines"):
        return None
    amp, period = C("grid_amplitude"), C("grid_period_px")
    along_x = bool(C.rng.random() < 0.5)
    n = grid.shape[1] if along_x else grid.shape[0]
    wave = 1 + np.float32(amp) * np.sin(np.arange(n, dtype=np.float32) * np.float32(2 * np.pi / period))
    return wave[None, :] if along_x else wave[:, None]


def annotation_spec(C: Section, grid: Grid) -> dict | None:
    """Burned-in annotation (view, body part, exposure) along a field edge, or None. Drawn
    last from the confuser stream, so every other draw is the same with or without it; the
    display chain writes it into the pixels (calcvision.phantoms.display.burn_in)."""
    if not C("annotation"):
        return None
    rng = C.rng
    words = list(C("annotation_words"))
    text = " ".join(str(w) for w in rng.choice(words, size=int(rng.integers(1, 4))))
    if rng.random() < 0.5:
        text += f" {int(rng.integers(50, 91))}kV {rng.uniform(1, 40):.1f}mAs"
    H, W = grid.shape
    height = C("annotation_mm") / grid.spacing
    x = int(rng.uniform(0.02, 0.5) * W)
    y = int(rng.choice([rng.uniform(0.03, 0.12), rng.uniform(0.9, 0.98)]) * H + height)
    return {"text": text, "height_px": float(height), "x": x, "y": min(y, H - 2),
            "value": float(rng.choice([1.0, 0.0], p=[0.8, 0.2])), "font": int(rng.integers(0, 3))}
