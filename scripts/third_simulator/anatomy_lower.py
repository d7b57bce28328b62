"""Lower limb in AP projection, at adult physical scale (mm): hip (with the pelvis half),
femur, knee (condyles, patella, plateau, menisci), tibia, fibula, ankle (talus, calcaneus).

Anatomical frame: origin at the centre of the knee joint, +y distal, +x lateral.
"""
from __future__ import annotations

import numpy as np

from . import anatomy_trunk
from .anatomy_common import (add, blob, envelope, joint_landmark, limb_landmark,
                             meniscus_landmark, shaft, shaft_landmark, surface_landmark)
from .geometry import Pose, chain
from .scene import Scene
from .trabecular import TrabTile

# the pelvis frame (midline, femoral-head level) sits here in this frame
PELVIS_ORIGIN = (-105.0, -445.0)


def build(scene: Scene, pose: Pose, rng: np.random.Generator, tex: list[TrabTile],
          fat: float, with_pelvis: bool = True, with_trunk: bool = True) -> None:
    """Add one lower limb (and, near the hip, its pelvis half and the trunk envelope)."""
    t0, t1 = tex, tex[::-1]
    dfib = float(rng.uniform(-7, 7))      # leg rotation: fibula/tibia overlap
    valgus = float(rng.uniform(-3, 3))    # femorotibial angle, degrees
    js = float(rng.uniform(0.6, 1.3))     # joint-space factor (narrowing in OA)

    # ---- soft tissue
    env = envelope(pose,
                   [(20, -480), (22, -380), (15, -250), (8, -120), (3, -40), (3, 0), (5, 45),
                    (3, 130), (2, 250), (2, 340), (4, 390), (6, 430)],
                   [92, 80, 70, 60, 52, 50, 50, 55, 42, 30, 30, 33],
                   [0.95, 0.95, 1.0, 1.0, 1.05, 1.1, 1.1, 1.05, 1.0, 1.0, 1.1, 1.2])
    scene.add_envelope(env, fat)
    limb_landmark(scene, "thigh", pose, (18, -400), (4, -70), (80, 54), fat)
    limb_landmark(scene, "leg", pose, (3, 60), (2, 330), (52, 31), fat)
    # intermuscular fat planes (septa) of thigh and leg
    for (a, b, r) in [((-28, -360), (-22, -110), 0.5), ((40, -330), (28, -90), 0.5),
                      ((-25, 80), (-14, 300), 0.45), ((30, 90), (20, 300), 0.45)]:
        if rng.random() < 0.7:
            jitter = rng.uniform(-8, 8, 2)
            mid = ((a[0] + b[0]) / 2 + jitter[0] + rng.uniform(-6, 6), (a[1] + b[1]) / 2)
            rr = float(rng.uniform(0.8, 1.8))
            scene.add_path("fat_x", chain(pose, [(a[0] + jitter[0], a[1]), mid, (b[0] + jitter[1], b[1])],
                                          [rr, rr, rr * 0.7], float(rng.uniform(5, 10))))

    # ---- femur
    femur = [
        blob(pose, -10, -445, 23, 23, 23, cortex=1.0, bvf=0.30),
        shaft(pose, (-5, -440), (40, -412), (15, 17), (1.2, 1.5), (0.28, 0.24), (0.85, 0.85)),
        blob(pose, 58, -420, 17, 24, 20, 80, cortex=0.8, bvf=0.2),
        shaft(pose, (48, -410), (42, -360), (22, 16), (1.2, 3.0), (0.22, 0.08)),
        blob(pose, 27, -380, 9, 6, 8, 30, cortex=0.8, bvf=0.2),
        shaft(pose, (42, -362), (22, -200), (15.5, 14), (3.5, 5.5), (0.05, 0.0)),
        shaft(pose, (22, -200), (6, -95), (14, 16), (5.5, 2.5), (0.0, 0.08)),
        shaft(pose, (6, -95), (3, -68), (16, 21), (2.5, 1.4), (0.08, 0.15), (1.0, 0.95)),
        shaft(pose, (3, -68), (1, -48), (21, 33), (1.4, 0.9), (0.15, 0.22), (0.95, 0.85)),
        blob(pose, 0, -34, 39, 20, 28, n=2.8, cortex=0.9, bvf=0.22),
        blob(pose, 0, -6, 8, 17, 14, n=2.2, hole=True),  # intercondylar notch
    ]
    med = blob(pose, -20, -20, 19, 17, 30, n=2.6, cortex=1.0, bvf=0.24)
    lat = blob(pose, 20, -21, 18, 16, 29, n=2.6, cortex=1.0, bvf=0.24)
    femur += [med, lat]
    add(scene, "femur", femur, t0, pose, 90 + 6, rng)
    shaft_landmark(scene, "femur", pose, (40, -350), (8, -100), 15, "thigh")
    surface_landmark(scene, "knee", med.prim, pose, 90, 62)
    surface_landmark(scene, "knee", lat.prim, pose, 90, 62)
    surface_landmark(scene, "hip", femur[0].prim, pose, -110, 70)
    # patella, projected through the distal femur
    add(scene, "patella", [blob(pose, 3, -44, 22, 25, 9, n=2.2, cortex=0.8, bvf=0.15)], t1, pose, 90, rng)
    if rng.random() < 0.15:  # fabella (sesamoid in the lateral gastrocnemius): a normal ossicle
        add(scene, "fabella", [blob(pose, 24, -30, 5, 6, 5, cortex=0.7, bvf=0.25)], t1, pose, 90, rng)

    # ---- tibia (rotated by the valgus angle about the joint centre)
    tp = pose.sub(0, 6.0 * (js - 1.0), dang=np.radians(valgus))
    plateau = blob(tp, 0, 17, 40, 14, 24, n=4.0, cortex=0.9, bvf=0.22)
    tibia = [
        plateau,
        blob(tp, -5, 5, 4, 6, 6, cortex=0.6, bvf=0.2),
        blob(tp, 6, 5, 4, 6, 6, cortex=0.6, bvf=0.2),
        shaft(tp, (0, 28), (1, 50), (35, 26), (1.0, 1.5), (0.22, 0.15), (0.72, 0.85)),
        shaft(tp, (1, 50), (3, 85), (26, 18), (1.5, 2.5), (0.15, 0.08), (0.85, 0.95)),
        shaft(tp, (3, 85), (5, 250), (18, 13), (2.5, 5.0), (0.08, 0.0)),
        shaft(tp, (5, 250), (2, 345), (13, 17), (5.0, 1.5), (0.0, 0.12)),
        shaft(tp, (2, 345), (0, 372), (17, 24), (1.5, 0.8), (0.12, 0.22), (0.95, 0.85)),
        blob(tp, 0, 374, 25, 9, 20, n=3.0, cortex=1.0, bvf=0.22),
        shaft(tp, (-20, 360), (-21, 393), (9, 7), (1.0, 0.8), (0.18, 0.2)),
    ]
    add(scene, "tibia", tibia, t0, tp, 90, rng)
    surface_landmark(scene, "knee_plateau", plateau.prim, tp, -90, 65)
    shaft_landmark(scene, "tibia", tp, (3, 90), (4, 330), 15, "leg")
    fibula = [
        blob(tp, 40 + dfib, 42, 11, 12, 11, cortex=0.8, bvf=0.2),
        shaft(tp, (40 + dfib, 50), (37 + dfib, 150), (8, 7), (1.0, 2.5), (0.15, 0.0)),
        shaft(tp, (37 + dfib, 150), (30 + dfib * 0.5, 340), (7, 6.5), (2.5, 2.0), (0.0, 0.02)),
        shaft(tp, (30 + dfib * 0.5, 340), (30, 380), (6.5, 11), (2.0, 0.9), (0.05, 0.2)),
        blob(tp, 30, 392, 9, 16, 11, cortex=0.8, bvf=0.2),
    ]
    add(scene, "fibula", fibula, t1, tp, 92, rng)
    shaft_landmark(scene, "fibula", tp, (38 + dfib, 70), (31, 330), 7, "leg")
    for side in (-1, 1):  # menisci: wedges at the joint margins, base outside, apex inward
        meniscus_landmark(scene, "knee", pose, (side * 40, -1.5 * js), (side * 24, -1.5 * js), 2.8 * js)

    # ---- ankle and hindfoot
    talus = [blob(tp, 0, 401, 20, 15, 27, n=2.6, cortex=0.8, bvf=0.24)]
    add(scene, "talus", talus, t1, tp, 0, rng)
    add(scene, "calcaneus", [blob(tp, 5, 430, 24, 17, 26, n=2.3, cortex=0.6, bvf=0.15)], t0, tp, 0, rng)
    add(scene, "navicular", [blob(tp, -14, 420, 13, 8, 10, cortex=0.7, bvf=0.22)], t1, tp, 0, rng)

    joint_landmark(scene, "hip", pose, (-10, -445), 26, [-60, -20, 0, 30])
    joint_landmark(scene, "greater_trochanter", pose, (58, -420), 22, [-30, 0, 30])
    joint_landmark(scene, "knee", pose, (0, 0), 42, [0, 180, -90, -45, -135])
    joint_landmark(scene, "ankle", pose, (0, 390), 28, [0, 180, 60, 120])

    if with_pelvis:
        pp = pose.sub(*PELVIS_ORIGIN)
        anatomy_trunk.pelvis_half(scene, pp, rng, tex)
        if with_trunk:
            anatomy_trunk.trunk_envelope(scene, pp, fat, rng, full=False)
