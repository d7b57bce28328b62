"""Polychromatic cone-beam projection of a world-frame scene onto the detector grid.

Large anatomy is traced on a coarse grid (f x f detector pixels per ray), small objects
(lesions, hardware, ossicles) at full resolution inside their projected boxes. The spectrum
is carried per energy bin, so beam hardening by the limb shapes the contrast of small objects.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from .geometry import Beam
from .materials import mu
from .scene import Fine, Scene
from .spectrum import Spectrum
from .texture import blobs, ridged

P_UNION = 6.0  # p-norm used as a smooth union of overlapping parts of one bone


@dataclass
class Grid:
    """Detector pixel centres (mm) at full resolution and on the coarse grid (factor f)."""
    h: int
    w: int
    pix: float
    f: int

    def axes(self, coarse: bool):
        """Column coordinates u (1, n) and row coordinates v (n, 1) in detector mm."""
        if coarse:
            u = ((np.arange(self.w // self.f) + 0.5) * self.f - self.w / 2) * self.pix
            v = ((np.arange(self.h // self.f) + 0.5) * self.f - self.h / 2) * self.pix
        else:
            u = (np.arange(self.w) + 0.5 - self.w / 2) * self.pix
            v = (np.arange(self.h) + 0.5 - self.h / 2) * self.pix
        return u[None, :].astype(np.float32), v[:, None].astype(np.float32)


def pix_box(beam: Beam, grid: Grid, prim, coarse: bool, pad: int = 2):
    """Index slices (rows, cols) of the projected bounding box of `prim`, or None when off-detector."""
    lo, hi = prim.bound()   # tubes: caps lie within the end radius, covered by the bound
    us, vs = [], []
    for x in (lo[0], hi[0]):
        for y in (lo[1], hi[1]):
            for z in (lo[2], hi[2]):
                u, v, _ = beam.project(np.array([x, y, min(z, beam.sid - 1)]))
                us.append(u), vs.append(v)
    step = grid.pix * (grid.f if coarse else 1)
    n_r, n_c = (grid.h // grid.f, grid.w // grid.f) if coarse else (grid.h, grid.w)
    c0 = int(np.floor(min(us) / step + n_c / 2)) - pad
    c1 = int(np.ceil(max(us) / step + n_c / 2)) + pad
    r0 = int(np.floor(min(vs) / step + n_r / 2)) - pad
    r1 = int(np.ceil(max(vs) / step + n_r / 2)) + pad
    c0, r0, c1, r1 = max(c0, 0), max(r0, 0), min(c1, n_c), min(r1, n_r)
    if c1 <= c0 or r1 <= r0:
        return None
    return slice(r0, r1), slice(c0, c1)


def _union_box(boxes):
    boxes = [b for b in boxes if b is not None]
    if not boxes:
        return None
    return (slice(min(b[0].start for b in boxes), max(b[0].stop for b in boxes)),
            slice(min(b[1].start for b in boxes), max(b[1].stop for b in boxes)))


def coarse_maps(sc: Scene, beam: Beam, grid: Grid, rng: np.random.Generator, tex_period: float,
                tex_angle: float) -> dict[str, np.ndarray]:
    """Material path-length maps (mm) on the coarse grid: muscle, fat, cortical, extras."""
    u, v = grid.axes(True)
    shape = (v.shape[0], u.shape[1])
    maps = {k: np.zeros(shape, np.float32) for k in ("muscle", "fat", "cortical")}
    tex = 0.72 + 0.28 * ridged(rng, shape, tex_period / (grid.pix * grid.f), tex_angle)
    for limb in sc.limbs:
        bx = pix_box(beam, grid, limb.outer, True)
        if bx is None:
            continue
        o = limb.outer.chord(beam, u[:, bx[1]], v[bx[0]])
        i = limb.outer.shrunk(limb.fat).chord(beam, u[:, bx[1]], v[bx[0]])
        np.maximum(maps["muscle"][bx], i, out=maps["muscle"][bx])
        np.maximum(maps["fat"][bx], o - i, out=maps["fat"][bx])
    for s in sc.softs:
        bx = pix_box(beam, grid, s.prim, True)
        if bx is not None:
            maps.setdefault(s.material, np.zeros(shape, np.float32))
            maps[s.material][bx] += s.density * s.prim.chord(beam, u[:, bx[1]], v[bx[0]])
    for prim, mat, dens, pattern in sc.coarse_extra:
        bx = pix_box(beam, grid, prim, True)
        if bx is None:
            continue
        maps.setdefault(mat, np.zeros(shape, np.float32))
        ch = prim.chord(beam, u[:, bx[1]], v[bx[0]]) * dens
        maps[mat][bx] += ch * pattern[bx] if pattern is not None else ch
    for bone in sc.bones:
        bx = _union_box([pix_box(beam, grid, o, True) for o, _ in bone.parts])
        if bx is None:
            continue
        uu, vv = u[:, bx[1]], v[bx[0]]
        acc_o = np.zeros((vv.shape[0], uu.shape[1]), np.float32)
        acc_i = np.zeros_like(acc_o)
        for o, i in bone.parts:
            acc_o += o.chord(beam, uu, vv) ** P_UNION
            acc_i += i.chord(beam, uu, vv) ** P_UNION
        outer, inner = acc_o ** (1 / P_UNION), acc_i ** (1 / P_UNION)
        maps["cortical"][bx] += bone.density * (outer - inner + bone.bvtv * inner * tex[bx])
        maps["muscle"][bx] -= outer - 0.5 * inner
        maps["fat"][bx] += 0.5 * inner * (1 - bone.bvtv)
    np.maximum(maps["muscle"], 0, out=maps["muscle"])
    np.maximum(maps["fat"], 0, out=maps["fat"])
    return maps


def polychromatic(maps: dict[str, np.ndarray], spec: Spectrum):
    """log of detected primary (relative to open field) and per-bin spectral weights behind the scene."""
    bins = []
    for e, w in zip(spec.energies, spec.weights):
        ex = sum(mu(m, np.array([e]))[0] * L for m, L in maps.items())
        bins.append(w * np.exp(-ex))
    tb = np.stack(bins).astype(np.float32)
    total = tb.sum(0)
    return np.log(np.maximum(total, 1e-30)), tb / np.maximum(total, 1e-30)


def fine_path(f: Fine, beam: Beam, grid: Grid, rng: np.random.Generator):
    """Full-resolution path map (mm x density) of a small object and its box, or (None, None)."""
    bx = _union_box([pix_box(beam, grid, p, False) for p, _, _ in f.parts])
    if bx is None:
        return None, None
    u, v = grid.axes(False)
    shape = (bx[0].stop - bx[0].start, bx[1].stop - bx[1].start)
    st = 2 if shape[0] * shape[1] > 250_000 else 1      # large objects: half resolution, then zoom
    L = np.zeros(((shape[0] + st - 1) // st, (shape[1] + st - 1) // st), np.float32)
    for prim, wgt, plane in f.parts:
        sub = pix_box(beam, grid, prim, False)
        if sub is None:
            continue
        r0, c0 = (sub[0].start - bx[0].start) // st, (sub[1].start - bx[1].start) // st
        uu = u[:, bx[1]][:, c0 * st:(sub[1].stop - bx[1].start):st]
        vv = v[bx[0]][r0 * st:(sub[0].stop - bx[0].start):st]
        L[r0:r0 + vv.shape[0], c0:c0 + uu.shape[1]] += wgt * prim.chord(beam, uu, vv, plane)
    np.maximum(L, 0, out=L)
    pix = grid.pix * st
    if f.texture == "flocculent":
        L *= np.clip(1 + 0.22 * blobs(rng, L.shape, 1.0 / pix), 0.45, None)
    elif f.texture == "reticulated":
        L *= np.clip(ridged(rng, L.shape, 6.0 / pix, rng.uniform(0, np.pi), 1.3) * 0.8, 0.05, 3)
    elif f.texture == "patchy":
        L *= np.clip(blobs(rng, L.shape, 5.0 / pix) + 0.6, 0, 1.5)
    elif f.texture == "trabecular":
        L *= 0.45 + 0.55 * ridged(rng, L.shape, 1.6 / pix, rng.uniform(0, np.pi), 1.5)
    if st > 1:
        L = ndimage.zoom(L, st, order=1, mode="nearest", grid_mode=True)[: shape[0], : shape[1]]
        L = np.pad(L, ((0, shape[0] - L.shape[0]), (0, shape[1] - L.shape[1])), mode="edge")
    return L * f.density, bx


def add_fine(logp: np.ndarray, wb: np.ndarray, L: np.ndarray, bx, material: str, spec: Spectrum, f: int) -> None:
    """Attenuate the full-resolution log primary inside box `bx` by path L (mm) of `material`."""
    r0, c0 = bx[0].start // f, bx[1].start // f
    r1, c1 = (bx[0].stop - 1) // f + 1, (bx[1].stop - 1) // f + 1
    ro, co = bx[0].start - r0 * f, bx[1].start - c0 * f
    m = mu(material, spec.energies)
    acc = np.zeros(L.shape, np.float32)
    for b in range(len(m)):
        sub = np.repeat(np.repeat(wb[b, r0:r1, c0:c1], f, 0), f, 1)[ro:ro + L.shape[0], co:co + L.shape[1]]
        acc += sub * np.exp(np.float32(-m[b]) * L)
    logp[bx] += np.log(np.maximum(acc, 1e-30))


def upsample(a: np.ndarray, f: int) -> np.ndarray:
    """Bilinear upsampling of a coarse map by integer factor f (block-centre aligned)."""
    return ndimage.zoom(a, f, order=1, mode="nearest", grid_mode=True).astype(np.float32)
