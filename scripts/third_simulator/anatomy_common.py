"""Helpers shared by the anatomy builders: posed pieces, long bones, digits, landmarks."""
from __future__ import annotations

import math

import numpy as np

from .geometry import Capsule, Pose, SuperEllipsoid, chain, sell
from .scene import Piece, Scene

DEG = math.pi / 180.0


def cap(pose: Pose, a, b, r0, r1, k0=1.0, k1=None) -> Capsule:
    """Posed capsule between anatomical points a and b (mm)."""
    (x0, y0), (x1, y1) = pose.pt(*a), pose.pt(*b)
    return Capsule(x0, y0, x1, y1, pose.ln(r0), pose.ln(r1), k0, k0 if k1 is None else k1)


def shaft(pose: Pose, a, b, r, cortex, bvf, k=(1.0, 1.0)) -> Piece:
    """A capsule piece of a long bone with (start, end) radius, cortex (mm) and bone fraction."""
    c = cap(pose, a, b, r[0], r[1], k[0], k[1])
    return Piece(c, (pose.ln(cortex[0]), pose.ln(cortex[1])), tuple(bvf))


def blob(pose: Pose, x, y, a, b, c, ang=0.0, n=2.0, q=2.0, cortex=0.9, bvf=0.22, hole=False) -> Piece:
    """A superellipsoid piece (bone end, carpal/tarsal bone, condyle)."""
    return Piece(sell(pose, x, y, a, b, c, ang, n, q), pose.ln(cortex), bvf, hole)


def add(scene: Scene, name: str, pieces: list[Piece], tex, pose: Pose,
        axis_deg: float, rng: np.random.Generator) -> list[Piece]:
    """Add one bone whose long axis points along anatomical angle `axis_deg`.
    `tex` is the case's pair of trabecular tiles (either order)."""
    scene.add_bone(name, pieces, list(tex), pose.ang(axis_deg * DEG), rng)
    return pieces


def ray_bones(pose: Pose, base, angle_deg: float, lengths, radii, gaps, fore: float = 1.0):
    """Bones of one ray (metacarpal/metatarsal + phalanges) from `base` along `angle_deg`
    (0 = +y, distal; positive toward +x). radii: (base, mid, head) per bone. `fore` < 1
    foreshortens the phalanges (flexion). Returns (list of per-bone piece lists, tip point)."""
    out = []
    x, y = base
    th = angle_deg * DEG
    for i, (L, (rb, rm, rh)) in enumerate(zip(lengths, radii)):
        f = 1.0 if i == 0 else fore
        dx, dy = math.sin(th) * L * f, math.cos(th) * L * f
        p0 = (x, y)
        pm = (x + 0.45 * dx, y + 0.45 * dy)
        p1 = (x + dx, y + dy)
        cort_mid = max(0.25 * rm, 0.6)
        pcs = [
            shaft(pose, p0, pm, (rb, rm), (0.5, cort_mid), (0.25, 0.04)),
            shaft(pose, pm, p1, (rm, rh), (cort_mid, 0.5), (0.04, 0.25)),
            blob(pose, p1[0] - 0.3 * math.sin(th) * rh, p1[1] - 0.3 * math.cos(th) * rh, rh * 0.9,
                 rh * 1.05, rh * 0.95, ang=90 - angle_deg, cortex=0.45, bvf=0.25),
        ]
        out.append(pcs)
        g = gaps[i] if i < len(gaps) else 1.5
        x, y = p1[0] + math.sin(th) * g, p1[1] + math.cos(th) * g
    return out, (x, y)


def limb_landmark(scene: Scene, name: str, pose: Pose, a, b, r_skin, fat: float, k: float = 1.0) -> None:
    """Record a soft-tissue compartment: axis a->b, skin radius (start, end), fat (mm)."""
    pa, pb = pose.pt(*a), pose.pt(*b)
    scene.landmarks.setdefault("limbs", []).append({
        "name": name, "a": pa, "b": pb, "r": (pose.ln(r_skin[0]), pose.ln(r_skin[1])),
        "fat": pose.ln(fat), "k": k})


def shaft_landmark(scene: Scene, name: str, pose: Pose, a, b, r: float, limb: str) -> None:
    """Record a long-bone shaft (axis a->b, outer radius r mm) lying in compartment `limb`."""
    scene.landmarks.setdefault("shafts", []).append({
        "name": name, "a": pose.pt(*a), "b": pose.pt(*b), "r": pose.ln(r), "limb": limb})


def joint_landmark(scene: Scene, name: str, pose: Pose, c, r: float, outward_deg=None) -> None:
    """Record a joint centre, its bony radius (mm) and preferred outward directions (image rad)."""
    outs = [pose.ang(d * DEG) for d in (outward_deg or [0, 90, 180, 270])]
    scene.landmarks.setdefault("joints", []).append({
        "name": name, "c": pose.pt(*c), "r": pose.ln(r), "out": outs})


def surface_landmark(scene: Scene, site: str, prim: SuperEllipsoid, pose: Pose, dir_deg: float,
                     half_deg: float) -> None:
    """Record an articular surface for chondrocalcinosis: the solid and the arc facing the joint."""
    scene.landmarks.setdefault("cc_surfaces", []).append({
        "site": site, "prim": prim, "dir": pose.ang(dir_deg * DEG), "half": half_deg * DEG})


def meniscus_landmark(scene: Scene, site: str, pose: Pose, base, apex, half_h: float) -> None:
    """Record a fibrocartilage wedge (meniscus, labrum, TFCC) as a triangle: base mid, apex, half height."""
    scene.landmarks.setdefault("cc_wedges", []).append({
        "site": site, "base": pose.pt(*base), "apex": pose.pt(*apex), "h": pose.ln(half_h),
        "perp": pose.ang(math.atan2(apex[1] - base[1], apex[0] - base[0]) + math.pi / 2)})


def envelope(pose: Pose, pts, radii, k=1.0) -> list[Capsule]:
    """Soft-tissue chain (anatomical points, skin radii in mm)."""
    return chain(pose, pts, radii, k)
