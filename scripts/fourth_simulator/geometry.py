"""Cone-beam geometry and exact ray chords through implicit quadric surfaces.

World frame (mm): detector in the plane z = 0, x to image right, y to image bottom,
point source at (sx, sy, sid). A ray hits detector point (u, v, 0); points on it are
X(t) = S + t D with D = (u - sx, v - sy, -sid), t in [0, 1]. Every primitive is an implicit
quadric surface f(X) = 0, so its chord along a divergent ray is the root gap of a quadratic.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Beam:
    """Point source at (sx, sy, sid) above the detector plane (mm)."""
    sid: float
    sx: float
    sy: float

    def project(self, p: np.ndarray) -> tuple[float, float, float]:
        """Detector (u, v) of world point p and its magnification."""
        m = self.sid / (self.sid - p[2])
        return self.sx + (p[0] - self.sx) * m, self.sy + (p[1] - self.sy) * m, m


def rotation(yaw: float, tilt: float, roll: float) -> np.ndarray:
    """Rotation: `roll` about y (limb axis, oblique view), then `tilt` about x, `yaw` about z (rad)."""
    cy, sy_ = np.cos(roll), np.sin(roll)
    ry = np.array([[cy, 0, sy_], [0, 1, 0], [-sy_, 0, cy]])
    ct, st = np.cos(tilt), np.sin(tilt)
    rx = np.array([[1, 0, 0], [0, ct, -st], [0, st, ct]])
    cz, sz = np.cos(yaw), np.sin(yaw)
    rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return rz @ rx @ ry


def _quad(beam: Beam, uu: np.ndarray, vv: np.ndarray, A: np.ndarray, w: np.ndarray):
    """Coefficients a, b (arrays) and c (scalar) of (w + tD)^T A (w + tD) with w = S - centre."""
    du, dv, dz = uu - np.float32(beam.sx), vv - np.float32(beam.sy), -float(beam.sid)
    g = (A @ w).tolist()
    c = float(w @ A @ w)
    A = A.tolist()
    a = (A[0][0] * du * du + A[1][1] * dv * dv + A[2][2] * dz * dz
         + (2 * A[0][1]) * du * dv + (2 * A[0][2] * dz) * du + (2 * A[1][2] * dz) * dv)
    b = (2 * g[0]) * du + (2 * g[1]) * dv + 2 * g[2] * dz
    return a, b, c, du, dv


@dataclass
class Ell:
    """Ellipsoid: centre c, axes columns R (unit), semi-axes r (mm)."""
    c: np.ndarray
    r: np.ndarray
    R: np.ndarray = field(default_factory=lambda: np.eye(3))

    def moved(self, Rg: np.ndarray, t: np.ndarray, k: float = 1.0) -> "Ell":
        """Rotate by Rg, scale by k about the origin, then translate by t."""
        return Ell(k * (Rg @ self.c) + t, self.r * k, Rg @ self.R)

    def shrunk(self, d: float) -> "Ell":
        return Ell(self.c, np.maximum(self.r - d, 0.25), self.R)

    def scaled(self, s: float) -> "Ell":
        return Ell(self.c, self.r * s, self.R)

    def bound(self) -> tuple[np.ndarray, np.ndarray]:
        return self.c - self.r.max(), self.c + self.r.max()

    def chord(self, beam: Beam, uu: np.ndarray, vv: np.ndarray, plane=None) -> np.ndarray:
        """Path length (mm) along each ray; `plane` (n, d) keeps only the part with n.X > d."""
        A = (self.R / self.r ** 2) @ self.R.T
        S = np.array([beam.sx, beam.sy, beam.sid])
        a, b, c, du, dv = _quad(beam, uu, vv, A, S - self.c)
        disc = b * b - 4 * a * (c - 1.0)
        np.maximum(disc, 0, out=disc)
        ln = np.sqrt(du * du + dv * dv + float(beam.sid) ** 2)
        if plane is None:
            return np.sqrt(disc) / a * ln
        sq = np.sqrt(disc)
        t0, t1 = (-b - sq) / (2 * a), (-b + sq) / (2 * a)
        n, d = plane
        nd = float(n[0]) * du + float(n[1]) * dv - float(n[2] * beam.sid)
        tp = float(d - n @ S) / np.where(np.abs(nd) < 1e-9, 1e-9, nd)
        lo = np.where(nd > 0, np.maximum(t0, tp), t0)
        hi = np.where(nd > 0, t1, np.minimum(t1, tp))
        return np.maximum(hi - lo, 0) * ln


@dataclass
class Tube:
    """Swept tube p0->p1 with elliptic section (r1 along n1, r2 along n2) varying along s in [0,1]."""
    p0: np.ndarray
    p1: np.ndarray
    s: np.ndarray
    r1: np.ndarray
    r2: np.ndarray
    n2: np.ndarray = field(default_factory=lambda: np.array([0.0, 0.0, 1.0]))

    def _frame(self):
        e = self.p1 - self.p0
        ln = float(np.linalg.norm(e))
        e = e / ln
        n2 = self.n2 - (self.n2 @ e) * e
        n2 = n2 / max(np.linalg.norm(n2), 1e-9)
        return e, ln, np.cross(n2, e), n2

    def moved(self, Rg: np.ndarray, t: np.ndarray, k: float = 1.0) -> "Tube":
        """Rotate by Rg, scale by k about the origin, then translate by t."""
        return Tube(k * (Rg @ self.p0) + t, k * (Rg @ self.p1) + t, self.s, self.r1 * k, self.r2 * k,
                    Rg @ self.n2)

    def shrunk(self, d: float) -> "Tube":
        return Tube(self.p0, self.p1, self.s, np.maximum(self.r1 - d, 0.25),
                    np.maximum(self.r2 - d, 0.25), self.n2)

    def bound(self) -> tuple[np.ndarray, np.ndarray]:
        rm = max(self.r1.max(), self.r2.max())
        return np.minimum(self.p0, self.p1) - rm, np.maximum(self.p0, self.p1) + rm

    def chord(self, beam: Beam, uu: np.ndarray, vv: np.ndarray, plane=None) -> np.ndarray:
        """Path length (mm) through the tube; ends are rounded (ellipsoidal) caps."""
        e, ln, n1, n2 = self._frame()
        ratio = float(self.r2[0] / self.r1[0])
        A = np.outer(n1, n1) + np.outer(n2, n2) / ratio ** 2
        S = np.array([beam.sx, beam.sy, beam.sid])
        w = S - self.p0
        a, b, c, du, dv = _quad(beam, uu, vv, A, w)
        tm = -b / (2 * a)
        ed = float(e[2] * beam.sid)
        sa = (float(w @ e) + tm * (float(e[0]) * du + float(e[1]) * dv - ed)) * (1.0 / ln)
        k = np.interp(sa, self.s, self.r1).astype(np.float32)
        over = np.maximum(np.maximum(-sa, sa - 1.0), 0.0) * ln      # mm beyond an end: rounded cap
        k2 = np.maximum(k * k - over * over, 0.0)
        disc = b * b - 4 * a * (c - k2)
        np.maximum(disc, 0, out=disc)
        end = k2 > 0
        return np.sqrt(disc) / a * np.sqrt(du * du + dv * dv + float(beam.sid) ** 2) * end


def tube(p0, p1, radii, ratio: float = 1.0, n2=(0.0, 0.0, 1.0)) -> Tube:
    """Tube helper: `radii` sampled evenly along p0->p1 (mm); depth radius = ratio x in-plane."""
    r = np.asarray(radii, float)
    return Tube(np.asarray(p0, float), np.asarray(p1, float), np.linspace(0, 1, len(r)), r, r * ratio,
                np.asarray(n2, float))


def ell(c, r, yaw: float = 0.0, tilt: float = 0.0, roll: float = 0.0) -> Ell:
    """Ellipsoid helper: centre c, semi-axes r (mm), orientation angles (deg)."""
    return Ell(np.asarray(c, float), np.asarray(r, float),
               rotation(np.radians(yaw), np.radians(tilt), np.radians(roll)))
