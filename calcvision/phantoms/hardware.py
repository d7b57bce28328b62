"""Metal in the field, independent of the class: a bone plate with screw holes, screws, ECG
electrodes with their leads, surgical clips, skin staples and wires. Plates with empty screw
holes and the snap stud of an electrode are rings; clips and staples are small dense bars: the
mimics the fifth simulator's clutter showed the model calls a lesion (docs/model.md).

Everything is a line integral (mu x path length through the metal, dimensionless) added to the
lead marker's, so the exposure control and the display range ignore it as they ignore the
marker. Lengths in mm, from ``ranges.yaml`` (``confusers.hardware*``)."""

from __future__ import annotations

import numpy as np

from calcvision.phantoms.anatomy import Anatomy
from calcvision.phantoms.geometry import Grid, chord
from calcvision.phantoms.params import Section


class _Sketch:
    """Accumulates metal path length (mm) on the grid, one solid at a time, over the pixel
    patch the solid covers."""

    def __init__(self, grid: Grid):
        self.grid = grid
        self.path_mm = np.zeros(grid.shape, np.float32)

    def _patch(self, x0: float, y0: float, x1: float, y1: float, r: float):
        sl = self.grid.patch((x0 + x1) / 2, (y0 + y1) / 2, float(np.hypot(x1 - x0, y1 - y0)) / 2 + r)
        if sl is None:
            return None, None, None
        return sl, self.grid.xs[sl[1]][None, :], self.grid.ys[sl[0]][:, None]

    def rod(self, x0: float, y0: float, x1: float, y1: float, r: float, thread_pitch: float = 0.0) -> None:
        """A cylinder of radius ``r`` lying in the image plane from (x0, y0) to (x1, y1);
        with ``thread_pitch`` mm its radius ripples like a screw thread."""
        sl, x, y = self._patch(x0, y0, x1, y1, r * 1.2)
        if sl is None:
            return
        dx, dy = x1 - x0, y1 - y0
        ln2 = max(dx * dx + dy * dy, 1e-6)
        s = np.clip(((x - np.float32(x0)) * np.float32(dx) + (y - np.float32(y0)) * np.float32(dy)) / np.float32(ln2), 0, 1)
        d = np.hypot(x - np.float32(x0) - s * np.float32(dx), y - np.float32(y0) - s * np.float32(dy))
        rr = np.float32(r)
        if thread_pitch > 0:
            rr = rr * (1 + np.float32(0.15) * np.sin(s * np.float32(np.sqrt(ln2) * 2 * np.pi / thread_pitch)))
        self.path_mm[sl] += chord(rr * rr, d)

    def disc(self, x: float, y: float, r: float, depth: float, r_in: float = 0.0) -> None:
        """A flat disc (or annulus from ``r_in``) facing the beam, ``depth`` mm thick."""
        sl = self.grid.patch(x, y, r)
        if sl is None:
            return
        d = np.hypot(self.grid.xs[sl[1]][None, :] - np.float32(x), self.grid.ys[sl[0]][:, None] - np.float32(y))
        edge = np.clip((r - d) / self.grid.spacing + 0.5, 0, 1)  # one-pixel anti-aliased rim
        if r_in > 0:
            edge = edge * np.clip((d - r_in) / self.grid.spacing + 0.5, 0, 1)
        self.path_mm[sl] += np.float32(depth) * edge

    def slab(self, cx: float, cy: float, theta: float, length: float, width: float, depth: float,
             holes: list[float], hole_r: float) -> None:
        """A plate facing the beam, centred on (cx, cy) along angle ``theta``, with round
        holes at the given offsets (mm) along its axis."""
        half = np.hypot(length, width) / 2
        sl = self.grid.patch(cx, cy, half)
        if sl is None:
            return
        c, s = np.float32(np.cos(theta)), np.float32(np.sin(theta))
        x, y = self.grid.xs[sl[1]][None, :] - np.float32(cx), self.grid.ys[sl[0]][:, None] - np.float32(cy)
        u, v = x * c + y * s, y * c - x * s
        px = np.float32(self.grid.spacing)
        inside = np.clip((length / 2 - np.abs(u)) / px + 0.5, 0, 1) * np.clip((width / 2 - np.abs(v)) / px + 0.5, 0, 1)
        for h in holes:
            inside *= np.clip((np.hypot(u - np.float32(h), v) - hole_r) / px + 0.5, 0, 1)
        self.path_mm[sl] += np.float32(depth) * inside


def _curve(rng: np.random.Generator, x: float, y: float, length: float, n: int) -> np.ndarray:
    """``n + 1`` points of a gently bending path of ``length`` mm starting at (x, y)."""
    ang = rng.uniform(0, 2 * np.pi) + np.cumsum(rng.normal(0, 0.25, n))
    steps = np.stack([np.cos(ang), np.sin(ang)], 1) * (length / n)
    return np.vstack([[x, y], np.array([x, y]) + np.cumsum(steps, 0)])


def _plate(C: Section, sk: _Sketch, anat: Anatomy, x: float, y: float) -> None:
    rng = C.rng
    theta = anat.frame.theta + rng.normal(0, 0.1)  # along the bone it fixes
    length, width, depth = C("plate_length_mm"), C("plate_width_mm"), C("plate_depth_mm")
    pitch = C("plate_hole_pitch_mm")
    n = max(2, int(length // pitch))
    holes = [(i - (n - 1) / 2) * pitch for i in range(n)]
    hole_r = C("plate_hole_radius_mm")
    sk.slab(x, y, theta, length, width, depth, holes, hole_r)
    c, s = np.cos(theta), np.sin(theta)
    side_on = rng.random() < 0.5  # screws seen along their length (lateral view) or end-on (AP)
    for h in holes:
        if rng.random() < C("plate_hole_filled"):
            hx, hy = x + h * c, y + h * s
            r = hole_r * rng.uniform(0.7, 0.95)
            if side_on:
                ln = C("screw_length_mm")
                sk.rod(hx, hy, hx - s * ln, hy + c * ln, r, C("screw_pitch_mm"))
            else:
                sk.disc(hx, hy, r, C("screw_length_mm"))


def _screw(C: Section, sk: _Sketch, anat: Anatomy, x: float, y: float) -> None:
    ang = C.rng.uniform(0, 2 * np.pi)
    ln, r = C("screw_length_mm"), C("screw_radius_mm")
    x1, y1 = x + ln * np.cos(ang), y + ln * np.sin(ang)
    sk.rod(x, y, x1, y1, r, C("screw_pitch_mm"))
    sk.disc(x, y, r * 1.7, r * 1.5)  # the head


def _electrode(C: Section, sk: _Sketch, anat: Anatomy, x: float, y: float) -> None:
    rng = C.rng
    r = C("electrode_stud_radius_mm")
    sk.disc(x, y, r, C("electrode_stud_depth_mm"), r_in=r * rng.uniform(0.45, 0.75))  # snap stud, hollow
    sk.disc(x, y, C("electrode_sensor_radius_mm"), rng.uniform(0.05, 0.2))  # Ag/AgCl sensor film
    if rng.random() < 0.7:  # lead wire leaving the snap
        pts = _curve(rng, x, y, rng.uniform(30, 120), 12)
        rw = rng.uniform(0.15, 0.4)
        for p, q in zip(pts[:-1], pts[1:]):
            sk.rod(p[0], p[1], q[0], q[1], rw)


def _clips(C: Section, sk: _Sketch, anat: Anatomy, x: float, y: float) -> None:
    rng = C.rng
    for _ in range(int(rng.integers(1, 6))):
        cx, cy = x + rng.normal(0, 10), y + rng.normal(0, 10)
        leg, ang, spread = C("clip_leg_mm"), rng.uniform(0, 2 * np.pi), rng.uniform(0.0, 0.6)
        r = rng.uniform(0.3, 0.5)
        for a in (ang - spread / 2, ang + spread / 2):
            sk.rod(cx, cy, cx + leg * np.cos(a), cy + leg * np.sin(a), r)


def _staples(C: Section, sk: _Sketch, anat: Anatomy, x: float, y: float) -> None:
    rng = C.rng
    n = int(rng.integers(3, 13))
    gap = rng.uniform(7, 12)
    pts = _curve(rng, x, y, gap * (n - 1), max(n - 1, 1))
    w, leg, r = rng.uniform(5, 7), rng.uniform(2, 3.5), rng.uniform(0.3, 0.4)
    for i in range(n):
        p, q = pts[min(i, len(pts) - 2)], pts[min(i + 1, len(pts) - 1)]
        t = (q - p) / max(np.hypot(*(q - p)), 1e-6)  # along the wound; the crossbar lies across it
        nx, ny = -t[1], t[0]
        a = pts[i] - np.array([nx, ny]) * w / 2
        b = pts[i] + np.array([nx, ny]) * w / 2
        sk.rod(a[0], a[1], b[0], b[1], r)
        for e in (a, b):
            sk.rod(e[0], e[1], e[0] + t[0] * leg, e[1] + t[1] * leg, r)


def _wire(C: Section, sk: _Sketch, anat: Anatomy, x: float, y: float) -> None:
    rng = C.rng
    r = C("wire_radius_mm")
    if rng.random() < 0.5:  # a cerclage loop around the bone, seen as a flat ellipse
        a, b = rng.uniform(8, 20), rng.uniform(1, 4)
        th = anat.frame.theta + np.pi / 2
        t = np.linspace(0, 2 * np.pi, 25)
        px = x + a * np.cos(t) * np.cos(th) - b * np.sin(t) * np.sin(th)
        py = y + a * np.cos(t) * np.sin(th) + b * np.sin(t) * np.cos(th)
        pts = np.stack([px, py], 1)
    else:  # a Kirschner wire: nearly straight
        pts = _curve(rng, x, y, rng.uniform(40, 150), 4)
    for p, q in zip(pts[:-1], pts[1:]):
        sk.rod(p[0], p[1], q[0], q[1], r)


TRIES = 4
MAX_COVER = 0.05  # share of the lesion's pixels all the metal together may cover
_KINDS = {"plate": _plate, "screw": _screw, "electrode": _electrode, "clips": _clips, "staples": _staples,
          "wire": _wire}


def hardware_line_integral(C: Section, grid: Grid, anat: Anatomy, lesion_px: np.ndarray) -> np.ndarray | None:
    """Line integral of the metal in the field, or None. Metal may pass next to or over the
    edge of the lesion, but an item that would bring the metal over more than ``MAX_COVER`` of
    the lesion's pixels (``lesion_px``, a bool map), or that falls outside the field, is drawn
    again elsewhere (up to ``TRIES`` times, then left out): metal never hides the lesion that
    gives the label, and lesion and lesion-free images carry metal about equally often."""
    if not C("hardware"):
        return None
    rng = C.rng
    mu = C("hardware_mu_per_mm")
    n_lesion = int(lesion_px.sum())
    total = np.zeros(grid.shape, np.float32)
    H, W = grid.size_mm
    kinds = []
    for _ in range(C("hardware_items")):
        kind = C("hardware_kind")
        for _try in range(TRIES):
            # on or in the patient: anywhere along the limb, across it up to just outside the skin
            x, y = anat.frame.xy(rng.uniform(-0.6, 0.6) * max(H, W), rng.uniform(-1.1, 1.1) * anat.semi_w)
            sk = _Sketch(grid)
            _KINDS[kind](C, sk, anat, float(x), float(y))
            if not sk.path_mm.any():  # entirely outside the field
                continue
            if n_lesion == 0 or np.count_nonzero((total + sk.path_mm)[lesion_px]) <= MAX_COVER * n_lesion:
                total += sk.path_mm * np.float32(mu)
                kinds.append(kind)
                break
    C.record["confusers.hardware_kinds"] = kinds
    return total if total.any() else None
