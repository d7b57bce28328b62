"""Upper limb in AP projection (mm): shoulder girdle (scapula, clavicle, ribs, lung), humerus,
elbow, radius and ulna; the wrist and hand come from `anatomy_hand`.

Anatomical frame: origin at the centre of the elbow joint, +y distal, +x lateral (radial side).
"""
from __future__ import annotations

import numpy as np

from . import anatomy_hand
from .anatomy_common import (add, blob, envelope, joint_landmark, limb_landmark, shaft,
                             shaft_landmark, surface_landmark)
from .geometry import Pose, chain, sell
from .scene import Piece, Scene
from .trabecular import TrabTile

WRIST = (19.0, 262.0)  # hand frame origin (centre of the distal radial articular surface)


def build(scene: Scene, pose: Pose, rng: np.random.Generator, tex: list[TrabTile], fat: float,
          girdle: bool = True, hand: bool = True) -> None:
    """Add the upper limb; `girdle` adds scapula, clavicle, ribs, lung and chest wall."""
    t0, t1 = tex, tex[::-1]
    pron = float(rng.uniform(0, 1))  # forearm pronation: radius crosses the ulna

    env = envelope(pose, [(-15, -250), (-5, -120), (0, -30), (5, 30), (8, 120), (12, 220), (10, 262)],
                   [48, 42, 40, 40, 38, 33, 32], [1.0, 1.0, 1.0, 0.85, 0.75, 0.65, 0.6])
    env.append(sell(pose, -25, -292, 64, 70, 56))  # deltoid / shoulder cap
    scene.add_envelope(env, fat)
    limb_landmark(scene, "arm", pose, (-12, -230), (0, -45), (46, 40), fat)
    limb_landmark(scene, "forearm", pose, (6, 40), (15, 215), (38, 28), fat, k=0.8)
    for (a, b) in [((-35, -220), (-28, -60)), ((30, -210), (26, -60)), ((-18, 50), (-10, 200))]:
        if rng.random() < 0.6:
            rr = float(rng.uniform(0.8, 1.6))
            scene.add_path("fat_x", chain(pose, [a, b], [rr, rr * 0.8], float(rng.uniform(5, 10))))

    # ---- humerus
    hum = [
        blob(pose, -22, -300, 24, 24, 24, cortex=0.9, bvf=0.28),
        blob(pose, 4, -300, 11, 16, 16, 90, cortex=0.8, bvf=0.2),
        shaft(pose, (-10, -292), (-5, -240), (22, 13), (1.0, 3.0), (0.25, 0.05)),
        shaft(pose, (-5, -240), (0, -90), (12.5, 12), (3.5, 3.5), (0.0, 0.0)),
        shaft(pose, (0, -90), (0, -40), (12, 22), (3.0, 1.0), (0.02, 0.2), (1.0, 0.6)),
        blob(pose, 0, -22, 33, 12, 13, n=2.6, cortex=1.0, bvf=0.2),
        blob(pose, -33, -26, 9, 8, 9, cortex=0.8, bvf=0.2),
        blob(pose, 29, -24, 7, 7, 8, cortex=0.8, bvf=0.2),
        blob(pose, -11, -6, 13, 9, 14, cortex=0.9, bvf=0.22),
        blob(pose, 15, -7, 11, 9, 12, cortex=0.9, bvf=0.22),
        blob(pose, -2, -28, 10, 8, 7, hole=True),
    ]
    add(scene, "humerus", hum, t0, pose, 90, rng)
    shaft_landmark(scene, "humerus", pose, (-5, -235), (0, -70), 12.5, "arm")
    surface_landmark(scene, "shoulder", hum[0].prim, pose, 180, 55)

    # ---- ulna and radius
    uln = [
        blob(pose, -6, -12, 11, 12, 12, cortex=0.9, bvf=0.22),
        shaft(pose, (-7, 2), (-10, 40), (12, 8), (1.0, 2.5), (0.2, 0.05)),
        blob(pose, -3, 6, 8, 6, 8, cortex=0.8, bvf=0.2),
        shaft(pose, (-10, 40), (-8, 225), (8, 6), (2.5, 2.0), (0.02, 0.02)),
        shaft(pose, (-8, 225), (-7, 245), (6, 8), (2.0, 0.9), (0.05, 0.2)),
        blob(pose, -7, 250, 8, 7, 8, cortex=0.8, bvf=0.22),
        shaft(pose, (-12, 250), (-13, 261), (2.5, 1.5), (0.8, 0.8), (0.1, 0.1)),
    ]
    add(scene, "ulna", uln, t1, pose, 92, rng)
    shaft_landmark(scene, "ulna", pose, (-10, 50), (-8, 220), 7, "forearm")
    xr = 22 - 12 * pron  # pronation swings the radial shaft toward the ulna
    rad = [
        blob(pose, 15, 10, 11, 5, 11, n=2.5, cortex=0.8, bvf=0.25),
        shaft(pose, (15, 14), (14, 32), (7, 7.5), (1.0, 1.5), (0.15, 0.05)),
        blob(pose, 10, 40, 6, 9, 7, cortex=0.8, bvf=0.15),
        shaft(pose, (14, 32), (xr, 130), (7.5, 8), (2.0, 2.5), (0.02, 0.0)),
        shaft(pose, (xr, 130), (22, 225), (8, 10), (2.5, 1.5), (0.0, 0.1)),
        shaft(pose, (22, 225), (20, 245), (10, 15), (1.5, 0.8), (0.1, 0.22), (1.0, 0.8)),
        blob(pose, 19, 252, 16, 9, 12, -12, n=2.5, cortex=0.8, bvf=0.22),
        shaft(pose, (30, 248), (35, 262), (5, 3), (0.8, 0.6), (0.2, 0.2)),
    ]
    add(scene, "radius", rad, t0, pose, 90, rng)
    surface_landmark(scene, "wrist", rad[6].prim, pose, 90, 55)
    shaft_landmark(scene, "radius", pose, (14, 50), (22, 215), 8, "forearm")
    joint_landmark(scene, "elbow", pose, (0, -5), 34, [0, 180, -30, -150, 30, 150])
    joint_landmark(scene, "shoulder", pose, (-22, -300), 30, [-90, -45, 0, 45])

    if girdle:
        _girdle(scene, pose, rng, tex, fat)
    if hand:
        anatomy_hand.hand(scene, pose.sub(*WRIST), rng, tex, fat)


def _girdle(scene: Scene, pose: Pose, rng: np.random.Generator, tex: list[TrabTile], fat: float) -> None:
    t0, t1 = tex, tex[::-1]
    scene.add_envelope([sell(pose, -235, -170, 165, 270, 110, n=2.2)], fat * 1.3)
    scene.add_path("gas", [sell(pose, -215, -160, 100, 200, 72)], scale=0.9)  # lung
    scap = [
        blob(pose, -50, -298, 7, 19, 14, n=2.4, cortex=1.2, bvf=0.3),
        shaft(pose, (-55, -298), (-78, -290), (14, 12), (1.0, 1.0), (0.2, 0.15), (0.55, 0.5)),
        blob(pose, -125, -250, 60, 86, 4.5, 20, n=2.2, q=8, cortex=0.8, bvf=0.1),
        shaft(pose, (-60, -282), (-120, -165), (6, 5), (1.2, 1.2), (0.1, 0.1), (1.2, 1.2)),
        shaft(pose, (-180, -362), (-30, -342), (7, 7), (1.2, 1.2), (0.15, 0.15), (0.8, 0.8)),
        blob(pose, 2, -342, 22, 9, 12, 5, cortex=1.0, bvf=0.2),
        shaft(pose, (-72, -318), (-52, -306), (7, 6), (1.5, 1.5), (0.1, 0.1), (2.0, 2.0)),
    ]
    add(scene, "scapula", scap, t1, pose, 110, rng)
    surface_landmark(scene, "shoulder_glenoid", scap[0].prim, pose, 0, 60)
    clav = [Piece(c, (pose.ln(2.0), pose.ln(1.5)), (0.08, 0.1))
            for c in chain(pose, [(-250, -362), (-150, -352), (-70, -347), (-36, -352)],
                           [9, 8, 8, 10.5], 0.9)]
    add(scene, "clavicle", clav, t0, pose, 0, rng)
    y0 = float(rng.uniform(-330, -300))
    for i in range(6):
        y = y0 + 42 * i
        pts = [(-320, y - 10), (-230, y - 22), (-150, y + 2), (-95, y + 50)]
        ribs = [Piece(c, (pose.ln(1.0), pose.ln(1.0)), (0.1, 0.1)) for c in chain(pose, pts, [5.5] * 4, 0.55)]
        add(scene, f"rib{i}", ribs, t1, pose, 10, rng)
