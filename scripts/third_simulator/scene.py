"""Per-pixel material path lengths of one case (the projected 'layered volume').

Envelopes (skin, subcutaneous fat boundary, muscle) are unions (max) of solids; bones are
smooth unions (p-norm) of cortical shells around cancellous cores whose bone content
follows a projected 3-D trabecular network. Lesions and extras add to the same maps.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .geometry import Capsule, Grid, Slab, SuperEllipsoid, union_bbox
from .trabecular import TrabTile

F32 = np.float32
P_UNION = 6.0


@dataclass
class Piece:
    """One solid of a bone: cortex thickness (mm) and cancellous bone volume fraction;
    for a Capsule both may be (start, end) pairs. `hole` pieces carve a thin spot/foramen."""

    prim: Capsule | SuperEllipsoid
    cortex: float | tuple[float, float] = 1.0
    bvf: float | tuple[float, float] = 0.2
    hole: bool = False


@dataclass
class Scene:
    """Material maps on the image grid. Path lengths in mm; `ha` in g/cm^2."""

    grid: Grid
    maps: dict[str, np.ndarray] = field(default_factory=dict)
    landmarks: dict = field(default_factory=dict)
    bones: dict = field(default_factory=dict)

    NAMES = ("skin", "subq", "muscle", "occ", "bone", "marrow", "fat_x", "gas", "soft_x",
             "ha", "lead", "lesion", "l_bone", "l_marrow", "l_occ")
    LESION_MAPS = ("ha", "lesion", "l_bone", "l_marrow", "l_occ")

    def clear_lesion(self) -> None:
        """Forget a lesion (before placing another try)."""
        for n in self.LESION_MAPS:
            self.maps[n][:] = 0

    def __post_init__(self) -> None:
        for n in self.NAMES:
            self.maps[n] = np.zeros((self.grid.h, self.grid.w), dtype=F32)

    def __getitem__(self, k: str) -> np.ndarray:
        return self.maps[k]

    # ----------------------------------------------------------------- envelopes
    def add_envelope(self, prims, fat_mm: float, dermis_mm: float = 1.5) -> None:
        """Limb/trunk soft tissue: skin surface, dermis, subcutaneous fat of `fat_mm`, muscle."""
        for p in prims:
            w = self.grid.window(p.bbox())
            if w is None:
                continue
            sl, X, Y = w
            np.maximum(self.maps["skin"][sl], p.chord(X, Y), out=self.maps["skin"][sl])
            inner = p.shrink(dermis_mm)
            np.maximum(self.maps["subq"][sl], inner.chord(X, Y), out=self.maps["subq"][sl])
            mus = p.shrink(fat_mm)
            np.maximum(self.maps["muscle"][sl], mus.chord(X, Y), out=self.maps["muscle"][sl])

    def add_path(self, name: str, prims, scale: float = 1.0, mode: str = "add") -> None:
        """Add (or max-merge) the chords of solids into one map, times `scale`."""
        for p in prims:
            w = self.grid.window(p.bbox())
            if w is None:
                continue
            sl, X, Y = w
            c = p.chord(X, Y)
            if scale != 1.0:
                c *= F32(scale)
            if mode == "max":
                np.maximum(self.maps[name][sl], c, out=self.maps[name][sl])
            else:
                self.maps[name][sl] += c

    # ----------------------------------------------------------------- bones
    def _sub_window(self, prim, sl: tuple[slice, slice]):
        """(slices of prim's pixel window relative to the window `sl`, X mm, Y mm), or None
        when prim lies outside the image."""
        pw = self.grid.window(prim.bbox())
        if pw is None:
            return None
        psl, PX, PY = pw
        sub = (slice(psl[0].start - sl[0].start, psl[0].stop - sl[0].start),
               slice(psl[1].start - sl[1].start, psl[1].stop - sl[1].start))
        return sub, PX, PY

    def add_bone(self, name: str, pieces: list[Piece], tex: list[TrabTile], axis: float,
                 rng: np.random.Generator, density: float = 1.0, lesion: bool = False) -> None:
        """Smooth union of cortical shells with a trabecular core (mm of cortical-bone equivalent)."""
        self.bones.setdefault(name, []).extend(pieces)
        solid = [p for p in pieces if not p.hole]
        w = self.grid.window(union_bbox(p.prim.bbox() for p in pieces))
        if w is None or not solid:
            return
        sl, X, Y = w
        shape = (sl[0].stop - sl[0].start, sl[1].stop - sl[1].start)
        O6 = np.zeros(shape, F32)
        I6 = np.zeros(shape, F32)
        B6 = np.zeros(shape, F32)
        for p in solid:
            pw = self._sub_window(p.prim, sl)
            if pw is None:
                continue
            sub, PX, PY = pw
            if isinstance(p.prim, Capsule):
                o, t = p.prim.chord(PX, PY, want_t=True)
                c0, c1 = p.cortex if isinstance(p.cortex, tuple) else (p.cortex, p.cortex)
                b0, b1 = p.bvf if isinstance(p.bvf, tuple) else (p.bvf, p.bvf)
                i = p.prim.shrink(c0, c1).chord(PX, PY)
                bv = F32(b0) + t * F32(b1 - b0)
            elif isinstance(p.prim, Slab):
                o, i = p.prim.chords(PX, PY, float(p.cortex))
                bv = F32(p.bvf)
            else:
                o = p.prim.chord(PX, PY)
                i = p.prim.shrink(float(p.cortex)).chord(PX, PY)
                bv = F32(p.bvf)
            o3 = o * o * o
            O6[sub] += o3 * o3
            i3 = i * i * i
            i6 = i3 * i3
            I6[sub] += i6
            B6[sub] += bv * i6
        O = O6 ** F32(1.0 / P_UNION)
        I = I6 ** F32(1.0 / P_UNION)
        bvf = np.where(I6 > 0, B6 / np.maximum(I6, F32(1e-20)), F32(0.0))
        for p in pieces:
            if p.hole:
                pw = self._sub_window(p.prim, sl)
                if pw is None:
                    continue
                sub, PX, PY = pw
                h = p.prim.chord(PX, PY)
                O[sub] -= F32(0.85) * h
                I[sub] -= h
        np.maximum(O, 0, out=O)
        np.clip(I, 0, O, out=I)
        # two tiles at slightly different angles and offsets hide the tiles' periodicity
        tx = F32(0.62) * tex[0].sample(X, Y, axis, float(rng.uniform(0, 50)), float(rng.uniform(0, 50)))
        tx += F32(0.38) * tex[1].sample(X, Y, axis + float(rng.normal(0, 0.25)), float(rng.uniform(0, 50)),
                                        float(rng.uniform(0, 50)))
        depth = tex[0].depth
        damp = F32(1.3) * (F32(depth) / np.maximum(I, F32(depth))) ** F32(0.3)
        trab = bvf * I * (1.0 + (tx - 1.0) * damp)
        np.maximum(trab, 0, out=trab)
        cort = O - I
        self.maps["bone"][sl] += F32(density) * (cort + trab)
        self.maps["marrow"][sl] += I - trab
        self.maps["occ"][sl] += O
        if lesion:
            self.maps["lesion"][sl] += O

    # ----------------------------------------------------------------- final materials
    def materials(self) -> dict[str, np.ndarray]:
        """Path lengths in cm: fat, soft (muscle/skin/cartilage), bone; HA in g/cm^2; lead in cm."""
        m = self.maps
        occ = m["occ"] + m["l_occ"]
        marrow = m["marrow"] + m["l_marrow"]
        dermis = np.maximum(m["skin"] - m["subq"], 0)
        fat = np.maximum(m["subq"] - m["muscle"], 0)
        soft = m["muscle"] - occ - m["fat_x"] - m["gas"]
        np.maximum(soft, 0, out=soft)
        inside = np.minimum(m["fat_x"], np.maximum(m["muscle"] - occ, 0))
        fat += inside + F32(0.6) * marrow
        soft += dermis + m["soft_x"] + F32(0.4) * marrow
        # calcified volume displaces soft tissue (HA at ~1 g/cm^3 effective: 1 g/cm^2 -> 1 cm)
        soft -= np.minimum(m["ha"] * F32(10.0), soft)
        return {
            "adipose": fat * F32(0.1),
            "muscle": soft * F32(0.1),
            "bone": (m["bone"] + m["l_bone"]) * F32(0.1),
            "hydroxyapatite": m["ha"],
            "lead": m["lead"] * F32(0.1),
        }

    def body_mask(self) -> np.ndarray:
        """Pixels where the beam crosses the patient."""
        return self.maps["skin"] > 0.5


def angle_of(x0: float, y0: float, x1: float, y1: float) -> float:
    """Direction angle (radians) of the vector from (x0, y0) to (x1, y1)."""
    return math.atan2(y1 - y0, x1 - x0)
