"""The six lesion recipes. Each adds to a ``Canvas``'s thickness maps (mm along the beam) what
the lesion brings: ``deposit`` (calcium hydroxyapatite, displacing soft tissue), ``bone`` (ossification,
displacing soft tissue) and ``muscle`` (soft-tissue swelling). Shapes and sizes come from
``ranges.yaml`` (section ``lesions``) with their sources."""

from __future__ import annotations

from typing import Callable

import numpy as np

from calcvision.phantoms.anatomy import Anatomy
from calcvision.phantoms.geometry import Grid, chord, ellipsoid_chord, frame_noise, lumpy_ellipsoid_chord, smooth_noise
from calcvision.phantoms.params import Section

Maps = dict[str, np.ndarray]


class Canvas:
    """Lesion thickness maps plus the anatomy context a recipe needs."""

    def __init__(self, grid: Grid, anat: Anatomy, u: np.ndarray, v: np.ndarray, L: Section, severity: float):
        self.grid, self.anat, self.u, self.v, self.L, self.sev = grid, anat, u, v, L, severity
        self.rng = L.rng
        self.maps: Maps = {k: np.zeros(grid.shape, np.float32) for k in ("deposit", "bone", "muscle")}

    def local(self, x: float, y: float, r: float):
        """(slices, dx, dy) mm offsets of the pixels within r of (x, y), or None."""
        sl = self.grid.patch(x, y, r)
        if sl is None:
            return None
        return sl, self.grid.xs[sl[1]][None, :] - np.float32(x), self.grid.ys[sl[0]][:, None] - np.float32(y)

    def in_field(self, x: float, y: float, margin: float) -> bool:
        H, W = self.grid.size_mm
        return abs(x) <= W / 2 - margin and abs(y) <= H / 2 - margin

    def soft_tissue_at(self, u: float, v: float, inset: float = 1.0) -> bool:
        return abs(v) < float(self.anat.half_width(u)) - inset

    def in_muscle(self, u: float, v: float) -> bool:
        return abs(v) < float(self.anat.half_width(u)) - self.anat.fat - 1.0

    def place(self, ok: Callable[[float, float], bool], margin: float) -> tuple[float, float, float, float]:
        """A random point (x, y, u, v) in the field (``margin`` mm from its edge) where
        ``ok(u, v)``; after 200 misses, the last point tried (the caller's redraw loop then
        rejects a lesion that ends up out of view)."""
        H, W = self.grid.size_mm
        mx, my = max(W / 2 - margin, W * 0.05), max(H / 2 - margin, H * 0.05)
        x = y = 0.0
        for _ in range(200):
            x, y = self.rng.uniform(-mx, mx), self.rng.uniform(-my, my)
            uu, vv = self.anat.frame.uv(np.float32(x), np.float32(y))
            if ok(float(uu), float(vv)):
                return x, y, float(uu), float(vv)
        uu, vv = self.anat.frame.uv(np.float32(x), np.float32(y))
        return x, y, float(uu), float(vv)

    def rot(self, dx: np.ndarray, dy: np.ndarray, angle: float) -> tuple[np.ndarray, np.ndarray]:
        c, s = np.float32(np.cos(angle)), np.float32(np.sin(angle))
        return dx * c + dy * s, dy * c - dx * s

    def lerp(self, name: str, t: float) -> float:
        """The value at fraction ``t`` (the severity) of range ``name``."""
        lo, hi = self.L.bounds(name)
        return lo + (hi - lo) * float(np.clip(t, 0, 1))


def rice_grain(cv: Canvas) -> None:
    """Many fusiform foci along the muscle fibres (the limb axis)."""
    L, rng, anat = cv.L, cv.rng, cv.anat
    n = L("count")
    clen = min(L("cluster_length_mm"), 0.8 * min(cv.grid.size_mm))
    x0, y0, uc, vc = cv.place(cv.in_muscle, margin=clen / 3)
    cwid = min(clen * rng.uniform(0.3, 0.8), 2 * max(float(anat.half_width(uc)) - anat.fat, 5.0))
    length, aspect = L("length_mm"), L("aspect")
    spread = np.deg2rad(L("orientation_spread_deg"))
    density = cv.lerp("density", cv.sev * 0.8 + rng.uniform(0, 0.2))
    placed = 0
    for _ in range(n * 4):
        if placed >= n:
            break
        uu, vv = uc + rng.uniform(-clen / 2, clen / 2), vc + rng.uniform(-cwid / 2, cwid / 2)
        x, y = anat.frame.xy(uu, vv)
        lg = float(np.clip(length * rng.uniform(0.75, 1.25), 3, 12))
        a, b = lg / 2, lg / (2 * float(np.clip(aspect * rng.uniform(0.85, 1.15), 2, 4)))
        if not (cv.in_muscle(uu, vv) and cv.in_field(x, y, a + 1)):
            continue
        loc = cv.local(x, y, a + 1)
        if loc is None:
            continue
        sl, dx, dy = loc
        du, dv = cv.rot(dx, dy, anat.frame.theta + rng.normal(0, spread))
        taper = np.maximum(1 - (du / np.float32(a)) ** 2, 0)  # spindle: width tapers to points
        bw = np.float32(b) * taper + np.float32(1e-3)
        t = (2 * b * rng.uniform(0.8, 1.2)) * taper * np.sqrt(np.maximum(1 - (dv / bw) ** 2, 0))
        cv.maps["deposit"][sl] += t * np.float32(density * rng.uniform(0.7, 1.0))
        placed += 1


def phlebolith_ring(cv: Canvas) -> None:
    """Round/oval shells with a lucent centre (sometimes lamellated or with a nidus)."""
    L, rng, anat = cv.L, cv.rng, cv.anat
    n = int(L("count"))
    crad = L("cluster_radius_mm") if n > 1 else 0.0
    crad = min(crad, 0.3 * min(cv.grid.size_mm))
    diam = L("diameter_mm")
    x0, y0, uc, vc = cv.place(lambda u, v: cv.soft_tissue_at(u, v, 3.0), margin=crad + 6)
    lam, nidus = L("lamellated"), L("nidus")
    density = cv.lerp("density", cv.sev * 0.8 + rng.uniform(0, 0.2))
    for i in range(n):
        for _ in range(20):
            ang, rr = rng.uniform(0, 2 * np.pi), crad * np.sqrt(rng.uniform())
            x, y = x0 + rr * np.cos(ang), y0 + rr * np.sin(ang)
            uu, vv = anat.frame.uv(np.float32(x), np.float32(y))
            d = float(np.clip(diam * rng.uniform(0.7, 1.3), 2, 10))
            if (i == 0 or cv.soft_tissue_at(float(uu), float(vv), d / 2)) and cv.in_field(x, y, d / 2 + 1):
                break
        else:
            continue
        r = d / 2
        asp = L("aspect")
        a, b = r * np.sqrt(asp), r / np.sqrt(asp)
        k = L("inner_ratio")
        loc = cv.local(x, y, a + 1)
        if loc is None:
            continue
        sl, dx, dy = loc
        du, dv = cv.rot(dx, dy, rng.uniform(0, np.pi))
        t = ellipsoid_chord(du, dv, a, b, r) - ellipsoid_chord(du, dv, a * k, b * k, r * k)
        if lam:  # an inner lamella
            k2, k3 = k * rng.uniform(0.6, 0.8), k * rng.uniform(0.35, 0.55)
            t = t + ellipsoid_chord(du, dv, a * k2, b * k2, r * k2) - ellipsoid_chord(du, dv, a * k3, b * k3, r * k3)
        if nidus:
            kn = k * rng.uniform(0.15, 0.3)
            t = t + ellipsoid_chord(du, dv, a * kn, b * kn, r * kn)
        cv.maps["deposit"][sl] += t * np.float32(density * rng.uniform(0.8, 1.0))


def sheet(cv: Canvas) -> None:
    """Confluent / reticulated / banded deposits in subcutaneous fat and fascial planes."""
    L, rng, anat, u, v = cv.L, cv.rng, cv.anat, cv.u, cv.v
    length = L("length_mm")
    pattern, site = L("pattern"), L("site")
    tex = L("texture_mm")
    thick = cv.lerp("thickness_mm", cv.sev * 0.8 + rng.uniform(0, 0.2))
    side = rng.choice([-1.0, 1.0])
    if site == "subcutaneous":
        ok = lambda uu, vv: cv.soft_tissue_at(uu, vv, 0) and abs(vv) > float(anat.half_width(uu)) - anat.fat - 4  # noqa: E731
    else:
        ok = cv.in_muscle
    x0, y0, uc, vc = cv.place(ok, margin=10)
    a = anat.half_width(u).astype(np.float32)
    inside = (np.abs(v) < a).astype(np.float32)
    if site == "subcutaneous":
        f = np.float32(max(anat.fat, 4.0))
        # tangential fat at the limb edge, plus the front/back fat projected over the limb
        across = np.exp(-((np.abs(v) - (a - f / 2)) / (f / 2 + 2)) ** 2)
        if rng.random() < 0.6:
            across = across * (np.sign(v) == np.sign(vc) if vc != 0 else side > 0)
        across = np.maximum(across, np.float32(rng.uniform(0.2, 0.7)) * (np.abs(v) < a - f))
    elif site == "fascial":
        across = np.zeros_like(v)
        for _ in range(rng.integers(1, 4)):
            v0 = vc + rng.uniform(-20, 20)
            curve = v0 + rng.uniform(0, 6) * np.sin(u / np.float32(rng.uniform(30, 120)) + np.float32(rng.uniform(0, 6.3)))
            across = np.maximum(across, np.exp(-((v - curve) / np.float32(rng.uniform(2, 6))) ** 2))
    else:
        across = np.exp(-((v - np.float32(vc)) / np.float32(max(float(anat.half_width(uc)) * 0.6, 10))) ** 2)
    along = np.clip((length / 2 - np.abs(u - np.float32(uc))) / np.float32(8.0), 0, 1)
    if pattern == "reticulated":
        n = frame_noise(rng, u, v, tex, tex)
        pat = np.exp(-(n / np.float32(rng.uniform(0.2, 0.45))) ** 2)
    elif pattern == "confluent":
        n = frame_noise(rng, u, v, tex * 1.5, tex * 1.5)
        pat = np.clip((n - np.float32(rng.uniform(-0.3, 0.8))) / np.float32(0.15), 0, 1)
    else:
        n = frame_noise(rng, u, v, tex * rng.uniform(4, 10), tex * rng.uniform(0.8, 1.5))
        pat = np.clip((n - np.float32(rng.uniform(0.2, 1.0))) / np.float32(0.2), 0, 1)
    # mineral, not fluid: sharp-edged deposits with a granular inner texture
    grain = np.clip(1 + 0.35 * frame_noise(rng, u, v, 0.8, 0.8), 0.3, 1.7)
    cv.maps["deposit"] += np.float32(thick) * pat * grain * across * along * inside


def tumoral_glob(cv: Canvas) -> None:
    """A large lobulated amorphous periarticular mass, sometimes with a fluid-calcium level."""
    L, rng, anat = cv.L, cv.rng, cv.anat
    R = min(L("size_mm"), 0.7 * min(cv.grid.size_mm)) / 2
    near = L("periarticular_mm")
    if anat.joint_u is not None:
        bone = anat.bones[0]
        def ok(uu, vv):
            return abs(uu - anat.joint_u) < near + R * 0.5 and abs(vv - bone.vb) > float(bone.radius_at(uu)) * 0.8 and cv.soft_tissue_at(uu, vv, 0)
    else:
        ok = cv.soft_tissue_at
    x0, y0, uc, vc = cv.place(ok, margin=max(R * 0.7, 3))
    k = L("lobules")
    lf = L("lobule_frac")
    density = cv.lerp("density", cv.sev * 0.8 + rng.uniform(0, 0.2))
    loc = cv.local(x0, y0, R * 1.3)
    if loc is None:
        return
    sl, dx, dy = loc
    mass = np.zeros((dy.shape[0], dx.shape[1]), np.float32)
    for _ in range(k):
        ang, rr = rng.uniform(0, 2 * np.pi), R * (1 - lf) * np.sqrt(rng.uniform())
        rl = R * lf * rng.uniform(0.7, 1.3)
        d2 = (dx - np.float32(rr * np.cos(ang))) ** 2 + (dy - np.float32(rr * np.sin(ang))) ** 2
        mass = np.maximum(mass, 2 * np.sqrt(np.maximum(np.float32(rl * rl) - d2, 0)))
    texture = np.clip(1 + 0.45 * smooth_noise(rng, mass.shape, L("texture_mm") / cv.grid.spacing), 0.15, 1.8)
    dep = mass * texture * np.float32(density)
    if L("fluid_level"):
        level = np.float32(rng.uniform(-0.4, 0.4) * R)
        g = rng.choice([0, 1, 2, 3], p=[0.7, 0.1, 0.1, 0.1])  # gravity: +y mostly
        coord = [dy, dx, -dy, -dx][g]
        dep = np.where(coord < level, dep * np.float32(rng.uniform(0.1, 0.3)), mass * np.float32(density * 1.1))
    cv.maps["deposit"][sl] += dep
    # soft-tissue swelling around the mass (a bulge of ~1/3 of its depth)
    cv.maps["muscle"][sl] += np.float32(0.35) * chord(np.float32((R * 1.15) ** 2), np.sqrt(dx * dx + dy * dy))


def chondrocalcinosis_line(cv: Canvas) -> None:
    """A thin line in the joint space parallel to the articular surface, with punctate
    meniscal (fibrocartilage) dots at the joint margins."""
    L, rng, anat, u, v = cv.L, cv.rng, cv.anat, cv.u, cv.v
    if anat.joint_u is None:
        raise ValueError("chondrocalcinosis_line needs a joint in view")
    A, B = anat.bones[0], anat.bones[1]
    gap = anat.joint_gap
    w = L("thickness_mm")
    fill = cv.lerp("fill", cv.sev * 0.8 + rng.uniform(0, 0.2))
    cover = L("coverage")
    off = L("offset_frac") * gap
    rend = A.radius * (1 + A.flare)
    band = np.abs(u - np.float32(anat.joint_u)) < gap + 3 * rend * max(A.end_curv, B.end_curv, 0.2)
    rows, cols = np.nonzero(band.any(axis=1))[0], np.nonzero(band.any(axis=0))[0]
    if rows.size == 0:
        return
    sl = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
    uu, vv = u[sl], v[sl]
    dv = vv - np.float32(A.vb)
    depth = chord(np.float32(rend * rend), dv)  # cartilage depth along the beam
    lateral = np.clip((cover * rend - np.abs(dv)) / np.float32(1.5), 0, 1)
    gaps = np.clip((frame_noise(rng, uu, vv, 200.0, rng.uniform(4, 12)) + 0.8) / 0.4, 0, 1)
    stipple = np.clip(0.65 + 0.35 * frame_noise(rng, uu, vv, 1.5, 1.5), 0.2, 1.2)
    surfaces = [(A, True)] + ([(B, False)] if L("both_surfaces") else [])
    dep = np.zeros_like(uu)
    for bone, hi in surfaces:
        line_u = bone.end_surface(vv, hi) + np.float32(off if hi else -off)
        dep += np.exp(-((uu - line_u) / np.float32(w / 2)) ** 2)
    dep = dep * depth * np.float32(fill) * lateral * gaps * stipple
    cv.maps["deposit"][sl] += dep
    if L("menisci"):
        ndots, dmm = L("meniscal_dots"), L("dot_mm")
        for _ in range(ndots):
            side = rng.choice([-1.0, 1.0])
            vdot = A.vb + side * rend * rng.uniform(0.6, 0.98)
            udot = anat.joint_u + rng.uniform(-0.4, 0.4) * gap * (1 + (abs(vdot - A.vb) / rend))
            x, y = anat.frame.xy(udot, vdot)
            r = dmm * rng.uniform(0.6, 1.2) / 2
            loc = cv.local(x, y, r + 1)
            if loc is None or not cv.in_field(x, y, r):
                continue
            s2, dx, dy = loc
            cv.maps["deposit"][s2] += chord(np.float32(r * r), np.sqrt(dx * dx + dy * dy)) * np.float32(rng.uniform(0.5, 1.0))


def trabeculated_ossification(cv: Canvas) -> None:
    """Ordered bone: cortex shell, internal trabecular network denser at the rim (zonal),
    separated from the adjacent bone by a lucent cleft."""
    L, rng, anat = cv.L, cv.rng, cv.anat
    length = min(L("length_mm"), 0.7 * min(cv.grid.size_mm))
    a = length / 2
    b = a * L("width_frac")
    c = b * rng.uniform(0.8, 1.2)
    cleft = L("cleft_mm")
    x0 = y0 = None
    if anat.bones:
        bone = anat.bones[int(rng.integers(len(anat.bones)))]
        for _ in range(100):
            side = rng.choice([-1.0, 1.0])
            uu = rng.uniform(-1, 1) * max(cv.grid.size_mm)
            rad = float(bone.radius_at(uu))
            if not (bone.u_lo + a < uu < bone.u_hi - a):
                continue
            vv = bone.vb + side * (rad + cleft + b)
            x, y = anat.frame.xy(uu, vv)
            if cv.in_field(x, y, max(b, a * 0.5)):
                x0, y0 = x, y
                break
    if x0 is None:
        x0, y0, _, _ = cv.place(cv.soft_tissue_at, margin=a)
    loc = cv.local(x0, y0, a + 1)
    if loc is None:
        return
    sl, dx, dy = loc
    du, dv = cv.rot(dx, dy, anat.frame.theta + np.deg2rad(rng.uniform(-10, 10)))
    ct = min(L("cortex_mm"), b * 0.4)
    irr = L("irregularity")
    harm = [(k, irr * rng.uniform(0.3, 1.0) / k, rng.uniform(0, 2 * np.pi)) for k in (2, 3, 4, 5)]
    outer = lumpy_ellipsoid_chord(du, dv, a, b, c, harm)
    inner = lumpy_ellipsoid_chord(du, dv, a - ct, b - ct, c - ct, harm)
    rho2 = np.minimum((du / np.float32(a)) ** 2 + (dv / np.float32(b)) ** 2, 1)
    zonal = L("zonal")
    profile = (1 - zonal) + zonal * rho2
    tcorr = L("trabecular_mm") / cv.grid.spacing
    net = 0.35 + 1.3 * np.exp(-(smooth_noise(rng, outer.shape, tcorr) / np.float32(0.35)) ** 2)
    maturity = cv.lerp("maturity", cv.sev * 0.8 + rng.uniform(0, 0.2))
    trab = inner * np.float32(L("trabecular_bvf")) * profile * net
    cv.maps["bone"][sl] += np.float32(maturity) * ((outer - inner) * np.float32(0.8) + trab)


MIN_VISIBLE_MM2: dict[str, float] = {
    "rice_grain": 4.0, "phlebolith_ring": 2.0, "sheet": 100.0, "tumoral_glob": 80.0,
    "chondrocalcinosis_line": 3.0, "trabeculated_ossification": 80.0,
}
"""Smallest lesion area (mm^2, pixels above the box threshold) accepted in view: a lesion
mostly outside the field is redrawn rather than labelled from a sliver."""

RECIPES: dict[str, Callable[[Canvas], None]] = {
    "rice_grain": rice_grain,
    "phlebolith_ring": phlebolith_ring,
    "sheet": sheet,
    "tumoral_glob": tumoral_glob,
    "chondrocalcinosis_line": chondrocalcinosis_line,
    "trabeculated_ossification": trabeculated_ossification,
}
