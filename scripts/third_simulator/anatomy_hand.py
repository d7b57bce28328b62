"""Hand (PA) and foot (dorsoplantar) at physical scale (mm): carpus/tarsus, rays of
metacarpals/metatarsals and phalanges, sesamoids, and the soft tissue of palm and digits.

Hand frame: origin at the centre of the distal radial articular surface, +y distal,
+x toward the thumb. Foot frame: origin at the talar head, +y toward the toes, +x lateral.
"""
from __future__ import annotations

import math

import numpy as np

from .anatomy_common import (DEG, add, blob, cap, joint_landmark, meniscus_landmark,
                             ray_bones, surface_landmark)
from .geometry import Pose, sell
from .scene import Scene
from .trabecular import TrabTile

# (base point, angle deg, bone lengths, (base, mid, head) radii per bone) of the hand's rays
HAND_RAYS = [
    ((24, 36), 38, [45, 32, 26], [(8, 5, 7), (6.5, 4.2, 5.2), (5.5, 3.2, 4.0)]),
    ((11, 43), 5, [68, 42, 25, 19], [(7.5, 4.5, 6.5), (6, 4, 5), (5, 3.5, 4.3), (4.3, 2.8, 3.5)]),
    ((-1, 45), 0, [64, 46, 29, 20], [(7.5, 4.5, 6.5), (6, 4, 5), (5, 3.5, 4.3), (4.3, 2.8, 3.5)]),
    ((-12, 43), -5, [57, 43, 27, 20], [(6.5, 4, 5.8), (5.6, 3.8, 4.7), (4.7, 3.3, 4.0), (4.0, 2.7, 3.3)]),
    ((-22, 40), -12, [52, 34, 20, 17], [(6.5, 4, 5.8), (5.2, 3.5, 4.3), (4.3, 3.0, 3.7), (3.8, 2.5, 3.1)]),
]
CARPALS = [  # x, y, a, b, angle
    (9, 12, 7, 13, 60), (-6, 10, 8, 8, 0), (-19, 13, 6, 7, 20), (-21, 17, 5, 5, 0),
    (19, 28, 8, 8, 30), (8, 32, 6, 7, 0), (-3, 30, 7, 12, 90), (-16, 28, 8, 10, 80),
]
FOOT_RAYS = [
    ((-16, 80), -6, [64, 28, 22], [(10, 6, 9), (7, 5, 6), (6, 4, 4.5)]),
    ((-4, 82), -2, [72, 22, 10, 9], [(6, 3.5, 5), (4.5, 3, 3.8), (3.6, 2.8, 3.2), (3.4, 2.4, 2.8)]),
    ((6, 82), 2, [68, 20, 9, 8], [(6, 3.5, 5), (4.3, 3, 3.6), (3.5, 2.7, 3.1), (3.3, 2.3, 2.7)]),
    ((16, 78), 6, [64, 19, 8, 8], [(6, 3.5, 4.8), (4.2, 2.9, 3.5), (3.4, 2.6, 3.0), (3.2, 2.2, 2.6)]),
    ((26, 70), 10, [60, 18, 7, 7], [(8, 3.5, 4.6), (4, 2.8, 3.4), (3.3, 2.5, 2.9), (3.1, 2.1, 2.5)]),
]
TARSALS = [  # x, y, a, b, c, angle
    (0, 2, 18, 26, 18, 80), (10, -24, 22, 42, 30, 85), (-8, 34, 20, 10, 14, 10), (20, 46, 13, 17, 13, 10),
    (-17, 63, 10, 14, 13, 0), (-5, 65, 7, 11, 11, 0), (6, 65, 7, 12, 11, 0),
]


def _rays(scene, pose, rng, tex, rays, spread, fore_rng, name, sesamoid_ray, soft_extra, tip_pad):
    t1 = tex[::-1]
    soft = []
    heads = []
    for i, (base, ang, lengths, radii) in enumerate(rays):
        a = ang + (spread * (ang / 20.0) if i else spread * 0.3) + float(rng.normal(0, 2))
        fore = float(rng.uniform(*fore_rng))
        bones, tip = ray_bones(pose, base, a, lengths, radii, [2.0, 1.6, 1.4], fore)
        for j, pcs in enumerate(bones):
            add(scene, f"{name}{i + 1}_{j}", pcs, t1, pose, 90 - a, rng)
        th = a * DEG
        mc_end = (base[0] + math.sin(th) * lengths[0], base[1] + math.cos(th) * lengths[0])
        heads.append((bones[0][2].prim, a, mc_end))
        tipx, tipy = tip[0] + math.sin(th) * tip_pad, tip[1] + math.cos(th) * tip_pad
        r_mid = radii[1][1] + soft_extra
        soft.append(cap(pose, mc_end, (tipx, tipy), r_mid + 1.0, r_mid * 0.8, 0.85, 0.8))
        if i == sesamoid_ray:
            for dx in (-3.5, 3.5):
                sx = mc_end[0] - math.sin(th) * 6 + dx * math.cos(th)
                sy = mc_end[1] - math.cos(th) * 6 - dx * math.sin(th)
                add(scene, "sesamoid", [blob(pose, sx, sy, 3.2, 3.8, 3.2, cortex=0.6, bvf=0.25)],
                    t1, pose, 0, rng)
    return soft, heads


def hand(scene: Scene, pose: Pose, rng: np.random.Generator, tex: list[TrabTile], fat: float) -> None:
    """Carpus, five rays and the soft tissue of wrist, palm, thenar eminence and fingers."""
    t0 = tex
    spread = float(rng.uniform(-4, 14))
    for k, (x, y, a, b, ang) in enumerate(CARPALS):
        p = blob(pose, x, y, a, b, 0.9 * max(a, b), ang, n=2.3, cortex=0.6, bvf=0.26)
        add(scene, f"carpal{k}", [p], t0, pose, ang, rng)
        if k in (0, 1):
            surface_landmark(scene, "wrist_carpal", p.prim, pose, -90, 50)
    soft, heads = _rays(scene, pose, rng, tex, HAND_RAYS, spread, (0.8, 1.0), "mc", 0, 5.0, 4.0)
    for prim, a, _ in heads[1:4]:
        surface_landmark(scene, "mcp", prim, pose, 90 - a, 55)
    soft.append(sell(pose, -2, 75, 41, 44, 15, n=2.3))
    soft.append(sell(pose, 26, 60, 15, 24, 15, 52))
    scene.add_envelope(soft, min(fat, 4.0), dermis_mm=1.2)
    meniscus_landmark(scene, "wrist", pose, (-33, 1), (-18, 1), 3.0)
    joint_landmark(scene, "wrist", pose, (0, 15), 25, [-90, 180, 0, 90])
    for i, (_, a, end) in enumerate(heads):
        joint_landmark(scene, f"mcp{i + 1}", pose, end, 7, [0, 180])


def foot(scene: Scene, pose: Pose, rng: np.random.Generator, tex: list[TrabTile], fat: float) -> None:
    """Dorsoplantar foot: tarsus, five rays, sesamoids of the hallux, foot and toe soft tissue."""
    t0 = tex
    for k, (x, y, a, b, c, ang) in enumerate(TARSALS):
        add(scene, f"tarsal{k}", [blob(pose, x, y, a, b, c, ang, n=2.3, cortex=0.7, bvf=0.24)],
            t0, pose, ang, rng)
    # distal tibia and fibula overlapping the hindfoot
    add(scene, "tibia_d", [blob(pose, -2, -45, 25, 14, 20, n=3.0, cortex=1.0, bvf=0.2)], t0, pose, 90, rng)
    spread = float(rng.uniform(-3, 6))
    soft, heads = _rays(scene, pose, rng, tex, FOOT_RAYS, spread, (0.6, 0.95), "mt", 0, 6.0, 3.0)
    soft.append(sell(pose, 6, 10, 85, 40, 32, 90, n=2.2))
    soft.append(sell(pose, 6, 130, 46, 40, 20, n=2.4))
    scene.add_envelope(soft, min(fat, 8.0))
    joint_landmark(scene, "midfoot", pose, (0, 60), 35, [0, 180, -90])
    joint_landmark(scene, "mtp1", pose, heads[0][2], 10, [180, 90])
    joint_landmark(scene, "hindfoot", pose, (5, -20), 40, [0, 180, -90])
