"""Lesion-free look-alikes and everyday objects, drawn from a label-independent random stream.

Clothing (buttons, snaps), ECG electrodes, surgical clips and skin staples, orthopaedic screws
and plates, plaster / fibreglass casts, bandage, sesamoids, accessory ossicles, bone islands,
an overlapping contralateral limb, a radiopaque ruler and lead side markers.
"""
from __future__ import annotations

import numpy as np

from .geometry import Ell, ell, tube
from .lesions import _frame, _unit, ell_along
from .params import V
from .scene import Bone, Fine, Limb, Scene, epi, limb_tube, shaft
from .texture import ridged


def _skin_point(rng, sc: Scene) -> np.ndarray:
    """A point on the front skin surface within the limb segment (anatomical frame)."""
    p0, p1, rm = sc.sites["axis"]
    p0, p1 = np.asarray(p0, float), np.asarray(p1, float)
    c = p0 + (p1 - p0) * rng.uniform(0.1, 0.9)
    return c + np.array([rng.uniform(-0.8, 0.8) * rm, 0, rm * 1.15 + 6])


def anatomical(rng, cfg, sc: Scene, coarse_shape: tuple[int, int], coarse_pix: float) -> list:
    """Confusers in the anatomical frame; may add coarse extras, bones and limbs to `sc`."""
    pr = V(cfg, "confuser_probs")
    hit = {k: rng.random() < p for k, p in pr.items()}
    out: list = []
    p0, p1, rm = sc.sites["axis"]
    p0, p1 = np.asarray(p0, float), np.asarray(p1, float)
    ax = _unit(p1 - p0)
    if hit["button"]:
        c = _skin_point(rng, sc)
        r = rng.uniform(5, 11)
        metal = rng.random() < 0.3
        parts = [(ell(c, (r, r, 1.5)), 1.0, None)]
        for h in range(int(rng.choice([2, 4]))):
            a = h * 2 * np.pi / 4 + 0.5
            parts.append((ell(c + [0.3 * r * np.cos(a), 0.3 * r * np.sin(a), 0], (0.9, 0.9, 1.6)), -1.0, None))
        out.append(Fine(parts, "steel" if metal else "plastic", 0.3 if metal else 1.0))
    if hit["snap"]:
        c = _skin_point(rng, sc)
        r = rng.uniform(4, 7)
        out.append(Fine([(ell(c, (r, r, 1.2)), 1.0, None), (ell(c, (r * 0.55, r * 0.55, 1.3)), -1.0, None)],
                        "steel", rng.uniform(0.3, 0.7)))
    if hit["ecg_electrode"]:
        c = _skin_point(rng, sc)
        out.append(Fine([(ell(c, (18, 18, 1.0)), 1.0, None)], "plastic", 1.0))
        out.append(Fine([(ell(c + [0, 0, 2], (2.5, 2.5, 2.5)), 1.0, None)], "steel", 1.0))
        end = c + [rng.uniform(-150, 150), rng.uniform(-150, 150), 10]
        out.append(Fine([(tube(c, end, [0.5, 0.5]), 1.0, None)], "copper", 1.0))
    if hit["surgical_clip"]:
        base = p0 + (p1 - p0) * rng.uniform(0.2, 0.8) + rng.normal(0, rm * 0.4, 3)
        parts = []
        for _ in range(int(rng.integers(1, 7))):
            c = base + rng.normal(0, 12, 3)
            d = _unit(rng.normal(size=3))
            e = _unit(np.cross(d, [0, 0, 1.0])) * 1.2
            parts += [(tube(c, c + 8 * d + e, [0.35, 0.35]), 1.0, None), (tube(c, c + 8 * d - e, [0.35, 0.35]), 1.0, None)]
        out.append(Fine(parts, "titanium", 1.0))
    if hit["skin_staples"]:
        c = _skin_point(rng, sc)
        d = _unit(ax + rng.normal(0, 0.3, 3) * [1, 1, 0])
        w = _unit(np.cross(d, [0, 0, 1.0]))
        parts = []
        for i in range(int(rng.integers(4, 13))):
            q = c + d * i * rng.uniform(7, 10)
            a, b = q - w * 3, q + w * 3
            parts += [(tube(a, b, [0.3, 0.3]), 1.0, None), (tube(a, a - [0, 0, 4], [0.3, 0.3]), 1.0, None),
                      (tube(b, b - [0, 0, 4], [0.3, 0.3]), 1.0, None)]
        out.append(Fine(parts, "steel", 1.0))
    shafts = sc.sites["shafts"]
    if hit["screw"] or hit["plate"]:
        q0, q1, rb = shafts[int(rng.integers(len(shafts)))]
        q0, q1 = np.asarray(q0, float), np.asarray(q1, float)
        sa = _unit(q1 - q0)
        lat = _unit(np.cross(sa, [0, 0, 1.0])) * rng.choice([-1, 1])
        mat = "titanium" if rng.random() < 0.5 else "steel"
        mid = q0 + (q1 - q0) * rng.uniform(0.3, 0.7)
        parts = []
        n_scr = int(rng.integers(1, 4)) if not hit["plate"] else int(rng.integers(3, 7))
        for i in range(n_scr):
            s = mid + sa * (i - n_scr / 2) * 14
            a, b = s + lat * (rb + 4), s - lat * (rb + rng.uniform(2, 6))
            r = rng.uniform(1.8, 3.2)
            parts += [(tube(a, b, [r, r * 0.9, r * 0.8]), 1.0, None), (ell(a, (r * 1.8, r * 1.8, r * 1.8)), 0.8, None)]
            for t in np.linspace(0.15, 0.95, 9):
                parts.append((ell_along(a + (b - a) * t, lat, 0.5, r * 1.25, r * 1.25), 0.7, None))
        if hit["plate"]:
            pc = mid + lat * (rb + 3)
            ln = n_scr * 14 + 16
            parts.append((ell_along(pc, sa, ln / 2, 2.2, 6.5), 1.0, None))
        out.append(Fine(parts, mat, 1.0))
    if hit["cast_plaster"] or hit["cast_fibreglass"]:
        mat = "plaster" if hit["cast_plaster"] else "fibreglass"
        period = 4.0 if mat == "plaster" else 2.2
        pat = np.clip(ridged(rng, coarse_shape, period / coarse_pix, rng.uniform(0, np.pi), 1.0) * 0.12 + 0.88, 0.5, 2)
        r = rm * 1.3 + 10
        dens = rng.uniform(0.35, 0.7)
        sc.coarse_extra.append((tube(p0 - ax * 40, p1 + ax * 40, [r + 6, r + 6]), mat, dens, pat))
        sc.coarse_extra.append((tube(p0 - ax * 40, p1 + ax * 40, [r, r]), mat, -dens, pat))
    if hit["bandage"]:
        pat = np.clip(ridged(rng, coarse_shape, 1.5 / coarse_pix, 0.3, 1.0) * 0.5 + 0.75, 0.4, 2)
        r = rm * 1.25 + 4
        c = p0 + (p1 - p0) * rng.uniform(0.3, 0.7)
        sc.coarse_extra.append((tube(c - ax * 50, c + ax * 50, [r + 3, r + 3]), "plastic", 0.4, pat))
        sc.coarse_extra.append((tube(c - ax * 50, c + ax * 50, [r, r]), "plastic", -0.4, pat))
    if hit["sesamoid"] and sc.sites["sesamoid"]:
        for c, r in sc.sites["sesamoid"]:
            if r > 0.5:
                sc.bones.append(Bone([epi(c, (r, r * 1.2, r), 0.8)], 0.3))
    if hit["accessory_ossicle"] and sc.sites["ossicle"]:
        c, r = sc.sites["ossicle"][int(rng.integers(len(sc.sites["ossicle"])))]
        sc.bones.append(Bone([epi(c, np.array([r, r * 1.3, r]) * rng.uniform(0.8, 1.4), 0.8)], 0.3))
    if hit["bone_island"] and sc.sites["islands"]:
        c, r = sc.sites["islands"][int(rng.integers(len(sc.sites["islands"])))]
        rr = r * rng.uniform(0.4, 1.0)
        out.append(Fine([(ell_along(np.asarray(c, float) + rng.normal(0, 1, 3), ax + rng.normal(0, 0.2, 3), rr,
                                    rr * 0.55, rr * 0.55), 1.0, None)], "cortical", rng.uniform(0.5, 0.9)))
    if hit["contralateral_limb"]:
        side = rng.choice([-1, 1])
        off = np.array([side * (rm * 2.6 + 25), 0, -rm * 0.2])
        sc.limbs.append(limb_tube(p0 + off - ax * 80, p1 + off + ax * 80, [rm * 1.2, rm * 1.1, rm], 8.0, 0.9))
        rb = shafts[0][2]
        sc.bones.append(Bone([shaft(p0 + off - ax * 80, p1 + off + ax * 80, [rb, rb, rb * 1.1],
                                    [rb * 0.3, rb * 0.35, rb * 0.3])], 0.2))
    return out


def world(rng, cfg, half_w: float, half_h: float) -> list:
    """Objects lying on the detector cover (world frame, z ~ 3 mm): ruler and lead side marker."""
    pr = V(cfg, "confuser_probs")
    hit = {k: rng.random() < p for k, p in pr.items()}
    out = []
    if hit["ruler"]:
        vertical = rng.random() < 0.5
        e = rng.uniform(0.75, 0.92)
        parts = []
        for i in range(-30, 31):
            ln = 6 if i % 10 == 0 else (4 if i % 5 == 0 else 2.5)
            t = i * 5.0
            if vertical:
                a, b = np.array([e * half_w * rng.choice([1]), t, 3.0]), np.array([e * half_w - ln, t, 3.0])
            else:
                a, b = np.array([t, e * half_h, 3.0]), np.array([t, e * half_h - ln, 3.0])
            if abs(t) < (half_h if vertical else half_w):
                parts.append((tube(a, b, [0.25, 0.25]), 1.0, None))
        out.append(Fine(parts, "lead", 1.0, world=True))
    if hit["lead_letter"]:
        cx = rng.choice([-1, 1]) * half_w * rng.uniform(0.6, 0.85)
        cy = rng.choice([-1, 1]) * half_h * rng.uniform(0.6, 0.85)
        s = rng.uniform(7, 12)
        c = np.array([cx, cy, 3.0])
        if rng.random() < 0.5:   # "L"
            strokes = [((-0.5, -1), (-0.5, 1)), ((-0.5, 1), (0.6, 1))]
        else:                    # "R"
            strokes = [((-0.5, -1), (-0.5, 1)), ((-0.5, -1), (0.4, -1)), ((0.4, -1), (0.55, -0.3)),
                       ((0.55, -0.3), (-0.5, 0.1)), ((-0.2, 0.1), (0.6, 1))]
        parts = [(tube(c + s * np.array([*a, 0]), c + s * np.array([*b, 0]), [1.2, 1.2], 0.8), 1.0, None)
                 for a, b in strokes]
        out.append(Fine(parts, "lead", 1.0, world=True))
    return out
