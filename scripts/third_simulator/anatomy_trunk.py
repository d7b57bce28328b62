"""Pelvis and lower trunk in AP projection (mm): innominate bones, sacrum, L4-L5, trunk wall,
bowel gas, and both proximal femurs for a pelvis field.

Pelvis frame: origin on the midline at the level of the femoral-head centres, +y caudal,
+x toward the side being built (heads at x = +-95).
"""
from __future__ import annotations

import math

import numpy as np

from .anatomy_common import DEG, add, blob, shaft
from .geometry import Ellipsoid3D, Pose, chain, rot3, sell, slab
from .scene import Piece, Scene
from .trabecular import TrabTile


def _arc(cx, cy, r, a0, a1, n=7):
    return [(cx + r * math.cos(a * DEG), cy + r * math.sin(a * DEG)) for a in np.linspace(a0, a1, n)]


def _line_pieces(pose: Pose, pts, r, k) -> list[Piece]:
    """A thin cortical plate seen edge-on (pelvic brim, acetabular roof): dense line."""
    return [Piece(c, c.r0 * 0.99, 0.0) for c in chain(pose, pts, [r] * len(pts), k)]


def pelvis_half(scene: Scene, pose: Pose, rng: np.random.Generator, tex: list[TrabTile]) -> None:
    """One innominate bone, its acetabulum and the landmarks of its pelvic side wall."""
    t0 = tex
    outline = [(55, -150), (75, -172), (100, -182), (128, -180), (152, -168), (170, -148), (178, -122),
               (176, -100), (166, -82), (160, -62), (142, -40), (126, -22), (121, -4), (114, 9), (103, 14),
               (86, 14), (72, 8), (65, -6), (62, -28), (54, -60), (47, -100), (49, -130)]
    ilium = [
        Piece(slab(pose, outline, 5.0, 38.0, (98, -12), rim=3.0), pose.ln(1.0), 0.17),
        blob(pose, 10, 42, 9, 18, 15, n=2.5, cortex=1.0, bvf=0.2),
        blob(pose, 68, 82, 18, 12, 17, 25, cortex=1.0, bvf=0.22),
        shaft(pose, (70, -14), (62, -4), (5, 3), (1.0, 1.0), (0.1, 0.1)),
    ]
    for pts, radii in [([(84, 6), (55, 19), (20, 30)], [10, 8, 8.5]),
                       ([(88, 14), (85, 44), (74, 70)], [15, 13, 12]),
                       ([(68, 86), (40, 79), (14, 60)], [8, 6.5, 7])]:
        ilium += [Piece(c, (pose.ln(1.1), pose.ln(1.1)), (0.17, 0.17)) for c in chain(pose, pts, radii, 1.05)]
    crest = [(58, -150), (75, -172), (100, -182), (128, -180), (152, -168), (170, -148), (178, -122),
             (176, -100)]
    ilium += [Piece(c, (pose.ln(1.6), pose.ln(1.6)), (0.2, 0.2))
              for c in chain(pose, crest, [5.5, 6.5, 7, 7, 7, 7, 7.5, 8], 1.3)]
    ilium += _line_pieces(pose, _arc(95, 0, 26.5, -168, -22, 12), 1.8, 3.2)     # acetabular roof
    ilium += _line_pieces(pose, _arc(95, 0, 24.0, -25, 75, 9), 1.0, 2.2)       # posterior wall
    ilium += _line_pieces(pose, _arc(95, 0, 21.0, -50, 55, 9), 0.9, 2.0)       # anterior wall
    ilium += _line_pieces(pose, _arc(68, 6, 5, 170, 10, 7), 1.6, 2.5)          # teardrop
    ilium += _line_pieces(pose, [(54, -96), (57, -70), (61, -44), (64, -20), (63, 0), (57, 14), (44, 24),
                                 (28, 29), (16, 31)], 1.3, 3.0)                  # pelvic brim
    add(scene, "pelvis", ilium, t0, pose, 60, rng)
    # pelvic side wall veins (phleboliths), lateral and below the ischial spine
    scene.landmarks.setdefault("pelvic_veins", []).append(
        {"c": pose.pt(40, -12), "ax": pose.ln(18), "ay": pose.ln(26), "ang": pose.ang(0.0)})
    scene.landmarks.setdefault("joints", []).append(
        {"name": "hip", "c": pose.pt(95, 0), "r": pose.ln(27),
         "out": [pose.ang(a * DEG) for a in (-60, -20, 0, 30)]})
    # acetabular labrum: wedge at the lateral rim
    lx, ly = 95 + 27 * math.cos(-28 * DEG), 27 * math.sin(-28 * DEG)
    scene.landmarks.setdefault("cc_wedges", []).append(
        {"site": "hip", "base": pose.pt(lx + 4, ly - 2), "apex": pose.pt(lx - 5, ly + 4),
         "h": pose.ln(2.5), "perp": pose.ang(-28 * DEG)})


def sacrum_spine(scene: Scene, pose: Pose, rng: np.random.Generator, tex: list[TrabTile]) -> None:
    """Sacrum with foramina, coccyx, symphysis landmark, L5 and L4."""
    t0 = tex
    outline = [(-44, -142), (-20, -146), (0, -147), (20, -146), (44, -142), (43, -118), (34, -84),
               (20, -46), (9, -20), (-9, -20), (-20, -46), (-34, -84), (-43, -118)]
    pcs = [Piece(slab(pose, outline, 16.0, 30.0, (0, -140), rim=4.0), pose.ln(1.0), 0.16),
           shaft(pose, (0, -20), (2, 4), (7, 4), (1.0, 0.8), (0.15, 0.15))]
    for side in (-1, 1):
        for y in (-124, -98, -74, -52):
            pcs.append(blob(pose, side * 23, y, 5.5, 5, 14, hole=True))
    add(scene, "sacrum", pcs, t0, pose, 90, rng)
    for k, yc in enumerate((-176, -214)):
        v = [blob(pose, 0, yc, 27, 14.5, 18, n=4.0, cortex=1.0, bvf=0.2),
             blob(pose, 0, yc + 8, 5, 9, 15, cortex=1.0, bvf=0.2)]
        for side in (-1, 1):
            v.append(blob(pose, side * 17, yc - 4, 6, 8, 12, cortex=2.0, bvf=0.03))
            v.append(shaft(pose, (side * 20, yc - 3), (side * (46 + 6 * k), yc - 6), (6, 4.5),
                           (1.0, 1.0), (0.15, 0.15)))
        add(scene, f"L{5 - k}", v, t0, pose, 0, rng)
    scene.landmarks["symphysis"] = {"c": pose.pt(0, 42), "ang": pose.ang(90 * DEG), "len": pose.ln(34)}


def trunk_envelope(scene: Scene, pose: Pose, fat: float, rng: np.random.Generator, full: bool) -> None:
    """Abdominal/pelvic wall and buttocks as one soft-tissue solid (with subcutaneous fat)."""
    if full:
        prims = [sell(pose, 0, -70, 178, 245, 115, n=2.3)]
    else:  # one side's flank/buttock, seen in a hip field
        prims = [sell(pose, 70, -70, 142, 240, 110, n=2.3)]
    scene.add_envelope(prims, min(fat * 1.6, 45.0))


def bowel_gas(scene: Scene, pose: Pose, rng: np.random.Generator, amount: float) -> None:
    """Gas in colon loops and rectum (air replacing soft tissue), mottled stool."""
    n_loops = int(rng.integers(1, 5) * amount + 0.5)
    for _ in range(n_loops):
        x, y = rng.uniform(-130, 130), rng.uniform(-230, -60)
        pts, r = [(x, y)], rng.uniform(10, 20)
        ang = rng.uniform(0, 2 * math.pi)
        for _ in range(int(rng.integers(2, 6))):
            ang += rng.normal(0, 0.6)
            x, y = x + 30 * math.cos(ang), y + 30 * math.sin(ang)
            pts.append((x, y))
        caps = chain(pose, pts, [r] * len(pts), float(rng.uniform(0.8, 1.3)))
        scene.add_path("gas", caps, scale=float(rng.uniform(0.4, 1.0)))
        for (px, py) in pts:  # haustral folds: soft tissue bands across the gas lumen
            hx, hy = pose.pt(px, py)
            scene.add_path("gas", [Ellipsoid3D(hx, hy, pose.ln(r * 0.9), pose.ln(2.0), pose.ln(r),
                                               rot3(pose.ang(ang + math.pi / 2)))], scale=-0.5)
    for _ in range(int(rng.integers(0, 3) * amount)):
        cx, cy = rng.uniform(-100, 100), rng.uniform(-200, -40)
        for _ in range(int(rng.integers(20, 80))):
            bx, by = pose.pt(cx + rng.normal(0, 18), cy + rng.normal(0, 14))
            r = pose.ln(rng.uniform(1.5, 4.0))
            scene.add_path("gas", [Ellipsoid3D(bx, by, r, r * rng.uniform(0.6, 1), r, rot3(rng.uniform(0, 3)))])
    np.maximum(scene.maps["gas"], 0, out=scene.maps["gas"])


def build(scene: Scene, pose: Pose, rng: np.random.Generator, tex: list[TrabTile], fat: float) -> None:
    """AP pelvis: both innominate bones, sacrum, L4-L5, both proximal femurs, wall and gas."""
    from . import anatomy_lower
    trunk_envelope(scene, pose, fat, rng, full=True)
    sacrum_spine(scene, pose, rng, tex)
    for mirror in (False, True):
        side = pose.sub(0, 0, mirror=mirror)
        pelvis_half(scene, side, rng, tex)
        lp = side.sub(-anatomy_lower.PELVIS_ORIGIN[0], -anatomy_lower.PELVIS_ORIGIN[1])
        anatomy_lower.build(scene, lp, rng, tex, fat, with_pelvis=False, with_trunk=False)
    bowel_gas(scene, pose, rng, float(rng.uniform(0.3, 1.5)))
