"""A random 3-D trabecular network (open-cell foam), projected along the beam into a periodic
2-D tile.

The network is built from a periodic 3-D Voronoi tessellation of random cell centres (cell
size ~1.3-2 mm, cells elongated along the bone's axis): voxels near a face shared by two
cells are plates, voxels near an edge shared by three cells are rods. Its projection through
`depth` mm, normalised to mean 1, modulates the cancellous bone path (see `scene.add_bone`:
thicker bone averages more layers). Tiles are kept in a small bank built once per process
from fixed seeds, so a case only chooses a tile and its placement (deterministic).
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree

F32 = np.float32

# bank entries: (cell mm, axial elongation, plate thickness mm, rod thickness mm, voxel mm)
BANK = [
    (1.4, 1.8, 0.10, 0.25, 0.2), (1.6, 2.4, 0.08, 0.30, 0.2), (1.8, 1.5, 0.0, 0.35, 0.2),
    (1.4, 2.0, 0.12, 0.0, 0.2), (1.7, 2.0, 0.06, 0.30, 0.2), (1.5, 1.3, 0.09, 0.2, 0.2),
    # coarse woven bone (heterotopic ossification)
    (2.6, 1.4, 0.10, 0.40, 0.3), (3.2, 1.2, 0.0, 0.50, 0.3),
]
N_NORMAL = 6


class TrabTile:
    """Projected trabecular texture: mean 1, periodic, voxel `vox` mm, depth `depth` mm."""

    def __init__(self, tex: np.ndarray, vox: float, depth: float) -> None:
        self.tex, self.vox, self.depth = tex, vox, depth

    def sample(self, X: np.ndarray, Y: np.ndarray, angle: float, ox: float, oy: float) -> np.ndarray:
        """Texture (mean 1) at image mm coordinates, tile axis x along `angle` (radians)."""
        c, s = math.cos(angle), math.sin(angle)
        u = ((X - F32(ox)) * F32(c) + (Y - F32(oy)) * F32(s)) / F32(self.vox)
        v = (-(X - F32(ox)) * F32(s) + (Y - F32(oy)) * F32(c)) / F32(self.vox)
        u, v = np.broadcast_arrays(u, v)
        return ndimage.map_coordinates(self.tex, [v.ravel(), u.ravel()], order=1,
                                       mode="grid-wrap").reshape(u.shape)


def voronoi_tile(seed: int, cell: float, elong: float, plate: float, rod: float, vox: float,
                 n_xy: int = 128, n_z: int = 40) -> TrabTile:
    """Build one projected foam tile (x = elongation axis)."""
    rng = np.random.default_rng([20240, seed])
    Lx, Lz = n_xy * vox, n_z * vox
    box = np.array([Lx / elong, Lx, Lz])  # stretched space: cells become elongated along x
    n_pts = max(8, int(np.prod(box) / cell ** 3))
    tree = cKDTree(rng.uniform(0, 1, (n_pts, 3)) * box, boxsize=box)
    x = (np.arange(n_xy) + 0.5) * vox / elong
    y = (np.arange(n_xy) + 0.5) * vox
    z = (np.arange(n_z) + 0.5) * vox
    Z, Yg, Xg = np.meshgrid(z, y, x, indexing="ij")
    d, _ = tree.query(np.stack([Xg.ravel(), Yg.ravel(), Z.ravel()], -1), k=3)
    d = d.reshape(n_z, n_xy, n_xy, 3).astype(F32)
    m = np.zeros((n_z, n_xy, n_xy), bool)
    if plate > 0:
        m |= (d[..., 1] - d[..., 0]) < plate
    if rod > 0:
        m |= (d[..., 2] - d[..., 0]) < rod
    proj = m.sum(axis=0).astype(F32)
    return TrabTile(proj / max(float(proj.mean()), 1e-6), vox, Lz)


@lru_cache(maxsize=None)
def bank_tile(i: int) -> TrabTile:
    """Tile i of the bank (built on first use, then cached)."""
    return voronoi_tile(i, *BANK[i])


def pick(rng: np.random.Generator, coarse: bool = False) -> TrabTile:
    """A tile for ordinary cancellous bone (or coarse woven bone)."""
    if coarse:
        return bank_tile(int(rng.integers(N_NORMAL, len(BANK))))
    return bank_tile(int(rng.integers(0, N_NORMAL)))
