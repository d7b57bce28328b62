"""Scene state shared by anatomy, clutter and lesion builders: canvases, frame, sites, RNG."""
from __future__ import annotations

from collections import defaultdict

import numpy as np

from .prims import Canvas


class Scene:
    """Everything drawn for one image. Geometry in mm, canonical layouts rotated by ``rot`` (rad)
    about the image centre; ``sites`` collects places where lesions / clutter may go."""

    def __init__(self, rng: np.random.Generator, cfg: dict, kind: str, shape: tuple[int, int],
                 sp: float, tex: np.ndarray, coarse: int, rot: float, child: bool):
        self.rng, self.cfg, self.kind, self.child = rng, cfg, kind, child
        self.cv = Canvas(shape, sp, tex)
        cshape = (-(-shape[0] // coarse), -(-shape[1] // coarse))
        self.soft = Canvas(cshape, sp * coarse)
        self.coarse = coarse
        self.W, self.H = shape[1] * sp, shape[0] * sp
        self.rot = rot
        self.sites: dict[str, list] = defaultdict(list)
        bd = cfg["bone_density"]["value"]
        osteo = rng.uniform(*bd["osteopenia_scale"])
        self.rho_c = rng.uniform(*bd["cortical"]) * (0.85 + 0.15 * osteo)
        self.rho_t = rng.uniform(*bd["cancellous"]) * osteo
        self.modes_sd = cfg["shape_modes_sd"]["value"]

    def pt(self, x: float, y: float) -> tuple[float, float]:
        """Canonical mm point -> rotated mm point."""
        cx, cy = self.W / 2, self.H / 2
        c, s = np.cos(self.rot), np.sin(self.rot)
        return cx + (x - cx) * c - (y - cy) * s, cy + (x - cx) * s + (y - cy) * c

    def ang(self, a: float) -> float:
        return a + self.rot

    def off(self) -> tuple[int, int]:
        """Random offset into the trabecular texture tile."""
        return int(self.rng.integers(0, 4096)), int(self.rng.integers(0, 4096))

    def modes(self) -> dict:
        """One draw of the statistical shape modes (scales about the mean bone)."""
        sd, r = self.modes_sd, self.rng
        return {"len": 1 + r.normal(0, sd["length"]), "wid": 1 + r.normal(0, sd["width"]),
                "flare": r.normal(0, sd["flare"]), "bow": r.normal(0, sd["bow_mm"]),
                "cortex": float(np.clip(1 + r.normal(0, sd["cortex"]), 0.5, 1.6))}


def at(x: float, y: float, ang: float, du: float, dv: float) -> tuple[float, float]:
    """Point ``du`` along and ``dv`` across (to the left of) an axis at angle ``ang`` from (x, y)."""
    c, s = np.cos(ang), np.sin(ang)
    return x + du * c - dv * s, y + du * s + dv * c
