"""Lower-limb and pelvis fields (anatomical frame, unit adult scale, mm): knee, hip, thigh, leg, ankle/foot."""
from __future__ import annotations

import numpy as np

from .geometry import ell, tube
from .params import U
from .scene import Bone, Limb, Scene, Soft, epi, limb_tube, shaft


def _common(rng, cfg):
    """Per-image fat thickness (mm), cortex scale, trabecular BV/TV and joint gap (mm)."""
    return U(rng, cfg, "fat_thickness_mm"), U(rng, cfg, "cortex_scale"), U(rng, cfg, "trabecular_bvtv"), \
        U(rng, cfg, "joint_gap_mm")


def _fat_planes(rng, sc: Scene, p0, p1, r: float, n: int) -> None:
    """Intermuscular fat septa: thin plates along the limb axis (lucent lines)."""
    for _ in range(n):
        ang = rng.uniform(0, 180)
        c = np.asarray(p0) * 0.5 + np.asarray(p1) * 0.5
        c = c + [rng.uniform(-0.4, 0.4) * r, rng.uniform(-40, 40), rng.uniform(-0.4, 0.4) * r]
        sc.softs.append(Soft(ell(c, (1.2 + rng.uniform(0, 1.5), 0.35 * np.linalg.norm(np.subtract(p1, p0)),
                                     0.5 * r), roll=ang), "fat", 1.0))
        sc.softs.append(Soft(sc.softs[-1].prim, "muscle", -1.0))


def knee(rng, cfg) -> Scene:
    fat, cs, bv, gap = _common(rng, cfg)
    sc = Scene("knee", fov=(rng.uniform(200, 260), rng.uniform(260, 340)), thickness=120)
    cb = 9.0                                               # condyle bottom (y)
    fem = Bone([shaft((0, -280, 0), (0, -12, -2), [13, 13, 17, 28, 36], np.array([4.5, 4.5, 2.5, 1.2, 1.0]) * cs),
                epi((-21, -15, -4), (19, 24, 28), 1.0 * cs), epi((21, -14, -4), (19, 23, 28), 1.0 * cs)], bv)
    pt = cb + gap + 10
    tib = Bone([epi((0, pt, -3), (39, 10, 29), 1.0 * cs), epi((-6, pt - 9, 0), (4, 5, 5), 0.8),
                epi((6, pt - 9, 0), (4, 5, 5), 0.8),
                shaft((0, pt + 2, -3), (0, 290, -2), [34, 26, 16, 12, 12], np.array([1, 1.5, 3, 4.5, 4.5]) * cs)], bv)
    fib = Bone([epi((37, pt + 22, -18), (9, 11, 9), 1.0), shaft((37, pt + 25, -18), (31, 290, -12), [7, 6, 5.5, 6],
                                                                np.array([1.5, 2.5, 2.5, 2]) * cs)], bv)
    pat = Bone([epi((0, -32, 40), (22, 26, 10), 1.2 * cs)], bv)
    sc.bones += [fem, tib, fib, pat]
    sc.limbs.append(limb_tube((0, -330, 0), (0, 330, 0), [68, 62, 56, 50, 42], fat, 0.92))
    _fat_planes(rng, sc, (0, -250, 0), (0, 250, 0), 45, int(rng.integers(1, 4)))
    sc.softs.append(Soft(ell((0, cb + gap / 2, -20), (30, 14, 18)), "fat", 0.5))        # Hoffa / popliteal fat
    cond = [fem.parts[1][0], fem.parts[2][0]]
    sc.sites = dict(
        axis=((0, -300, 0), (0, 300, 0), 50.0),
        veins=[((-45, -250, -10), (-40, 250, -8)), ((0, -200, -30), (0, 200, -30)), ((45, -100, -15), (40, 200, -20))],
        joints=[dict(c=np.array([0, cb + gap / 2, 0]), surfaces=[(cond[0], (0, 1, 0)), (cond[1], (0, 1, 0))],
                     plate=((0, pt - 10 - 0.4 * gap, -3), (36, 26)),
                     menisci=[(-34, cb + gap / 2, 8), (-30, cb + gap / 2, -14), (33, cb + gap / 2, 6), (30, cb + gap / 2, -15)])],
        peri=[(np.array([-45, -5, 0]), 30.0), (np.array([48, -5, 0]), 30.0), (np.array([0, -50, -30]), 25.0)],
        shafts=[((0, -250, 0), (0, -90, 0), 14.0), ((0, 90, -3), (0, 260, -3), 13.0)],
        sesamoid=[((22, -22, -36), 4.5)], ossicle=[((-40, cb, 0), 3.0)],
        islands=[((0, -60, 0), 4.0), ((0, 60, 0), 4.0)])
    return sc


def hip_pelvis(rng, cfg) -> Scene:
    fat, cs, bv, gap = _common(rng, cfg)
    sc = Scene("hip_pelvis", fov=(rng.uniform(260, 340), rng.uniform(280, 360)), thickness=200)
    hr = 24.0
    femur = Bone([epi((0, 0, 0), (hr, hr, hr), 1.0 * cs), shaft((5, 8, 0), (40, 40, -5), [16, 15, 18], [2, 2.5, 2]),
                  epi((52, 40, -8), (16, 24, 17), 1.2), epi((24, 78, -12), (8, 11, 8), 1.0),
                  shaft((42, 35, -5), (28, 320, -5), [24, 17, 14, 14, 14], np.array([1.5, 3, 5, 5.5, 5.5]) * cs)], bv)
    rim = hr + gap
    pelvis = Bone([epi((-12, -28, -6), (40, 30, 30), 1.6 * cs), epi((-2, -rim + 2, 0), (30, 7, 26), 2.0),
                   epi((-20, -115, -22), (80, 72, 7), 2.0, roll=rng.uniform(25, 45)),
                   shaft((-25, 8, 8), (-112, 28, 22), [10, 8, 9], [1.5, 1.5, 1.5]),
                   shaft((-110, 45, 16), (-55, 88, 0), [7, 7, 8], [1.5, 1.5, 1.5]),
                   epi((-38, 68, -10), (19, 26, 18), 1.5), epi((-118, 35, 20), (10, 18, 12), 1.5),
                   epi((-175, -95, -45), (45, 75, 25), 1.5)], bv * 0.9)
    sc.bones += [femur, pelvis]
    sc.limbs.append(Limb(ell((-90, -30, 0), (200, 230, 115)), fat + 8))
    sc.limbs.append(limb_tube((40, 40, 0), (30, 380, 0), [95, 85, 75], fat, 0.9))
    for _ in range(int(rng.integers(1, 5))):     # bowel gas displacing tissue
        c = (rng.uniform(-190, -80), rng.uniform(-160, -50), rng.uniform(-20, 40))
        sc.softs.append(Soft(ell(c, (rng.uniform(10, 30), rng.uniform(8, 25), 15), yaw=rng.uniform(0, 180)),
                             "muscle", -0.95))
    _fat_planes(rng, sc, (35, 60, 0), (30, 320, 0), 60, int(rng.integers(1, 3)))
    sc.sites = dict(
        axis=((38, 60, 0), (28, 340, 0), 70.0),
        veins=[((-130, 0, 25), (-70, 40, 25)), ((-140, 20, -10), (-90, 50, -20)), ((-20, 100, 20), (10, 300, 25))],
        joints=[dict(c=np.array([-4, -hr - gap / 2, 0]), surfaces=[(femur.parts[0][0], (-0.3, -1, 0))],
                     plate=None, menisci=[(-24, -hr + 6, 8), (20, -hr + 2, 4)])],
        peri=[(np.array([60, -10, 0]), 45.0), (np.array([70, 40, 0]), 40.0), (np.array([15, -45, 0]), 40.0)],
        shafts=[((36, 90, -5), (30, 300, -5), 15.0), ((55, 20, -8), (60, 60, -8), 20.0)],
        sesamoid=[], ossicle=[((38, -30, 0), 4.0)], islands=[((20, 130, -5), 5.0), ((-30, -60, -5), 6.0)])
    return sc


def thigh(rng, cfg) -> Scene:
    fat, cs, bv, gap = _common(rng, cfg)
    sc = Scene("thigh", fov=(rng.uniform(230, 300), rng.uniform(300, 380)), thickness=180)
    fem = Bone([shaft((4, -330, -4), (0, 290, 0), [22, 15, 14, 13, 14, 18, 30], np.array([2, 4, 5.5, 6, 5, 3, 1.2]) * cs),
                epi((-21, 300, -4), (19, 24, 28), 1.0), epi((21, 301, -4), (19, 23, 28), 1.0),
                epi((22, -320, -8), (16, 26, 16), 1.2)], bv)
    sc.bones.append(fem)
    sc.limbs.append(limb_tube((0, -400, 0), (0, 400, 0), [100, 95, 85, 72, 60], fat, 0.95))
    _fat_planes(rng, sc, (0, -250, 0), (0, 250, 0), 70, int(rng.integers(2, 5)))
    sc.sites = dict(
        axis=((0, -300, 0), (0, 300, 0), 72.0),
        veins=[((-60, -250, 10), (-45, 250, 0)), ((-20, -250, -30), (-10, 250, -35))],
        joints=[dict(c=np.array([0, 330, 0]), surfaces=[(fem.parts[1][0], (0, 1, 0))], plate=None, menisci=[])],
        peri=[(np.array([40, 290, 0]), 30.0), (np.array([40, -300, 0]), 35.0)],
        shafts=[((2, -200, -2), (0, 200, 0), 14.0)],
        sesamoid=[], ossicle=[], islands=[((0, 230, 0), 6.0)])
    return sc


def leg(rng, cfg) -> Scene:
    fat, cs, bv, gap = _common(rng, cfg)
    sc = Scene("leg", fov=(rng.uniform(190, 250), rng.uniform(320, 400)), thickness=120)
    tib = Bone([shaft((0, -260, -3), (0, 250, 0), [34, 22, 14, 12, 12.5, 16, 26], np.array([1, 2, 3.5, 4.5, 4, 2, 1]) * cs),
                epi((0, -265, -3), (39, 10, 29), 1.0), epi((-22, 262, 0), (9, 16, 10), 1.0)], bv)
    fib = Bone([shaft((36, -250, -18), (30, 255, -12), [9, 6, 5, 5.5, 6, 8], np.array([1.5, 2.5, 2.5, 2.5, 2, 1.2]) * cs),
                epi((32, 262, -14), (9, 18, 9), 1.0)], bv)
    sc.bones += [tib, fib]
    sc.limbs.append(limb_tube((0, -330, 0), (0, 330, 0), [56, 60, 52, 42, 34, 38], fat * 0.8, 0.95))
    sc.softs.append(Soft(ell((0, -90, -30), (42, 120, 34)), "muscle", 1.0))    # calf bulge (triceps surae)
    _fat_planes(rng, sc, (0, -220, -10), (0, 200, -10), 40, int(rng.integers(1, 3)))
    sc.sites = dict(
        axis=((0, -250, -10), (0, 230, -10), 42.0),
        veins=[((-40, -230, 5), (-32, 230, 10)), ((5, -200, -35), (5, 200, -30)), ((30, -180, -25), (25, 150, -25))],
        joints=[dict(c=np.array([0, -280, 0]), surfaces=[(tib.parts[1][0], (0, -1, 0))], plate=None, menisci=[])],
        peri=[(np.array([0, 280, -30]), 25.0), (np.array([40, -260, 0]), 30.0)],
        shafts=[((0, -160, -3), (0, 160, -2), 12.5), ((34, -150, -16), (31, 150, -13), 5.5)],
        sesamoid=[], ossicle=[], islands=[((0, 100, 0), 3.5)])
    return sc


def ankle_foot(rng, cfg) -> Scene:
    fat, cs, bv, gap = _common(rng, cfg)
    gap = gap * 0.6
    sc = Scene("ankle_foot", fov=(rng.uniform(190, 250), rng.uniform(240, 320)), thickness=110)
    tib = Bone([shaft((0, -260, 0), (0, -8, 0), [13, 13, 15, 22, 28], np.array([4, 4, 3, 1.5, 1]) * cs),
                epi((0, -10, 0), (27, 8, 24), 1.0), epi((-23, 2, 2), (8, 16, 10), 1.0)], bv)
    fib = Bone([shaft((32, -260, -14), (31, -15, -14), [6, 6, 7, 9], np.array([2, 2, 1.5, 1.2]) * cs),
                epi((31, 0, -15), (9, 20, 10), 1.0)], bv)
    tal = Bone([epi((2, 14 + gap, -4), (25, 14, 27), 1.0)], bv)
    tar = Bone([epi((6, 48 + gap, -32), (24, 26, 40), 1.0), epi((-8, 46 + gap, 24), (18, 10, 12), 1.0, yaw=15),
                epi((22, 56 + gap, 10), (13, 12, 14), 1.0), epi((-10, 66 + gap, 30), (16, 10, 10), 1.0)], bv)
    sc.bones += [tib, fib, tal, tar]
    for i in range(5):     # metatarsal bases in the lower field (foot seen obliquely)
        x = -16 + 9 * i
        sc.bones.append(Bone([shaft((x, 78 + gap, 28 - 4 * i), (x * 1.3, 160 + gap, 40 - 6 * i), [6, 4, 4.5, 6],
                                    [1, 1.5, 1.5, 1])], bv))
    sc.limbs.append(limb_tube((0, -330, 0), (0, 40, 0), [38, 34, 40], fat * 0.5, 0.95))
    sc.limbs.append(Limb(ell((4, 70, 0), (48, 90, 40)), fat * 0.5))
    sc.softs.append(Soft(tube((0, -120, -45), (0, 20, -40), [6, 7, 8]), "fat", 0.6))   # Kager fat pad
    sc.sites = dict(
        axis=((0, -260, -5), (0, -20, -5), 30.0),
        veins=[((-30, -240, 10), (-28, 0, 12)), ((28, -220, -20), (28, 0, -20))],
        joints=[dict(c=np.array([2, gap / 2, 0]), surfaces=[(tal.parts[0][0], (0, -1, 0))],
                     plate=((0, -2 + 0.3 * gap, 0), (24, 22)), menisci=[(-16, gap / 2, 0), (18, gap / 2, 0)])],
        peri=[(np.array([-36, 5, 0]), 25.0), (np.array([45, 10, 0]), 25.0), (np.array([10, 35, -50]), 25.0)],
        shafts=[((0, -230, 0), (0, -80, 0), 13.0)],
        sesamoid=[], ossicle=[((12, 36, -62), 5.0), ((-30, 55, 20), 4.0)], islands=[((4, 50, -32), 5.0)])
    return sc
