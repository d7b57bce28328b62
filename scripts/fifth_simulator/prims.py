"""Projected line integrals of solid primitives on a pixel canvas (geometry in mm).

Every primitive returns ``(iy0, iy1, ix0, ix1, arr)``: a patch of projected mass (g/cm^2) = path
length (mm) x density (g/cm^3) / 10. Bones are unions of primitives (max within a bone, sum between)."""
from __future__ import annotations

import numpy as np

Patch = tuple[int, int, int, int, np.ndarray]


class Canvas:
    """A pixel grid of ``shape`` (rows, cols) at ``sp`` mm/pixel holding named float32 layers."""

    def __init__(self, shape: tuple[int, int], sp: float, tex: np.ndarray | None = None):
        self.shape, self.sp, self.tex = shape, sp, tex
        self.layers: dict[str, np.ndarray] = {}

    def layer(self, name: str) -> np.ndarray:
        if name not in self.layers:
            self.layers[name] = np.zeros(self.shape, np.float32)
        return self.layers[name]

    def add(self, name: str, patch: Patch | None, scale: float = 1.0) -> None:
        if patch is None:
            return
        y0, y1, x0, x1, a = patch
        self.layer(name)[y0:y1, x0:x1] += a * scale

    def add_max(self, name: str, patch: Patch | None) -> None:
        """Pixelwise max of the layer and a patch (union of overlapping soft-tissue solids)."""
        if patch is None:
            return
        y0, y1, x0, x1, a = patch
        sub = self.layer(name)[y0:y1, x0:x1]
        np.maximum(sub, a, out=sub)

    def add_solid_union(self, name: str, patches: list[Patch | None], rho_c: float, rho_t: float) -> None:
        """Union of solids given as stacked (outer, inner, fill) chords: max per channel, then
        cortex = outer - inner and cancellous = fill; no internal edges where solids overlap."""
        ps = [p for p in patches if p is not None]
        if not ps:
            return
        y0, y1 = min(p[0] for p in ps), max(p[1] for p in ps)
        x0, x1 = min(p[2] for p in ps), max(p[3] for p in ps)
        acc = np.zeros((3, y1 - y0, x1 - x0), np.float32)
        for py0, py1, px0, px1, a in ps:
            sub = acc[:, py0 - y0:py1 - y0, px0 - x0:px1 - x0]
            np.maximum(sub, a, out=sub)
        arr = (rho_c * (acc[0] - acc[1]) + rho_t * acc[2]) * 0.1
        self.add(name, (y0, y1, x0, x1, arr))

    def add_union(self, name: str, patches: list[Patch | None], scale: float = 1.0) -> Patch | None:
        """Add the pixelwise max of ``patches`` (one bone made of several solids); returns it."""
        ps = [p for p in patches if p is not None]
        if not ps:
            return None
        y0, y1 = min(p[0] for p in ps), max(p[1] for p in ps)
        x0, x1 = min(p[2] for p in ps), max(p[3] for p in ps)
        acc = np.zeros((y1 - y0, x1 - x0), np.float32)
        for py0, py1, px0, px1, a in ps:
            sub = acc[py0 - y0:py1 - y0, px0 - x0:px1 - x0]
            np.maximum(sub, a, out=sub)
        out = (y0, y1, x0, x1, acc)
        self.add(name, out, scale)
        return out


def grid(cv: Canvas, xmin: float, xmax: float, ymin: float, ymax: float):
    """Pixel window covering an mm box, clipped to the canvas; returns (y0,y1,x0,x1,X,Y) or None."""
    sp = cv.sp
    x0, x1 = max(0, int(xmin / sp)), min(cv.shape[1], int(np.ceil(xmax / sp)) + 1)
    y0, y1 = max(0, int(ymin / sp)), min(cv.shape[0], int(np.ceil(ymax / sp)) + 1)
    if x1 <= x0 or y1 <= y0:
        return None
    X = ((np.arange(x0, x1, dtype=np.float32) + 0.5) * sp)[None, :]
    Y = ((np.arange(y0, y1, dtype=np.float32) + 0.5) * sp)[:, None]
    return y0, y1, x0, x1, X, Y


def local(X, Y, x: float, y: float, ang: float):
    """Coordinates along (u) and across (v) an axis through (x, y) at angle ``ang`` (rad), mm."""
    c, s = np.float32(np.cos(ang)), np.float32(np.sin(ang))
    dx, dy = X - np.float32(x), Y - np.float32(y)
    return dx * c + dy * s, dy * c - dx * s


def chord(r2: np.ndarray, v2: np.ndarray) -> np.ndarray:
    """Chord length 2*sqrt(r^2 - v^2) through a circle (0 outside), mm."""
    return 2.0 * np.sqrt(np.maximum(r2 - v2, 0.0))


def texture(cv: Canvas, u: np.ndarray, v: np.ndarray, off: tuple[int, int]) -> np.ndarray | float:
    """Trabecular texture sampled in the bone's own frame (tile axis 0 along the bone)."""
    if cv.tex is None:
        return 1.0
    n = cv.tex.shape[0]
    iu = (u * (1.0 / cv.sp)).astype(np.int32) + off[0]
    iv = (v * (1.0 / cv.sp)).astype(np.int32) + off[1]
    return cv.tex[iu % n, iv % n]


def tube(cv: Canvas, x: float, y: float, ang: float, length: float, s_ctrl, r_ctrl, t_ctrl, tr_ctrl,
         rho_c: float, rho_t: float, cap0: float = 1.0, cap1: float = 1.0, bow: float = 0.0,
         depth: float = 1.0, off=(0, 0), parts: bool = False) -> Patch | None:
    """Long bone from (x, y) along ``ang``: radius, cortex and cancellous fill profiles at fractions
    ``s_ctrl`` of ``length``; ellipsoidal end caps ``cap*R`` long; parabolic bow (mm).
    ``parts``: return stacked (outer chord, inner chord, textured fill x inner) for solid unions."""
    rmax = float(np.max(r_ctrl)) + abs(bow) + 1.0
    ex, ey = x + length * np.cos(ang), y + length * np.sin(ang)
    g = grid(cv, min(x, ex) - rmax, max(x, ex) + rmax, min(y, ey) - rmax, max(y, ey) + rmax)
    if g is None:
        return None
    y0, y1, x0, x1, X, Y = g
    u, v = local(X, Y, x, y, ang)
    s = np.clip(u / length, 0.0, 1.0)
    if bow:
        v = v - np.float32(4 * bow) * s * (1 - s)
    sf = s.ravel()
    R = np.interp(sf, s_ctrl, r_ctrl).astype(np.float32).reshape(u.shape)
    t = np.interp(sf, s_ctrl, t_ctrl).astype(np.float32).reshape(u.shape)
    tr = np.interp(sf, s_ctrl, tr_ctrl).astype(np.float32).reshape(u.shape)
    ext = np.where(u < 0, -u, np.maximum(u - length, 0))
    cap = np.where(u < 0, cap0, cap1) * R + 1e-3
    q = np.maximum(1.0 - (ext / cap) ** 2, 0.0)
    r_out2 = R * R * q
    r_in = np.maximum(R - t, 0.0)
    r_in2 = r_in * r_in * q
    v2 = v * v
    outer, inner = chord(r_out2, v2), chord(r_in2, v2)
    tex = texture(cv, u, v, off)
    if parts:
        return y0, y1, x0, x1, np.stack([outer, inner, tr * tex * inner]).astype(np.float32) * depth
    arr = (rho_c * (outer - inner) + rho_t * tr * tex * inner) * (0.1 * depth)
    return y0, y1, x0, x1, arr.astype(np.float32)


def ellipsoid(cv: Canvas, x: float, y: float, a: float, b: float, c: float, ang: float, shell: float,
              rho_c: float, rho_t: float, off=(0, 0), tex_on: bool = True, harm=(), parts: bool = False,
              fill: float = 1.0) -> Patch | None:
    """Ellipsoid (semi-axes a along ``ang``, b across, c in depth, mm) with a cortical shell;
    ``harm`` = [(amp, phase)] radial harmonics k=2.. make irregular (carpal-like) outlines."""
    r = max(a, b) * (1 + sum(abs(h[0]) for h in harm)) + 1.0
    g = grid(cv, x - r, x + r, y - r, y + r)
    if g is None:
        return None
    y0, y1, x0, x1, X, Y = g
    u, v = local(X, Y, x, y, ang)
    if harm:
        th = np.arctan2(v / b, u / a)
        k = np.ones_like(u)
        for n, (amp, ph) in enumerate(harm, start=2):
            k += amp * np.cos(n * th + ph)
        u, v = u / k, v / k
    q = (u / a) ** 2 + (v / b) ** 2
    outer = 2 * c * np.sqrt(np.maximum(1 - q, 0))
    ai, bi, ci = max(a - shell, 0.1), max(b - shell, 0.1), max(c - shell, 0.1)
    inner = 2 * ci * np.sqrt(np.maximum(1 - (u / ai) ** 2 - (v / bi) ** 2, 0))
    tex = texture(cv, u, v, off) if tex_on else 1.0
    if parts:
        return y0, y1, x0, x1, np.stack(np.broadcast_arrays(outer, inner, fill * tex * inner)).astype(np.float32)
    arr = (rho_c * (outer - inner) + rho_t * tex * inner) * 0.1
    return y0, y1, x0, x1, arr.astype(np.float32)


def plate(cv: Canvas, x: float, y: float, r0: float, aspect: float, ang: float, harm, thick: float,
          rim_mm: float, rim_w: float, rho_c: float, rho_t: float, holes=(), off=(0, 0)) -> Patch | None:
    """Flat bone seen en face: radial-harmonic outline r(theta) = r0 (1 + sum a_k cos(k theta + p_k)),
    plate ``thick`` mm of cancellous bone between cortices, a rim brightened where the plate edge
    is seen tangentially; ``holes`` = (du, dv, ru, rv) ellipses in the local frame (mm)."""
    rmax = r0 * (1 + sum(abs(a) for a, _ in harm)) * max(aspect, 1) + 1
    g = grid(cv, x - rmax, x + rmax, y - rmax, y + rmax)
    if g is None:
        return None
    y0, y1, x0, x1, X, Y = g
    u, v = local(X, Y, x, y, ang)
    un = u / aspect
    rho = np.sqrt(un * un + v * v)
    th = np.arctan2(v, un)
    rr = np.full_like(rho, r0)
    for k, (a, p) in enumerate(harm, start=2):
        rr += r0 * a * np.cos(k * th + p)
    d = rr - rho                                   # mm inside the edge (approx.)
    inside = np.clip(d / 0.6, 0, 1)
    for du, dv, ru, rv in holes:
        qh = ((u - du) / ru) ** 2 + ((v - dv) / rv) ** 2
        inside = inside * np.clip((np.sqrt(qh) - 1) * 8, 0, 1)
    tex = texture(cv, u, v, off)
    body = rho_t * tex * thick + rho_c * 1.2
    arr = inside * (body + rho_c * rim_mm * np.exp(-np.maximum(d, 0) / rim_w)) * 0.1
    return y0, y1, x0, x1, arr.astype(np.float32)


def chain(cv: Canvas, pts, radii, cortex: float, rho_c: float, rho_t: float, depth: float = 1.0,
          off=(0, 0)) -> list[Patch | None]:
    """Curved tubular bone (rib, clavicle) as round-capped straight segments between ``pts`` (mm)."""
    out = []
    for (xa, ya), (xb, yb), ra, rb in zip(pts[:-1], pts[1:], radii[:-1], radii[1:]):
        L = float(np.hypot(xb - xa, yb - ya)) + 1e-3
        ang = float(np.arctan2(yb - ya, xb - xa))
        out.append(tube(cv, xa, ya, ang, L, [0, 1], [ra, rb], [cortex, cortex], [1, 1], rho_c, rho_t,
                        cap0=1.0, cap1=1.0, depth=depth, off=off))
    return out


def shape_patch(cv: Canvas, x: float, y: float, ang: float, r: float, fn) -> Patch | None:
    """Generic patch: ``fn(u, v)`` -> projected mass (g/cm^2) over a square of half-side r (mm)."""
    g = grid(cv, x - r, x + r, y - r, y + r)
    if g is None:
        return None
    y0, y1, x0, x1, X, Y = g
    u, v = local(X, Y, x, y, ang)
    return y0, y1, x0, x1, np.asarray(fn(u, v), np.float32)


def rod(cv: Canvas, x: float, y: float, ang: float, length: float, r: float, rho: float) -> Patch | None:
    """Solid cylinder (wire, rod) from (x, y) along ``ang``, radius r mm, density rho g/cm^3."""
    return tube(cv, x, y, ang, length, [0, 1], [r, r], [r, r], [0, 0], rho, 0.0, 1.0, 1.0)
