"""Scene description: bones (cortex + cancellous pairs), soft-tissue envelopes, small objects."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

import numpy as np

from .geometry import Ell, Tube, ell

Prim = Union[Ell, Tube]


@dataclass
class Bone:
    """A bone: list of (outer, inner) implicit parts; cortex = outer - inner, cancellous = inner."""
    parts: list
    bvtv: float = 0.22
    density: float = 1.0


@dataclass
class Limb:
    """Soft-tissue envelope: skin/subcutaneous fat layer of `fat` mm over a muscle core."""
    outer: Prim
    fat: float


@dataclass
class Soft:
    """A coarse soft-material region (`density` may be negative: gas displacing tissue)."""
    prim: Prim
    material: str
    density: float


@dataclass
class Fine:
    """Small object rendered at full resolution: sum of weight x chord over parts, one material.

    parts: (primitive, weight, plane or None); texture: in-box modulation ('flocculent',
    'reticulated', 'patchy', 'trabecular' or ''); world: already in the world frame.
    """
    parts: list
    material: str
    density: float
    texture: str = ""
    world: bool = False
    lesion: bool = False


@dataclass
class Scene:
    """Everything in the anatomical frame (mm; x lateral/right, y distal/down, z toward source)."""
    kind: str
    bones: list = field(default_factory=list)
    limbs: list = field(default_factory=list)
    softs: list = field(default_factory=list)
    coarse_extra: list = field(default_factory=list)   # (Prim, material, density, pattern or None)
    sites: dict = field(default_factory=dict)
    fov: tuple = (250.0, 300.0)   # object-plane field of view target (mm)
    thickness: float = 100.0      # maximum thickness along the beam (mm)


def shaft(p0, p1, radii, cortex, ratio: float = 1.0) -> tuple[Tube, Tube]:
    """Tubular bone part: outer radii and cortical thickness sampled evenly along p0->p1 (mm)."""
    r = np.asarray(radii, float)
    c = np.asarray(cortex, float)
    s = np.linspace(0, 1, len(r))
    ri = np.maximum(r - c, 0.3)
    p0, p1 = np.asarray(p0, float), np.asarray(p1, float)
    z = np.array([0.0, 0.0, 1.0])
    return Tube(p0, p1, s, r, r * ratio, z), Tube(p0, p1, s, ri, ri * ratio, z)


def epi(c, r, cortex: float = 1.0, yaw: float = 0.0, tilt: float = 0.0, roll: float = 0.0) -> tuple[Ell, Ell]:
    """Ellipsoidal bone part (epiphysis, condyle, carpal) with a thin cortical shell (mm, deg)."""
    o = ell(c, r, yaw, tilt, roll)
    return o, o.shrunk(cortex)


def limb_tube(p0, p1, radii, fat: float, ratio: float = 0.9) -> Limb:
    """Limb envelope as a swept elliptic tube (radii evenly along p0->p1, mm)."""
    r = np.asarray(radii, float)
    return Limb(Tube(np.asarray(p0, float), np.asarray(p1, float), np.linspace(0, 1, len(r)), r, r * ratio), fat)
