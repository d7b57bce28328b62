"""Pixel grid, pose and projected path lengths (mm) through simple 3-D solids.

Every solid is evaluated in a window of the stored image: the beam runs along z,
so a solid contributes, at each pixel, the length (mm) of the ray inside it.
Coordinates are mm, origin at the image centre, x to the right, y down.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

F32 = np.float32


class Grid:
    """The stored image's pixel grid (h rows, w columns, `s` mm per pixel)."""

    def __init__(self, h: int, w: int, s: float) -> None:
        self.h, self.w, self.s = int(h), int(w), float(s)
        self.x0 = -(self.w - 1) / 2.0 * self.s
        self.y0 = -(self.h - 1) / 2.0 * self.s

    @property
    def half(self) -> tuple[float, float]:
        """Half width and half height of the field (mm)."""
        return self.w * self.s / 2.0, self.h * self.s / 2.0

    def window(self, bbox: tuple[float, float, float, float]):
        """Pixel slices and mm coordinates (row vector X, column vector Y) covering bbox (mm).

        Returns None when the box misses the image.
        """
        xmin, ymin, xmax, ymax = bbox
        j0 = max(0, int(math.floor((xmin - self.x0) / self.s)) - 1)
        j1 = min(self.w, int(math.ceil((xmax - self.x0) / self.s)) + 2)
        i0 = max(0, int(math.floor((ymin - self.y0) / self.s)) - 1)
        i1 = min(self.h, int(math.ceil((ymax - self.y0) / self.s)) + 2)
        if j0 >= j1 or i0 >= i1:
            return None
        X = (self.x0 + np.arange(j0, j1, dtype=F32) * F32(self.s))[None, :]
        Y = (self.y0 + np.arange(i0, i1, dtype=F32) * F32(self.s))[:, None]
        return (slice(i0, i1), slice(j0, j1)), X, Y

    def to_px(self, x: float, y: float) -> tuple[float, float]:
        """mm -> (column, row) in pixels."""
        return (x - self.x0) / self.s, (y - self.y0) / self.s

    def coords(self, step: int = 1):
        """Full-image mm coordinates (X row vector, Y column vector), every `step` pixels."""
        X = (self.x0 + np.arange(0, self.w, step, dtype=F32) * F32(self.s))[None, :]
        Y = (self.y0 + np.arange(0, self.h, step, dtype=F32) * F32(self.s))[:, None]
        return X, Y


@dataclass
class Pose:
    """Similarity map from an anatomical frame (mm) to image mm: mirror, scale, rotate, shift."""

    scale: float = 1.0
    mirror: bool = False
    angle: float = 0.0  # radians, image rotation
    tx: float = 0.0
    ty: float = 0.0

    def pt(self, x: float, y: float) -> tuple[float, float]:
        """Anatomical point -> image point (mm)."""
        x = -x if self.mirror else x
        c, s = math.cos(self.angle), math.sin(self.angle)
        x, y = x * self.scale, y * self.scale
        return c * x - s * y + self.tx, s * x + c * y + self.ty

    def ang(self, phi: float) -> float:
        """Anatomical direction angle (radians) -> image direction angle."""
        phi = math.pi - phi if self.mirror else phi
        return phi + self.angle

    def ln(self, d: float) -> float:
        """Anatomical length -> image length (mm)."""
        return d * self.scale

    def sub(self, dx: float, dy: float, mirror: bool = False, dang: float = 0.0) -> "Pose":
        """Pose of a child frame placed at (dx, dy) of this frame, optionally mirrored/rotated."""
        px, py = self.pt(dx, dy)
        ang = self.angle + (-dang if self.mirror else dang)
        return Pose(self.scale, self.mirror ^ mirror, ang, px, py)


def _sqrt_pos(q: np.ndarray) -> np.ndarray:
    np.maximum(q, 0.0, out=q)
    return np.sqrt(q, out=q)


@dataclass
class Capsule:
    """Tube along a segment (image mm) whose radius goes r0 -> r1; depth semi-axis = k * radius.

    Rounded ends. `chord` gives the ray length (mm); `t` the position along the segment (0..1).
    """

    x0: float
    y0: float
    x1: float
    y1: float
    r0: float
    r1: float
    k0: float = 1.0
    k1: float = 1.0

    def bbox(self, pad: float = 0.0):
        r = max(self.r0, self.r1) + pad
        return (min(self.x0, self.x1) - r, min(self.y0, self.y1) - r,
                max(self.x0, self.x1) + r, max(self.y0, self.y1) + r)

    def shrink(self, d0: float, d1: float | None = None) -> "Capsule":
        """Inner surface `d0`..`d1` mm below this one (in plane and in depth)."""
        d1 = d0 if d1 is None else d1
        r0, r1 = max(self.r0 - d0, 0.05), max(self.r1 - d1, 0.05)
        k0 = max(self.k0 * self.r0 - d0, 0.05) / r0
        k1 = max(self.k1 * self.r1 - d1, 0.05) / r1
        return replace(self, r0=r0, r1=r1, k0=k0, k1=k1)

    def grow(self, d: float) -> "Capsule":
        return replace(self, r0=self.r0 + d, r1=self.r1 + d)

    def param(self, X: np.ndarray, Y: np.ndarray):
        dx, dy = self.x1 - self.x0, self.y1 - self.y0
        L2 = max(dx * dx + dy * dy, 1e-9)
        t = ((X - F32(self.x0)) * F32(dx / L2) + (Y - F32(self.y0)) * F32(dy / L2))
        np.clip(t, 0.0, 1.0, out=t)
        px = X - (F32(self.x0) + t * F32(dx))
        py = Y - (F32(self.y0) + t * F32(dy))
        d2 = px * px + py * py
        return t, d2

    def chord(self, X: np.ndarray, Y: np.ndarray, want_t: bool = False):
        t, d2 = self.param(X, Y)
        r = F32(self.r0) + t * F32(self.r1 - self.r0)
        k = F32(self.k0) + t * F32(self.k1 - self.k0)
        q = 1.0 - d2 / (r * r)
        c = (2.0 * k * r) * _sqrt_pos(q)
        return (c, t) if want_t else c


@dataclass
class SuperEllipsoid:
    """Solid whose outline is the superellipse |u/a|^n + |v/b|^n = 1 (rotated by `angle`),
    with depth semi-axis c and depth profile (1 - rho^q)^(1/2): q = 2 is an ellipsoid,
    larger q a flat plate with rounded rim. All lengths mm (image frame)."""

    cx: float
    cy: float
    a: float
    b: float
    c: float
    angle: float = 0.0
    n: float = 2.0
    q: float = 2.0

    def bbox(self, pad: float = 0.0):
        r = max(self.a, self.b) * (1.2 if self.n > 2 else 1.0) + pad
        return (self.cx - r, self.cy - r, self.cx + r, self.cy + r)

    def shrink(self, d: float, dz: float | None = None) -> "SuperEllipsoid":
        dz = d if dz is None else dz
        return replace(self, a=max(self.a - d, 0.05), b=max(self.b - d, 0.05), c=max(self.c - dz, 0.05))

    def grow(self, d: float) -> "SuperEllipsoid":
        return replace(self, a=self.a + d, b=self.b + d, c=self.c + d)

    def local(self, X: np.ndarray, Y: np.ndarray):
        ca, sa = math.cos(self.angle), math.sin(self.angle)
        dx, dy = X - F32(self.cx), Y - F32(self.cy)
        return dx * F32(ca) + dy * F32(sa), -dx * F32(sa) + dy * F32(ca)

    def rho(self, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
        u, v = self.local(X, Y)
        n = self.n
        if n == 2.0:
            return np.sqrt((u / F32(self.a)) ** 2 + (v / F32(self.b)) ** 2)
        return (np.abs(u / F32(self.a)) ** F32(n) + np.abs(v / F32(self.b)) ** F32(n)) ** F32(1.0 / n)

    def chord(self, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
        r = self.rho(X, Y)
        q = 1.0 - (r * r if self.q == 2.0 else r ** F32(self.q))
        return F32(2.0 * self.c) * _sqrt_pos(q)


@dataclass
class Ellipsoid3D:
    """Arbitrarily oriented ellipsoid (image mm; z along the beam).

    `rot` columns are the directions of the semi-axes (a, b, c). `gamma` shapes the
    projected profile: 0.5 is the exact ellipsoid chord, larger values taper it (fusiform).
    """

    cx: float
    cy: float
    a: float
    b: float
    c: float
    rot: np.ndarray
    gamma: float = 0.5

    def _inv(self) -> np.ndarray:
        R = np.asarray(self.rot, dtype=float)
        return R @ np.diag([1 / self.a ** 2, 1 / self.b ** 2, 1 / self.c ** 2]) @ R.T

    def bbox(self, pad: float = 0.0):
        R = np.asarray(self.rot, dtype=float)
        s2 = np.array([self.a, self.b, self.c]) ** 2
        ex = math.sqrt(float((R[0] ** 2 * s2).sum())) + pad
        ey = math.sqrt(float((R[1] ** 2 * s2).sum())) + pad
        return (self.cx - ex, self.cy - ey, self.cx + ex, self.cy + ey)

    def scaled(self, f: float) -> "Ellipsoid3D":
        return replace(self, a=self.a * f, b=self.b * f, c=self.c * f)

    def chord(self, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
        A = self._inv()
        dx, dy = X - F32(self.cx), Y - F32(self.cy)
        azz = A[2, 2]
        B = dx * F32(A[0, 2]) + dy * F32(A[1, 2])
        C = dx * dx * F32(A[0, 0]) + 2 * dx * dy * F32(A[0, 1]) + dy * dy * F32(A[1, 1]) - 1.0
        disc = B * B - F32(azz) * C
        if self.gamma == 0.5:
            return F32(2.0 / azz) * _sqrt_pos(disc)
        # normalised profile f = disc / disc_max in [0, 1]; chord_max * f**gamma
        # disc_max = azz (at the projected centre, B = 0, C = -1 ... scaled by the Schur complement)
        schur = 1.0 / azz  # chord(centre) = 2 sqrt(azz)/azz
        f = np.clip(disc / F32(azz), 0.0, None)
        return F32(2.0 * math.sqrt(schur)) * f ** F32(self.gamma)


def rot3(yaw: float, pitch: float = 0.0, roll: float = 0.0) -> np.ndarray:
    """3-D rotation: yaw turns in the image plane, pitch tilts toward the beam (z), roll about the axis."""
    cy, sy = math.cos(yaw), math.sin(yaw)
    cp, sp = math.cos(pitch), math.sin(pitch)
    cr, sr = math.cos(roll), math.sin(roll)
    Rz = np.array([[cy, -sy, 0], [sy, cy, 0], [0, 0, 1.0]])
    Ry = np.array([[cp, 0, -sp], [0, 1, 0], [sp, 0, cp]])
    Rx = np.array([[1, 0, 0], [0, cr, -sr], [0, sr, cr]])
    return Rz @ Ry @ Rx


def union_bbox(boxes) -> tuple[float, float, float, float]:
    boxes = list(boxes)
    return (min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes))


def chain(pose: Pose, pts, radii, k=1.0) -> list[Capsule]:
    """Capsules joining consecutive anatomical points with the given radii (mm), posed to the image."""
    ks = [k] * len(pts) if np.isscalar(k) else list(k)
    out = []
    for i in range(len(pts) - 1):
        (xa, ya), (xb, yb) = pose.pt(*pts[i]), pose.pt(*pts[i + 1])
        out.append(Capsule(xa, ya, xb, yb, pose.ln(radii[i]), pose.ln(radii[i + 1]), ks[i], ks[i + 1]))
    return out


def slab(pose: Pose, pts, t0: float, t1: float, g, rim: float = 3.0) -> "Slab":
    """Slab from anatomical outline points, thickness t0 -> t1 toward anatomical point g."""
    poly = np.array([pose.pt(x, y) for x, y in pts], dtype=float)
    gx, gy = pose.pt(*g)
    return Slab(poly, pose.ln(t0), pose.ln(t1), gx, gy, pose.ln(rim))


def sell(pose: Pose, x: float, y: float, a: float, b: float, c: float, angle_deg: float = 0.0,
         n: float = 2.0, q: float = 2.0) -> SuperEllipsoid:
    """SuperEllipsoid from anatomical parameters (angle of its a-axis in degrees)."""
    cx, cy = pose.pt(x, y)
    return SuperEllipsoid(cx, cy, pose.ln(a), pose.ln(b), pose.ln(c),
                          pose.ang(math.radians(angle_deg)), n, q)


@dataclass
class Slab:
    """Flat bone as a height map: polygon outline (image mm) with a thickness (mm) that grows
    linearly from `t0` at the polygon's centroid toward `t1` at point (gx, gy); rounded rim of
    width `rim` mm. `inset` shrinks it (for the cancellous core)."""

    poly: np.ndarray  # (n, 2) image mm
    t0: float
    t1: float
    gx: float
    gy: float
    rim: float = 3.0
    inset: float = 0.0

    def bbox(self, pad: float = 0.0):
        return (float(self.poly[:, 0].min()) - pad, float(self.poly[:, 1].min()) - pad,
                float(self.poly[:, 0].max()) + pad, float(self.poly[:, 1].max()) + pad)

    def shrink(self, d: float) -> "Slab":
        return replace(self, t0=max(self.t0 - 2 * d, 0.1), t1=max(self.t1 - 2 * d, 0.1), inset=self.inset + d)

    def _din(self, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """Distance (mm) inside the outline, computed on a 2x coarser grid and interpolated."""
        from scipy import ndimage
        from skimage.draw import polygon as draw_polygon
        h, w = Y.shape[0], X.shape[1]
        s = float(X[0, 1] - X[0, 0]) if w > 1 else 1.0
        x0, y0 = float(X[0, 0]), float(Y[0, 0])
        f = 2
        hs, ws = -(-h // f), -(-w // f)
        rr, cc = draw_polygon((self.poly[:, 1] - y0) / (s * f), (self.poly[:, 0] - x0) / (s * f), (hs, ws))
        mask = np.zeros((hs, ws), bool)
        mask[rr, cc] = True
        d = ndimage.distance_transform_edt(mask).astype(F32) * F32(s * f)
        d = ndimage.zoom(d, f, order=1, grid_mode=True, mode="nearest")[:h, :w]
        return d

    def _profile(self, X: np.ndarray, Y: np.ndarray, din: np.ndarray, t0: float, t1: float,
                 inset: float) -> np.ndarray:
        cx, cy = float(self.poly[:, 0].mean()), float(self.poly[:, 1].mean())
        gdx, gdy = self.gx - cx, self.gy - cy
        g2 = max(gdx * gdx + gdy * gdy, 1e-6)
        f = np.clip(((X - F32(cx)) * F32(gdx) + (Y - F32(cy)) * F32(gdy)) / F32(g2), 0, 1)
        T = F32(t0) + f * F32(t1 - t0)
        q = np.clip((din - F32(inset)) / F32(self.rim), 0, 1)
        return T * np.sqrt(q * (2 - q))

    def chord(self, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
        return self._profile(X, Y, self._din(X, Y), self.t0, self.t1, self.inset)

    def chords(self, X: np.ndarray, Y: np.ndarray, cortex: float) -> tuple[np.ndarray, np.ndarray]:
        """Outer and inner (cortex mm below the surface) chords with one distance transform."""
        din = self._din(X, Y)
        outer = self._profile(X, Y, din, self.t0, self.t1, self.inset)
        inner = self._profile(X, Y, din, max(self.t0 - 2 * cortex, 0.1), max(self.t1 - 2 * cortex, 0.1),
                              self.inset + cortex)
        return outer, inner
