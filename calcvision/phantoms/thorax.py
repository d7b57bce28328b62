"""A chest seen PA: air-filled lungs with branching vascular markings, posterior and anterior
ribs, the thoracic spine (vertebral bodies, pedicles), the heart shadow and the shoulders
(humeral heads and shafts, clavicles), drawn into the
thickness maps of a trunk segment. Real chest plates are full of curved bony bands, rings and
round soft-tissue densities that are not calcification; a model that never met them calls
them lesions (the pydicom-data chest plate RG1 did exactly that before this module existed).

Chest coordinates: ``s`` across the body (mm from the midline), ``t`` along it (mm from the
level of the hila, positive towards the diaphragm). The field looks at a random part of the
chest (``chest_view_*``), so training crops meet lung, ribs, spine and mediastinum alike."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from calcvision.phantoms.geometry import chord, corticated, ellipse_chord, lumpy_ellipsoid_chord
from calcvision.phantoms.params import Section


@dataclass
class Rib:
    """A rib as a curve t = t0 + slope x + curv x^2 of x = |s| - x0 on one side, from x0 to x1."""

    side: float
    t0: float
    slope: float
    curv: float
    x0: float
    x1: float
    half_height: float
    semi_thick: float
    cortex: float


@dataclass
class Thorax:
    s0: float  # midline position (v of the anatomy frame)
    t0: float  # level of the hila (u of the anatomy frame)
    mediastinum: float  # lungs lie between |s| = mediastinum and |s| = lung_out
    lung_out: float
    apex: float
    diaphragm: float
    dome: float
    air: float
    heart: tuple[float, float, float, float]  # centre s, centre t, semi-width, semi-height
    vertebra: tuple[float, float, float, float]  # semi-width, height, disc, phase
    ribs: list[Rib] = field(default_factory=list)
    vessels: list[tuple[float, float, float, float, float]] = field(default_factory=list)  # s0, t0, s1, t1, radius
    nodules: list[tuple[float, float, float]] = field(default_factory=list)  # s, t, radius
    heads: list["Head"] = field(default_factory=list)  # humeral heads
    shafts: list[tuple[float, float, float, float, float, float]] = field(default_factory=list)  # s0, t0, s1, t1, radius, cortex


@dataclass
class Head:
    """A humeral head: a corticated, slightly lobulated sphere of cancellous bone at (s, t)."""

    s: float
    t: float
    radius: float
    cortex: float
    harmonics: list[tuple[int, float, float]]


def draw_thorax(P: Section, semi_w: float) -> Thorax:
    """Draw a chest for a trunk of half-width ``semi_w`` (mm)."""
    rng = P.rng
    heart_side = float(rng.choice([-1.0, 1.0]))  # the frame may be mirrored: either side
    th = Thorax(s0=-P("chest_view_lateral_frac") * semi_w, t0=-P("chest_view_level_mm"),
                mediastinum=P("mediastinum_mm"), lung_out=semi_w - P("chest_wall_mm"), apex=P("lung_apex_mm"),
                diaphragm=P("diaphragm_mm"), dome=P("diaphragm_dome_mm"), air=P("lung_air_fraction"),
                heart=(heart_side * rng.uniform(10, 30), rng.uniform(30, 70), P("heart_semi_width_mm"),
                       rng.uniform(45, 65)),
                vertebra=(P("vertebra_semi_width_mm"), P("vertebra_height_mm"), P("disc_mm"), rng.uniform(0, 1)))
    spacing, hh, thick, ct, curv = (P("rib_spacing_mm"), P("rib_half_height_mm"), P("rib_semi_thickness_mm"),
                                    P("rib_cortex_mm"), P("rib_curvature"))
    phase = rng.uniform(0, spacing)
    x1 = (semi_w + th.lung_out) / 2
    for side in (-1.0, 1.0):
        for k in range(-7, 7):  # posterior ribs: up from the spine, then down along the chest wall
            th.ribs.append(Rib(side, k * spacing + phase + rng.uniform(-2, 2), rng.uniform(-0.25, -0.05),
                               curv * rng.uniform(0.85, 1.15), th.vertebra[0] * 0.6, x1, hh * rng.uniform(0.9, 1.1),
                               thick, ct))
        for k in range(-6, 5):  # anterior ribs: thinner, sloping down towards the midline, ending at the cartilage
            t0 = k * spacing * 1.1 + phase * 0.7
            th.ribs.append(Rib(side, t0, rng.uniform(0.3, 0.5), -curv * 0.3, rng.uniform(30, 60), x1,
                               hh * rng.uniform(0.8, 1.0), thick * 0.7, ct * 0.7))
    for side in (-1.0, 1.0):  # the shoulders: humeral head and shaft beside the upper ribs, clavicle above
        r = P("humeral_head_mm")
        hs, ht = side * (th.lung_out + rng.uniform(0, 20)), -th.apex * rng.uniform(0.5, 0.8)
        th.heads.append(Head(hs, ht, r, P("humeral_head_cortex_mm"),
                             [(k, rng.uniform(0.0, 0.05), rng.uniform(0, 2 * np.pi)) for k in (2, 3)]))
        ang, rs = np.deg2rad(rng.uniform(0, 20)), r * P("humerus_radius_frac")
        th.shafts.append((hs, ht, hs + side * 250 * np.sin(ang), ht + 250 * np.cos(ang), rs, rs * rng.uniform(0.2, 0.3)))
        # the clavicle: from the sternum (lower or level) out to the acromion just above the head
        rc, x0, x1 = P("clavicle_radius_mm"), rng.uniform(10, 25), abs(hs) + rng.uniform(0, 15)
        t_lat, curv = ht - r - rng.uniform(0, 10), rng.uniform(-0.0008, 0.0008)
        t_med = t_lat + rng.uniform(0, 30)
        slope = (t_lat - t_med - curv * (x1 - x0) ** 2) / (x1 - x0)
        th.ribs.append(Rib(side, t_med, slope, curv, x0, x1, rc, rc * rng.uniform(0.8, 1.1), rng.uniform(1.0, 2.0)))
    for side in (-1.0, 1.0):  # vascular markings branch from the hilum outwards and taper
        hilum = (side * (th.mediastinum + rng.uniform(5, 15)), rng.uniform(-15, 15))
        for _ in range(P("lung_vessels")):
            ang = rng.uniform(-1.3, 1.3)
            _branch(rng, th.vessels, hilum, side, ang, P("lung_vessel_radius_mm"), rng.uniform(40, 110), depth=0)
    if P("lung_nodules"):
        for _ in range(P("lung_nodule_count")):
            side = float(rng.choice([-1.0, 1.0]))
            th.nodules.append((side * rng.uniform(th.mediastinum + 10, max(th.lung_out - 10, th.mediastinum + 11)),
                               rng.uniform(-th.apex + 20, th.diaphragm - 20), P("lung_nodule_mm")))
    return th


def _branch(rng: np.random.Generator, out: list, start: tuple[float, float], side: float, ang: float,
            radius: float, length: float, depth: int) -> None:
    """A tapering vessel in segments of about 10 mm, bending a little, with side branches."""
    s, t = start
    n = max(2, int(length / 10))
    step = length / n
    for i in range(n):
        ang += rng.normal(0, 0.12)
        s1, t1 = s + side * step * np.cos(ang), t + step * np.sin(ang)
        r = max(radius * (1 - 0.8 * (i + 1) / n), 0.4)
        out.append((s, t, s1, t1, r))
        if depth < 2 and rng.random() < 0.3:
            _branch(rng, out, (s1, t1), side, ang + rng.choice([-1, 1]) * rng.uniform(0.4, 0.9), r * 0.7,
                    length * (1 - (i + 1) / n) * 0.8, depth + 1)
        s, t = s1, t1


def thorax_maps(th: Thorax, u: np.ndarray, v: np.ndarray, maps: dict[str, np.ndarray], depth: float,
                bvf: float, tex: np.ndarray, clutter: np.ndarray | float = 0.0) -> None:
    """Add the chest to the thickness maps (mm) in place: lungs replace soft tissue by air (air
    attenuates ~1000x less, so it is simply removed); ribs, vertebrae and the soft-tissue
    densities inside the lungs (vessels, nodules, heart) are added back. ``depth``: the trunk's
    half-depth (mm); ``tex``: trabecular texture (as ``anatomy._trabeculae``); ``clutter``: the
    relative fluctuation of the air path through the lungs (parenchymal density texture)."""
    s = v - np.float32(th.s0)
    t = u - np.float32(th.t0)
    a = np.abs(s)
    # lungs: between the mediastinum and the chest wall, apex to the domed diaphragm
    inner, width = np.float32(th.mediastinum), np.float32(max(th.lung_out - th.mediastinum, 20.0))
    xd = np.clip((a - inner) / width, 0, 1)  # 0 at the mediastinum, 1 at the chest wall
    across = np.sqrt(np.sqrt(np.clip(1.0 - (2 * xd - 1) ** 4, 0, 1)))  # lung depth: flat, thinning at both edges
    floor = np.float32(th.diaphragm) - np.float32(th.dome) * (1 - (2 * xd - 1) ** 2)
    top = -np.float32(th.apex) + np.float32(0.25 * th.apex) * (1 - xd) ** 2
    vert = np.clip((floor - t) / np.float32(10.0), 0, 1) * np.clip((t - top) / np.float32(15.0), 0, 1)
    hs, ht, hw, hh = th.heart
    heart = np.clip(1.0 - ((s - np.float32(hs)) / np.float32(hw)) ** 2 - ((t - np.float32(ht)) / np.float32(hh)) ** 2, 0, 1)
    air = np.float32(2.0 * th.air * depth) * across * vert * (1 - np.sqrt(heart))
    air *= np.clip(1 + clutter, 0, 2)
    soft = maps["muscle"]
    removed = np.minimum(air, soft * 0.9)
    soft -= removed
    # vascular markings and nodules: soft tissue back inside the air
    for s0, t0, s1, t1, r in th.vessels:
        _tube(soft, removed, s, t, s0, t0, s1, t1, r)
    for ns, nt, r in th.nodules:
        sl = _window(s, t, ns - r, ns + r, nt - r, nt + r)
        if sl is None:
            continue
        d2 = (s[sl] - np.float32(ns)) ** 2 + (t[sl] - np.float32(nt)) ** 2
        add = np.minimum(chord(np.float32(r * r), np.sqrt(d2)), removed[sl])
        soft[sl] += np.where(d2 < r * r, add, 0)
    for rb in th.ribs:
        _rib(rb, s, t, maps["bone"], maps["marrow"], bvf, tex)
    for hd in th.heads:
        _head(hd, s, t, maps["bone"], maps["marrow"], bvf, tex)
    for s0, t0, s1, t1, r, ct in th.shafts:
        _shaft(s, t, s0, t0, s1, t1, r, ct, maps["bone"], maps["marrow"], bvf)
    _spine(th, s, t, maps["bone"], maps["marrow"], bvf, tex)


def _window(s: np.ndarray, t: np.ndarray, lo_s: float, hi_s: float, lo_t: float,
            hi_t: float) -> tuple[slice, slice] | None:
    """Pixel slices holding every pixel with lo_s < s < hi_s and lo_t < t < hi_t (chest mm), or
    None: found on a coarse lattice of every 8th pixel (s, t are linear in the pixel indices),
    so that a structure far from the field costs nothing."""
    k, m = 8, 16.0  # lattice step (px) and a margin (mm) wider than 8 px at <= 0.2 mm/px
    cs, ct = s[::k, ::k], t[::k, ::k]
    box = (cs > lo_s - m) & (cs < hi_s + m) & (ct > lo_t - m) & (ct < hi_t + m)
    if not box.any():
        return None
    rows, cols = np.flatnonzero(box.any(axis=1)), np.flatnonzero(box.any(axis=0))
    return slice(max(rows[0] - 1, 0) * k, (rows[-1] + 2) * k), slice(max(cols[0] - 1, 0) * k, (cols[-1] + 2) * k)


def _rib(rb: Rib, s: np.ndarray, t: np.ndarray, bone: np.ndarray, marrow: np.ndarray, bvf: float,
         tex: np.ndarray) -> None:
    """Add one rib (a corticated band of elliptical cross-section along its curve) in place."""
    span = rb.x1 - rb.x0
    ends = [0.0, span] + ([-rb.slope / (2 * rb.curv)] if rb.curv and 0 < -rb.slope / (2 * rb.curv) < span else [])
    ts = [rb.t0 + rb.slope * x + rb.curv * x * x for x in ends]
    reach = rb.half_height * np.sqrt(1 + max(rb.slope ** 2, (rb.slope + 2 * rb.curv * span) ** 2))
    lo_s, hi_s = (rb.x0, rb.x1) if rb.side > 0 else (-rb.x1, -rb.x0)
    sl = _window(s, t, lo_s, hi_s, min(ts) - reach, max(ts) + reach)
    if sl is None:
        return
    s, t, tex = s[sl], t[sl], tex[sl]
    a = np.abs(s)
    x = a - np.float32(rb.x0)
    on = (np.sign(s) == rb.side) & (x > 0) & (a < np.float32(rb.x1))
    curve = np.float32(rb.t0) + np.float32(rb.slope) * x + np.float32(rb.curv) * x * x
    slope = np.float32(rb.slope) + np.float32(2 * rb.curv) * x
    d = (t - curve) / np.sqrt(1 + slope * slope)
    hit = on & (np.abs(d) < rb.half_height)
    if not hit.any():
        return
    dd = d[hit]
    o = ellipse_chord(np.float32(rb.half_height), np.float32(rb.semi_thick), dd)
    i = ellipse_chord(np.float32(max(rb.half_height - rb.cortex, 0.5)), np.float32(max(rb.semi_thick - rb.cortex, 0.3)), dd)
    fade = np.clip((a[hit] - rb.x0) / np.float32(10.0), 0, 1)  # ribs fade into the costal cartilage / spine
    bo, ma = corticated(o, i, bvf, tex[hit])
    bone[sl][hit] += fade * bo
    marrow[sl][hit] += fade * ma


def _head(hd: Head, s: np.ndarray, t: np.ndarray, bone: np.ndarray, marrow: np.ndarray, bvf: float,
          tex: np.ndarray) -> None:
    """Add a humeral head in place."""
    r = hd.radius * 1.2
    sl = _window(s, t, hd.s - r, hd.s + r, hd.t - r, hd.t + r)
    if sl is None:
        return
    ds, dt = s[sl] - np.float32(hd.s), t[sl] - np.float32(hd.t)
    ri = max(hd.radius - hd.cortex, 1.0)
    outer = lumpy_ellipsoid_chord(ds, dt, hd.radius, hd.radius, hd.radius, hd.harmonics)
    inner = lumpy_ellipsoid_chord(ds, dt, ri, ri, ri, hd.harmonics)
    bo, ma = corticated(outer, inner, bvf, tex[sl])
    bone[sl] += bo
    marrow[sl] += ma


def _shaft(s: np.ndarray, t: np.ndarray, s0: float, t0: float, s1: float, t1: float, r: float, cortex: float,
           bone: np.ndarray, marrow: np.ndarray, bvf: float) -> None:
    """Add a long-bone shaft (a corticated tube of radius r, cortex ``cortex`` mm, little
    cancellous bone) along the segment (s0, t0)-(s1, t1) in place."""
    sl = _window(s, t, min(s0, s1) - r, max(s0, s1) + r, min(t0, t1) - r, max(t0, t1) + r)
    if sl is None:
        return
    d = _distance_to_segment(s[sl], t[sl], s0, t0, s1, t1)
    bo, ma = corticated(chord(np.float32(r * r), d), chord(np.float32(max(r - cortex, 0.5) ** 2), d), bvf * 0.3, 0.0)
    bone[sl] += bo
    marrow[sl] += ma


def _distance_to_segment(s: np.ndarray, t: np.ndarray, s0: float, t0: float, s1: float, t1: float) -> np.ndarray:
    """Distance (mm) of every (s, t) from the segment (s0, t0)-(s1, t1)."""
    ds, dt = np.float32(s1 - s0), np.float32(t1 - t0)
    L2 = float(ds * ds + dt * dt) or 1.0
    q = np.clip(((s - np.float32(s0)) * ds + (t - np.float32(t0)) * dt) / np.float32(L2), 0, 1)
    return np.hypot(s - np.float32(s0) - q * ds, t - np.float32(t0) - q * dt)


def _tube(soft: np.ndarray, limit: np.ndarray, s: np.ndarray, t: np.ndarray, s0: float, t0: float,
          s1: float, t1: float, r: float) -> None:
    """Add a soft-tissue cylinder of radius r along the segment (s0, t0)-(s1, t1), where air was."""
    sl = _window(s, t, min(s0, s1) - r, max(s0, s1) + r, min(t0, t1) - r, max(t0, t1) + r)
    if sl is None:
        return
    d = _distance_to_segment(s[sl], t[sl], s0, t0, s1, t1)
    soft[sl] += np.minimum(chord(np.float32(r * r), d), limit[sl])


def _spine(th: Thorax, s: np.ndarray, t: np.ndarray, bone: np.ndarray, marrow: np.ndarray, bvf: float,
           tex: np.ndarray) -> None:
    """Vertebral bodies (corticated blocks separated by discs) and their pedicles (corticated
    ovals: rings seen end-on, a classic mimic)."""
    w, h, disc, phase = th.vertebra
    near = np.abs(s) < w + 2
    if not near.any():
        return
    period = np.float32(h + disc)
    local = np.mod(t - np.float32(phase * (h + disc)), period) - np.float32(h / 2)  # 0 at a body's centre
    in_body = near & (np.abs(local) < h / 2)
    depth_semi = np.float32(w * 0.8)
    body = ellipse_chord(np.float32(w), depth_semi, s) * np.clip((np.float32(h / 2) - np.abs(local)) / np.float32(1.5), 0, 1)
    core = ellipse_chord(np.float32(max(w - 1.5, 1)), depth_semi - 1.5, s) * np.clip((np.float32(h / 2 - 1.2) - np.abs(local)) / np.float32(1.5), 0, 1)
    bo, ma = corticated(body, core, bvf, tex)
    bone += np.where(in_body, bo, 0).astype(np.float32)
    marrow += np.where(in_body, ma, 0).astype(np.float32)
    for side in (-1.0, 1.0):  # pedicles in the upper half of each body
        ps, pt = np.float32(side * (w - 5)), np.float32(-h * 0.15)
        d = np.sqrt(((s - ps) / np.float32(4.0)) ** 2 + ((local - pt) / np.float32(6.0)) ** 2)
        ring = np.clip(1 - np.abs(d - 0.8) / np.float32(0.25), 0, 1) * np.float32(6.0)
        bone += np.where(near, ring, 0).astype(np.float32)
