"""Upper-limb fields (anatomical frame, unit adult scale, mm): shoulder, arm/elbow, forearm/wrist, hand."""
from __future__ import annotations

import numpy as np

from .fields_lower import _common, _fat_planes
from .geometry import ell, tube
from .scene import Bone, Limb, Scene, Soft, epi, limb_tube, shaft


def shoulder(rng, cfg) -> Scene:
    fat, cs, bv, gap = _common(rng, cfg)
    sc = Scene("shoulder", fov=(rng.uniform(230, 300), rng.uniform(230, 300)), thickness=190)
    hum = Bone([epi((0, 0, 0), (25, 26, 25), 1.0 * cs), epi((18, -6, 6), (13, 16, 15), 1.0),
                shaft((8, 14, 0), (4, 300, 0), [23, 16, 12, 12], np.array([1.2, 3, 4, 4]) * cs)], bv)
    g = 26 + gap
    scap = Bone([epi((-g - 5, -2, -10), (7, 20, 15), 1.5), shaft((-g - 8, 5, -14), (-75, 35, -40), [14, 10, 12], [1.5, 1.5, 1.5]),
                 epi((-85, 55, -48), (45, 85, 5), 2.0, yaw=12, roll=35), epi((-8, -44, -10), (30, 9, 14), 1.5, yaw=-8),
                 epi((-28, -26, 22), (8, 13, 8), 1.2)], bv)
    clav = Bone([shaft((-20, -52, 10), (-90, -40, 22), [10, 8, 9], np.array([2, 3, 2.5]) * cs),
                 shaft((-90, -40, 22), (-170, -60, 30), [9, 8, 10], np.array([2.5, 3, 2]) * cs)], bv)
    sc.bones += [hum, scap, clav]
    for i in range(4):     # posterior/anterior rib arcs crossing the medial field
        y0 = 10 + 38 * i
        sc.bones.append(Bone([shaft((-60, y0, -60), (-120, y0 - 12, -20), [5, 5], [1.2, 1.2]),
                              shaft((-120, y0 - 12, -20), (-200, y0 + 10, 10), [5, 6], [1.2, 1.2])], 0.15))
    sc.limbs.append(Limb(ell((-60, 40, 0), (130, 150, 100)), fat))
    sc.limbs.append(limb_tube((6, 60, 0), (4, 380, 0), [60, 55, 48], fat, 0.9))
    sc.softs.append(Soft(ell((-175, 80, -20), (85, 140, 70)), "muscle", -0.72))       # aerated lung
    sc.sites = dict(
        axis=((6, 60, 0), (4, 330, 0), 42.0),
        veins=[((-30, 60, 30), (-10, 300, 25)), ((20, 80, 15), (20, 300, 10))],
        joints=[dict(c=np.array([-g + gap / 2, 0, 0]), surfaces=[(hum.parts[0][0], (-1, 0, 0))], plate=None,
                     menisci=[(-g + 2, -18, 0), (-g + 2, 18, 0)])],
        peri=[(np.array([25, -30, 0]), 30.0), (np.array([40, 5, 0]), 30.0), (np.array([-20, -35, 0]), 25.0)],
        shafts=[((6, 90, 0), (4, 280, 0), 12.0)],
        sesamoid=[], ossicle=[((-5, -56, -5), 4.0)], islands=[((0, 0, 0), 5.0), ((6, 150, 0), 3.5)])
    return sc


def arm_elbow(rng, cfg) -> Scene:
    fat, cs, bv, gap = _common(rng, cfg)
    gap *= 0.6
    sc = Scene("arm_elbow", fov=(rng.uniform(190, 250), rng.uniform(280, 360)), thickness=110)
    hum = Bone([shaft((0, -300, 0), (0, -28, 0), [12, 11, 12, 18, 30], np.array([3.5, 4, 3, 1.5, 1]) * cs),
                epi((-10, -12, 0), (15, 13, 18), 1.0), epi((15, -14, 5), (11, 12, 13), 1.0),
                epi((-33, -24, -4), (9, 9, 8), 1.0), epi((30, -26, -3), (6, 8, 6), 1.0)], bv)
    rad = Bone([epi((16, 4 + gap, 2), (12, 5, 12), 1.0),
                shaft((16, 6 + gap, 2), (26, 270, 4), [8, 7, 8, 10, 12, 16], np.array([1, 2, 2.5, 3, 2.5, 1.2]) * cs),
                epi((30, 35 + gap, 0), (6, 8, 6), 1.0)], bv)
    uln = Bone([epi((-10, -4 + gap, -18), (15, 22, 15), 1.0),
                shaft((-10, 10 + gap, -12), (-24, 270, -6), [13, 9, 7, 6, 6.5, 7], np.array([1.5, 2, 2.5, 2.5, 2, 1.5]) * cs)], bv)
    sc.bones += [hum, rad, uln]
    sc.limbs.append(limb_tube((0, -380, 0), (6, 360, 0), [52, 50, 46, 42, 34], fat, 0.92))
    _fat_planes(rng, sc, (0, -250, 0), (0, -40, 0), 35, int(rng.integers(1, 3)))
    sc.softs.append(Soft(ell((0, -40, -22), (18, 10, 8)), "fat", 0.8))                 # posterior fat pad
    sc.sites = dict(
        axis=((0, -300, 0), (4, 280, 0), 36.0),
        veins=[((-36, -250, 10), (-30, 250, 12)), ((30, -200, 10), (30, 250, 10))],
        joints=[dict(c=np.array([0, gap / 2 - 2, 0]), surfaces=[(hum.parts[1][0], (0, 1, 0)), (hum.parts[2][0], (0, 1, 0))],
                     plate=None, menisci=[(-25, gap / 2, 0), (22, gap / 2, 0)])],
        peri=[(np.array([-45, -10, 0]), 30.0), (np.array([40, -5, 0]), 28.0), (np.array([0, -40, -35]), 25.0)],
        shafts=[((0, -260, 0), (0, -90, 0), 11.5), ((18, 60, 2), (24, 220, 3), 8.0)],
        sesamoid=[], ossicle=[((-38, -30, -5), 3.0)], islands=[((0, -60, 0), 3.5)])
    return sc


def forearm_wrist(rng, cfg) -> Scene:
    fat, cs, bv, gap = _common(rng, cfg)
    gap *= 0.4
    sc = Scene("forearm_wrist", fov=(rng.uniform(170, 230), rng.uniform(240, 320)), thickness=60)
    rad = Bone([shaft((10, -280, 0), (10, -14, 0), [9, 8, 9.5, 12, 19, 25], np.array([2.5, 3, 3, 2.5, 1.5, 1]) * cs),
                epi((11, -10, 0), (24, 7, 12), 1.0), epi((31, -8, 0), (6, 11, 8), 1.0)], bv)
    uln = Bone([shaft((-20, -280, -4), (-20, -18, -4), [8, 7, 6.5, 7, 8, 9], np.array([2, 2.5, 2.5, 2.5, 2, 1.2]) * cs),
                epi((-21, -14, -4), (9, 6, 8), 1.0), epi((-27, -10, -4), (3, 7, 3), 0.8)], bv)
    y1 = 8 + gap
    carp = [epi((19, y1 + 4, 0), (8, 13, 9), 0.8, yaw=-30), epi((2, y1 + 2, 0), (9, 8, 10), 0.8),
            epi((-14, y1 + 6, -3), (7, 8, 8), 0.8), epi((-17, y1 + 9, 12), (5, 5, 5), 0.8),
            epi((25, y1 + 26, 2), (9, 9, 9), 0.8), epi((12, y1 + 28, 2), (7, 8, 7), 0.8),
            epi((0, y1 + 27, 0), (9, 13, 9), 0.8), epi((-16, y1 + 25, 0), (9, 11, 9), 0.8)]
    sc.bones += [rad, uln] + [Bone([c], bv) for c in carp]
    for i, ang in enumerate((30, 8, 0, -8, -16)):
        a = np.radians(ang)
        b0 = np.array([24 - 12 * i, y1 + 42, 0.0])
        sc.bones.append(Bone([shaft(b0, b0 + 60 * np.array([-np.sin(a), np.cos(a), 0]), [7, 4.5, 4.5, 6.5],
                                    [1, 1.5, 1.5, 1])], bv))
    sc.limbs.append(limb_tube((-5, -330, 0), (0, 50, 0), [40, 38, 32, 30, 33], fat * 0.5, 0.62))
    sc.limbs.append(Limb(ell((0, 80, 0), (48, 60, 18)), fat * 0.4))
    sc.sites = dict(
        axis=((-5, -280, 0), (0, -30, 0), 26.0),
        veins=[((-30, -260, 12), (-26, -20, 12)), ((30, -250, 10), (30, -20, 10)), ((0, -200, 14), (0, -30, 14))],
        joints=[dict(c=np.array([6, gap / 2 - 2, 0]), surfaces=[(carp[1][0], (0, -1, 0)), (carp[0][0], (0, -1, 0))],
                     plate=((11, -3 + 0.3 * gap, 0), (22, 11)), menisci=[(-18, -2, 0), (-14, 2, -3), (-20, 0, 4)])],
        peri=[(np.array([38, 0, 0]), 20.0), (np.array([-34, 0, 0]), 20.0), (np.array([0, 30, 16]), 18.0)],
        shafts=[((10, -230, 0), (10, -90, 0), 8.5), ((-20, -230, -4), (-20, -90, -4), 7.0)],
        sesamoid=[((-17, y1 + 9, 12), 0.1)], ossicle=[((-28, 0, 0), 3.0)], islands=[((4, y1 + 27, 0), 3.0)])
    return sc


def hand(rng, cfg) -> Scene:
    fat, cs, bv, gap = _common(rng, cfg)
    gap = 1.2 + 0.25 * gap
    sc = Scene("hand", fov=(rng.uniform(170, 230), rng.uniform(210, 280)), thickness=50)
    mc_len = (42, 64, 62, 56, 52)
    ph = ((30, 0, 22), (40, 24, 17), (45, 28, 19), (42, 26, 19), (33, 19, 17))
    angs = (38, 9, 0, -9, -18)
    bases = ((26, -50), (10, -40), (-2, -40), (-14, -42), (-25, -46))
    joints, sites_ses = [], []
    for i in range(5):
        a = np.radians(angs[i])
        d = np.array([-np.sin(a), np.cos(a), 0.0])
        p = np.array([bases[i][0], bases[i][1], 0.0])
        r = 4.5 if i else 5.5
        q = p + mc_len[i] * d
        sc.bones.append(Bone([shaft(p, q, [r + 2, r, r, r + 1.5], np.array([1, 1.8, 1.8, 1]) * cs, 0.9),
                              epi(q, (r + 1.5, 5, r + 1), 0.7, yaw=angs[i])], bv))
        joints.append(dict(c=q + d * (5 + gap / 2), surfaces=[(sc.bones[-1].parts[1][0], tuple(d))], plate=None,
                           menisci=[tuple(q + d * (5 + gap / 2) + np.cross(d, [0, 0, 1]) * s * (r + 1)) for s in (-1, 1)]))
        if i == 0:
            sites_ses += [(tuple(q + d * 2 + [3, 0, -6]), 3.0), (tuple(q + d * 2 + [-3, 0, -6]), 3.0)]
        start = q + d * (5 + gap)
        for k, ln in enumerate(ph[i]):
            if ln == 0:
                continue
            rr = (r - 0.5) * (1.0 - 0.18 * k)
            end = start + ln * d
            sc.bones.append(Bone([shaft(start, end, [rr + 1.5, rr * 0.8, rr * 0.8, rr + 0.8 - 0.8 * (k == 2)],
                                        np.array([0.8, 1.5, 1.5, 0.8]) * cs, 0.85)], bv))
            start = end + d * gap
        sc.limbs.append(limb_tube(q - d * 10, start + d * 4, [12, 10, 9, 8], fat * 0.25, 0.85))
    for c, r in (((14, -60, 0), (8, 11, 8)), ((0, -58, 0), (8, 12, 8)), ((-14, -60, 0), (8, 10, 8)),
                 ((18, -84, 0), (9, 11, 9)), ((0, -82, 0), (9, 8, 9)), ((-16, -80, 0), (7, 8, 7))):
        sc.bones.append(Bone([epi(c, r, 0.8)], bv))
    sc.limbs.append(Limb(ell((0, -25, 0), (50, 55, 16)), fat * 0.3))
    sc.limbs.append(limb_tube((0, -140, 0), (0, -70, 0), [34, 34], fat * 0.4, 0.6))
    sc.sites = dict(
        axis=((0, -40, 0), (0, 60, 0), 12.0),
        veins=[((-10, -80, 12), (-12, 10, 12)), ((12, -80, 12), (15, 10, 12))],
        joints=joints[1:] + joints[:1],
        peri=[(np.array(j["c"]) + [8, 0, 0], 12.0) for j in joints[1:4]] + [(np.array([0, -95, 0]), 18.0)],
        shafts=[((10, -36, 0), (9, 18, 0), 4.5), ((-2, -36, 0), (-2, 18, 0), 4.5)],
        sesamoid=sites_ses, ossicle=[((-28, -70, 0), 3.0)], islands=[((0, -58, 0), 2.5)])
    return sc
