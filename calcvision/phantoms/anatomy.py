"""Anatomy as per-material thickness maps (mm along the beam): a limb or trunk segment of
elliptical cross-section with a subcutaneous fat layer around muscle, fascial fat planes, long
bones (cortex + medulla, widened cancellous ends), joints (two bone ends, a joint space and
edge-on subchondral plates), a cluster of small bones beyond a joint (carpus / tarsus), a second
overlapping bone, a patella, a flat bone in the trunk, or a chest (``calcvision.phantoms.thorax``)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from calcvision.phantoms.geometry import (Frame, Grid, chord, corticated, ellipse_chord, ellipsoid_chord, frame_noise,
                                          lumpy_ellipsoid_chord, power_law_noise)
from calcvision.phantoms.params import Section
from calcvision.phantoms.thorax import Thorax, draw_thorax, thorax_maps


@dataclass
class Bone:
    """A long bone along the limb axis at lateral offset ``vb``; exists for u in (u_lo, u_hi)
    minus rounded ends. ``end`` is the joint side: 'hi' (bone ends at u_hi) or 'lo'."""

    vb: float
    radius: float
    cortex: float
    u_lo: float = -np.inf
    u_hi: float = np.inf
    flare: float = 0.0
    flare_len: float = 20.0
    end_curv: float = 0.0
    plate: float = 0.0
    corner: float = 0.25
    wobble: tuple[tuple[float, float, float], ...] = ()

    def radius_at(self, u: np.ndarray | float) -> np.ndarray | float:
        return self.radius * (1 + self.flare * self._s(u))

    def _s(self, u):
        d = np.minimum(np.abs(u - self.u_hi) if np.isfinite(self.u_hi) else np.inf,
                       np.abs(u - self.u_lo) if np.isfinite(self.u_lo) else np.inf)
        if np.isscalar(d) and not np.isfinite(d):
            return 0.0
        return np.exp(-np.minimum(d, 1e3) / self.flare_len).astype(np.float32) if not np.isscalar(d) else float(np.exp(-min(d, 1e3) / self.flare_len))

    def end_surface(self, v: np.ndarray, at_hi: bool) -> np.ndarray:
        """u of the articular end at lateral position v (curved: convex or concave)."""
        rend = self.radius * (1 + self.flare)
        q = np.minimum(((v - self.vb) / rend) ** 2, 1.0)
        # parabolic condyle/plateau plus rounded corners where the end meets the sides
        recede = self.end_curv * rend * q + self.corner * rend * (1 - np.sqrt(1 - q))
        return self.u_hi - recede if at_hi else self.u_lo + recede


@dataclass
class SmallBone:
    """A carpal / tarsal bone: a corticated, lobulated ovoid at (u, v), in-plane semi-axes
    (a, b) turned by ``angle``, half-depth c, outline harmonics [(k, amp, phase)]."""

    u: float
    v: float
    a: float
    b: float
    c: float
    angle: float
    cortex: float
    harmonics: list[tuple[int, float, float]]


@dataclass
class Anatomy:
    kind: str
    frame: Frame
    semi_w: float
    depth_ratio: float
    taper: float
    fat: float
    bones: list[Bone] = field(default_factory=list)
    joint_u: float | None = None
    joint_gap: float = 0.0
    planes: list[tuple[float, float, float, float, float, float]] = field(default_factory=list)
    neighbours: list["Anatomy"] = field(default_factory=list)  # other digits of a hand
    small_bones: list[SmallBone] = field(default_factory=list)
    thorax: Thorax | None = None

    def half_width(self, u: np.ndarray | float) -> np.ndarray | float:
        return self.semi_w * np.maximum(1 + self.taper * np.asarray(u) / 100.0, 0.5)

    def depth(self, u):
        return self.half_width(u) * self.depth_ratio


def draw_anatomy(P: Section, grid: Grid, kind: str) -> Anatomy:
    """Draw one anatomy of ``kind`` ('shaft', 'joint', 'trunk', 'chest', 'hand') positioned in ``grid``."""
    rng = P.rng
    H, W = grid.size_mm
    if P("axis_aligned"):
        theta = np.deg2rad(rng.choice([0.0, 90.0, 180.0, 270.0]) + P("axis_jitter_deg"))
    else:
        theta = rng.uniform(0, 2 * np.pi)
    frame = Frame(P("centre_frac") * W, P("centre_frac") * H, float(theta))
    along = W if abs(np.cos(theta)) > abs(np.sin(theta)) else H
    if kind == "hand":
        return _draw_hand(P, grid, frame, along)
    if kind in ("trunk", "chest"):
        a = P("trunk_semi_width_mm")
        anat = Anatomy(kind, frame, a, P("trunk_depth_mm") / a, P("limb_taper_per_100mm") * 0.3,
                       fat=P("fat_fraction") * P("trunk_depth_mm"))
    else:
        a = P("limb_semi_width_mm")
        anat = Anatomy(kind, frame, a, P("limb_depth_ratio"), P("limb_taper_per_100mm"), fat=P("fat_fraction") * a)
    for _ in range(P("fascial_planes")):
        inner = anat.semi_w - anat.fat
        anat.planes.append((rng.uniform(-0.8, 0.8) * inner, rng.uniform(0, 0.15) * inner,
                            rng.uniform(40, 200), rng.uniform(0, 2 * np.pi), P("fascial_plane_mm"),
                            rng.uniform(0.01, 0.04)))
    if kind == "chest":
        anat.thorax = draw_thorax(P, a)
    if kind in ("trunk", "chest"):
        return anat
    rb = P("bone_radius_frac") * anat.semi_w
    vb = P("bone_offset_frac") * (anat.semi_w - anat.fat - rb)
    ct = P("cortex_frac") * rb
    if kind == "shaft":
        anat.bones.append(Bone(vb, rb, ct))
    else:
        uj = _joint_in_field(P, frame, grid, vb, along)
        gap = P("joint_gap_mm")
        anat.joint_u, anat.joint_gap = uj, gap
        flare, flen = P("epiphysis_flare"), P("epiphysis_length_mm")
        anat.bones.append(Bone(vb, rb, ct, u_hi=uj - gap / 2, flare=flare, flare_len=flen,
                               end_curv=P("condyle_curvature"), plate=P("subchondral_plate_mm"),
                               corner=P("corner_rounding")))
        rb2 = rb * rng.uniform(0.85, 1.1)
        anat.bones.append(Bone(vb, rb2, P("cortex_frac") * rb2, u_lo=uj + gap / 2, flare=P("epiphysis_flare"),
                               flare_len=P("epiphysis_length_mm"), end_curv=P("plateau_curvature"),
                               plate=P("subchondral_plate_mm"), corner=P("corner_rounding")))
        if P("small_bones"):
            _draw_small_bones(P, anat)
    if P("second_bone"):
        r2 = P("second_bone_radius_frac") * rb
        side = rng.choice([-1.0, 1.0])
        v2 = vb + side * P("second_bone_offset_frac") * (rb + r2)
        v2 = float(np.clip(v2, -(anat.semi_w - anat.fat - r2 * 0.5), anat.semi_w - anat.fat - r2 * 0.5))
        if kind == "joint":
            anat.bones.append(Bone(v2, r2, P("cortex_frac") * r2, u_lo=anat.joint_u + anat.joint_gap / 2 + rng.uniform(4, 30),
                                   flare=0.4, flare_len=15, end_curv=0.5, plate=0.0))
        else:
            anat.bones.append(Bone(v2, r2, P("cortex_frac") * r2))
    for bn in anat.bones:
        bn.wobble = tuple((P("bone_wobble") * rng.uniform(0.3, 1.0), rng.uniform(30, 120), rng.uniform(0, 2 * np.pi))
                          for _ in range(2))
    return anat


def _draw_small_bones(P: Section, anat: Anatomy) -> None:
    """A carpus / tarsus: the far side of the joint becomes a short bone (lunate / talus) with a
    packed cluster of lobulated small bones beyond it, overlapping in projection."""
    rng = P.rng
    near = anat.bones[1]
    near.u_hi = near.u_lo + rng.uniform(12, 30)  # a short bone: both ends articular
    u = near.u_hi
    width = near.radius * (1 + near.flare)
    if P("calcaneus"):  # the heel bone beside and beyond the talus, large and mostly cancellous
        half = P("calcaneus_mm") / 2
        anat.small_bones.append(SmallBone(
            near.u_lo + half * rng.uniform(0.6, 1.2), near.vb + rng.choice([-1.0, 1.0]) * width * rng.uniform(0.6, 1.3),
            half, half * rng.uniform(0.45, 0.6), rng.uniform(18, 25), rng.uniform(-0.6, 0.6), P("small_bone_cortex_mm"),
            [(k, rng.uniform(0.0, 0.1), rng.uniform(0, 2 * np.pi)) for k in (2, 3, 4)]))
    for _ in range(P("small_bone_count")):
        size = P("small_bone_mm") / 2
        u += size * rng.uniform(0.5, 1.2)
        anat.small_bones.append(SmallBone(
            u, near.vb + rng.uniform(-1.2, 1.2) * width, size, size * rng.uniform(0.65, 1.0), size * rng.uniform(0.6, 1.0),
            rng.uniform(0, np.pi), P("small_bone_cortex_mm"),
            [(k, rng.uniform(0.0, 0.08), rng.uniform(0, 2 * np.pi)) for k in (2, 3, 4)]))


def _small_bone_maps(sb: SmallBone, grid: Grid, anat: Anatomy, u: np.ndarray, v: np.ndarray, bvf: float,
                     tex: np.ndarray, maps: dict[str, np.ndarray]) -> None:
    x, y = anat.frame.xy(sb.u, sb.v)
    sl = grid.patch(x, y, max(sb.a, sb.b) * 1.3 + 1)
    if sl is None:
        return
    c, s = np.float32(np.cos(sb.angle)), np.float32(np.sin(sb.angle))
    du, dv = u[sl] - np.float32(sb.u), v[sl] - np.float32(sb.v)
    du, dv = du * c + dv * s, dv * c - du * s
    outer = lumpy_ellipsoid_chord(du, dv, sb.a, sb.b, sb.c, sb.harmonics)
    inner = lumpy_ellipsoid_chord(du, dv, max(sb.a - sb.cortex, 1.0), max(sb.b - sb.cortex, 1.0),
                                  max(sb.c - sb.cortex, 1.0), sb.harmonics)
    bone, marrow = corticated(outer, inner, bvf, tex[sl])
    maps["bone"][sl] += bone
    maps["marrow"][sl] += marrow


def _draw_digit(P: Section, grid: Grid, frame: Frame, along: float, joint_u: float | None = None) -> Anatomy:
    """One digit: a thin limb with two phalanges meeting at a small joint."""
    rng = P.rng
    a = P("digit_semi_width_mm")
    anat = Anatomy("hand", frame, a, rng.uniform(0.8, 1.0), rng.uniform(-0.05, 0.05), fat=P("fat_fraction") * a * 0.6)
    rb = P("digit_bone_radius_frac") * a
    vb = rng.uniform(-0.1, 0.1) * a
    gap = P("digit_joint_gap_mm")
    uj = _joint_in_field(P, frame, grid, vb, along) if joint_u is None else joint_u
    anat.joint_u, anat.joint_gap = uj, gap
    for hi in (True, False):
        r = rb * rng.uniform(0.9, 1.1)
        ends = {"u_hi": uj - gap / 2} if hi else {"u_lo": uj + gap / 2}
        anat.bones.append(Bone(vb, r, P("cortex_frac") * r * 1.2, flare=P("digit_flare"), flare_len=P("digit_flare_mm"),
                               end_curv=P("condyle_curvature") if hi else P("plateau_curvature"),
                               plate=rng.uniform(0.3, 0.8), corner=P("corner_rounding"), **ends))
    return anat


def _draw_hand(P: Section, grid: Grid, frame: Frame, along: float) -> Anatomy:
    """Several parallel (slightly fanned) digits; the first is the one lesions refer to."""
    rng = P.rng
    main = _draw_digit(P, grid, frame, along)
    n = P("digits")
    spacing = P("digit_spacing_mm")
    slot = int(rng.integers(n))  # where the main digit sits among its neighbours
    for k in range(n):
        if k == slot:
            continue
        off = (k - slot) * spacing
        th = frame.theta + np.deg2rad(P("digit_fan_deg")) * (k - slot)
        f = Frame(frame.cx - np.sin(frame.theta) * off, frame.cy + np.cos(frame.theta) * off, float(th))
        main.neighbours.append(_draw_digit(P, grid, f, along, joint_u=main.joint_u + rng.uniform(-12, 12)))
    return main


def _bone_maps(b: Bone, u: np.ndarray, v: np.ndarray, bvf: float, shaft: float,
               tex: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(cortical+cancellous bone, marrow) thickness of one long bone: cancellous bone of volume
    fraction ``bvf`` in the ends, ``shaft`` times that in the diaphysis."""
    s = b._s(u)
    s = np.zeros_like(u) if np.isscalar(s) else s
    r = b.radius * (1 + b.flare * s)
    for amp, lam, ph in b.wobble:  # real bones are not turned on a lathe
        r = r * (1 + np.float32(amp) * np.sin(u * np.float32(2 * np.pi / lam) + np.float32(ph)))
    ct = np.maximum(b.cortex * (1 - 0.75 * s), 0.4)
    d = v - np.float32(b.vb)
    outer = chord(r * r, d)
    rm = np.maximum(r - ct, 0.1)
    medulla = chord(rm * rm, d)
    inside = np.ones(u.shape, dtype=bool)
    plate_w = np.zeros_like(u)
    if np.isfinite(b.u_hi):
        end = b.end_surface(v, True)
        inside &= u < end
        plate_w = np.maximum(plate_w, np.clip(1 - (end - u) / max(b.plate, 1e-3), 0, 1))
    if np.isfinite(b.u_lo):
        end = b.end_surface(v, False)
        inside &= u > end
        plate_w = np.maximum(plate_w, np.clip(1 - (u - end) / max(b.plate, 1e-3), 0, 1))
    cancellous = medulla * np.float32(bvf) * np.maximum(np.clip(s * 1.5, 0, 1), np.float32(shaft)) * (1 + 0.35 * tex)
    bone = (outer - medulla) + np.maximum(cancellous, 0) + (0.35 * medulla * plate_w if b.plate > 0 else 0)
    marrow = medulla - np.maximum(cancellous, 0)
    return np.where(inside, bone, 0).astype(np.float32), np.where(inside, np.maximum(marrow, 0), 0).astype(np.float32)


@dataclass(frozen=True)
class Trabecular:
    """How the cancellous bone of one image looks in projection (``ranges.yaml``, anatomy)."""

    corr: float        # texture scale across the ridges (mm)
    layers: int        # independent trabecular layers the beam crosses
    anisotropy: float  # each layer's ridges are this many times longer along its principal direction
    spread: float      # principal directions scatter uniformly within +-spread (rad) of the bone axis
    shaft: float       # cancellous bone in the shaft, as a fraction of that in the bone ends


def draw_trabecular(P: Section) -> Trabecular:
    return Trabecular(P("trabecular_corr_mm"), P("trabecular_layers"), P("trabecular_anisotropy"),
                      float(np.deg2rad(P("trabecular_spread_deg"))), P("trabecular_shaft_frac"))


def _trabeculae(rng: np.random.Generator, u: np.ndarray, v: np.ndarray, tb: Trabecular) -> np.ndarray:
    """Projected trabecular texture (about -1..1.5 for one layer): each layer is a network of
    thin bright ridges where a band-limited field crosses zero, elongated along its principal
    direction (real trabeculae follow the lines of stress); the beam sums the layers, so the
    texture is their mean and its contrast falls about as 1 / sqrt(layers)."""
    acc = np.zeros(u.shape, dtype=np.float32)
    for _ in range(tb.layers):
        phi = rng.uniform(-tb.spread, tb.spread)
        c, s = np.float32(np.cos(phi)), np.float32(np.sin(phi))
        n = frame_noise(rng, u * c + v * s, v * c - u * s, tb.corr * tb.anisotropy, tb.corr)
        acc += np.exp(-(n / np.float32(0.5)) ** 2)
    return np.float32(2.5 / tb.layers) * acc - np.float32(1.0)


def anatomy_maps(anat: Anatomy, grid: Grid, P: Section,
                 clutter: np.ndarray | None = None) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Thickness maps {fat, muscle, bone, marrow} (mm) and the limb-frame (u, v) mm arrays.
    ``clutter``: the unit power-law field of the scene (drawn here when None; a hand's
    neighbour digits share the main digit's, as one body would)."""
    rng = P.rng
    u, v = anat.frame.uv(grid.xs[None, :], grid.ys[:, None])
    a = anat.half_width(u).astype(np.float32)
    b = a * np.float32(anat.depth_ratio)
    outer = ellipse_chord(a, b, v)
    f = np.float32(anat.fat)
    inner = ellipse_chord(np.maximum(a - f, 1.0), np.maximum(b - f, 1.0), v)
    fat = outer - inner
    muscle = inner.copy()
    for v0, amp, lam, ph, w, frac in anat.planes:
        curve = v0 + amp * np.sin(u * np.float32(2 * np.pi / lam) + np.float32(ph))
        # a septum seen edge-on: a few % of the muscle path is fat along a line of width w
        profile = np.maximum(np.float32(1.0) - np.abs(v - curve) * np.float32(1.0 / w), 0)
        sheet = np.minimum(np.float32(frac) * inner * profile, muscle * 0.5)
        fat += sheet
        muscle -= sheet
    bone = np.zeros_like(u)
    marrow = np.zeros_like(u)
    bvf = P("trabecular_bvf")
    tb = draw_trabecular(P)
    if anat.bones:
        for bn in anat.bones:
            near = np.abs(v - np.float32(bn.vb)) < bn.radius * (1 + bn.flare) * 1.06 + 1
            rows, cols = np.flatnonzero(near.any(axis=1)), np.flatnonzero(near.any(axis=0))
            if rows.size == 0:
                continue
            sl = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
            bo, ma = _bone_maps(bn, u[sl], v[sl], bvf, tb.shaft, _trabeculae(rng, u[sl], v[sl], tb))
            bone[sl] += bo
            marrow[sl] += ma
        if anat.kind == "joint" and P("patella"):
            pa, pb, pc = rng.uniform(14, 24), rng.uniform(12, 22), rng.uniform(7, 12)
            pu = anat.joint_u + rng.uniform(-20, 10)
            pv = anat.bones[0].vb + rng.uniform(-0.3, 0.3) * anat.bones[0].radius
            sl = grid.patch(*anat.frame.xy(pu, pv), max(pa, pb) + 1)
            if sl is not None:
                du, dv = u[sl] - np.float32(pu), v[sl] - np.float32(pv)
                outer_p = ellipsoid_chord(du, dv, pa, pb, pc)
                inner_p = ellipsoid_chord(du, dv, pa - 1.5, pb - 1.5, pc - 1.5)
                bo, ma = corticated(outer_p, inner_p, bvf, _trabeculae(rng, u[sl], v[sl], tb), gain=0.5)
                bone[sl] += bo
                marrow[sl] += ma
                muscle[sl] -= np.minimum(outer_p, muscle[sl])
        if anat.small_bones:
            tex = _trabeculae(rng, u, v, tb)
            for sb in anat.small_bones:
                _small_bone_maps(sb, grid, anat, u, v, bvf, tex, {"bone": bone, "marrow": marrow})
    elif anat.kind in ("trunk", "chest") and P("trunk_plate"):
        rc = rng.uniform(60, 160)
        cu, cv = rng.uniform(-80, 80), rng.uniform(-1, 1) * anat.semi_w * 0.6
        dist = rc - np.sqrt((u - np.float32(cu)) ** 2 + (v - np.float32(cv)) ** 2)
        plate = P("trunk_plate_mm")
        bone += np.where(dist > 0, plate + 8.0 * np.exp(-np.maximum(dist, 0) / 2.5), 0).astype(np.float32)
        marrow += np.where(dist > 0, plate * 0.5, 0).astype(np.float32)
    # soft-tissue heterogeneity: fat interleaved with muscle, streaky along the fibres
    amp = P("soft_texture")
    if amp > 0:
        streaks = frame_noise(rng, u, v, P("soft_texture_mm") * 4, P("soft_texture_mm"))
        swap = np.clip(np.float32(amp) * inner * streaks, -0.5 * fat, 0.5 * muscle)
        fat += swap
        muscle -= swap
    # anatomical clutter: density fluctuations at every scale (power-law spectrum)
    if clutter is None:
        clutter = power_law_noise(rng, u.shape, grid.spacing, P("clutter_beta"))
    swap = np.clip(np.float32(P("clutter")) * inner * clutter, -0.5 * fat, 0.5 * muscle)
    fat += swap
    muscle -= swap
    if anat.thorax is not None:
        thorax_maps(anat.thorax, u, v, {"muscle": muscle, "bone": bone, "marrow": marrow}, anat.semi_w * anat.depth_ratio,
                    bvf, _trabeculae(rng, u, v, tb), np.float32(P("lung_clutter")) * clutter)
    muscle = np.maximum(muscle - bone - marrow, 0)
    maps = {"fat": fat, "muscle": muscle, "bone": bone, "marrow": marrow}
    for nb in anat.neighbours:
        more, _, _ = anatomy_maps(nb, grid, P, clutter)
        for m in maps:
            maps[m] += more[m]
    return maps, u, v


def _joint_in_field(P: Section, frame: Frame, grid: Grid, vb: float, along: float) -> float:
    """A joint-line position u whose centre (u, vb) lies in the central 80 % of the field."""
    H, W = grid.size_mm
    uj = 0.0
    for _ in range(64):
        uj = P("joint_pos_frac") * along * 1.5
        x, y = frame.xy(uj, vb)
        if abs(x) < 0.4 * W and abs(y) < 0.4 * H:
            return uj
    # fall back to the point of the axis closest to the field centre
    return float(-(frame.cx * np.cos(frame.theta) + frame.cy * np.sin(frame.theta)))
