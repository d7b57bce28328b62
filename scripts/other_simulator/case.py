"""One radiograph: choose the body part, size the detector, render anatomy and lesion, expose
and display."""

from __future__ import annotations

import numpy as np

from .anatomy import build_anatomy
from .detector import add_marker, expose, field_box, field_mask
from .display import display
from .geometry import Grid
from .lesions import LESIONS, lesion_box
from .params import Cfg, Rng, chance, draw, materials
from .scene import new_scene

ATTEMPTS = 8  # fresh anatomies tried before giving up on placing a lesion


def choose_anatomy(rng: Rng, cfg: Cfg, label: str) -> str:
    """Anatomy kind for a class: the global weights restricted to the class's allowed kinds."""
    spec = cfg["anatomy"]["kind"]
    allowed = set(cfg["lesion_anatomy"][label]["value"])
    kinds = [k for k in spec["choices"] if k in allowed]
    w = np.array([spec["weights"][spec["choices"].index(k)] for k in kinds], float)
    return kinds[int(rng.choice(len(kinds), p=w / w.sum()))]


def plan_grid(rng: Rng, cfg: Cfg, kind: str) -> tuple[Grid, float]:
    """Detector grid for an anatomy kind; also the limb half-width a0 (mm) planned for it."""
    an, det = cfg["anatomy"], cfg["detector"]
    a0 = draw(rng, an["limb_half_width_mm"])
    if kind in ("limb", "joint"):
        fw = 2 * a0 * draw(rng, an["fov_over_width_limb"])
        fh = fw * draw(rng, an["fov_aspect_limb"])
    elif kind == "hand":
        fw, fh = draw(rng, an["fov_hand_w_mm"]), draw(rng, an["fov_hand_h_mm"])
    else:
        fw, fh = draw(rng, an["fov_trunk_mm"]), draw(rng, an["fov_trunk_mm"])
    lo_px, hi_px = det["size_px"]["range"]
    s_lo, s_hi = det["spacing_mm"]["range"]
    s = rng.uniform(min(s_hi, max(s_lo, max(fw, fh) / hi_px)), s_hi)
    w = int(np.clip(round(fw / s), lo_px, hi_px))
    h = int(np.clip(round(fh / s), lo_px, hi_px))
    return Grid(h, w, round(float(s), 4)), a0


def render_case(seed: int, index: int, label: str, cfg: Cfg) -> dict:
    """Render image `index` of class `label`, deterministic per (seed, index). Returns pixels
    (stored 12-bit uint16), spacing (mm), mono1, box (pixel x0, y0, x1, y1 or None), kind,
    kev (effective energy, keV) and cr (whether written as CR)."""
    rng = np.random.default_rng((seed, index))
    for _attempt in range(ATTEMPTS):
        kind = choose_anatomy(rng, cfg, label)
        g, a0 = plan_grid(rng, cfg, kind)
        kev = draw(rng, cfg["anatomy"][{"hand": "kev_hand", "trunk": "kev_trunk"}.get(kind, "kev_limb")])
        mu = materials(cfg, kev)
        field, collimated = field_box(rng, cfg, g)
        fmask = field_mask(g, field)
        sc = new_scene(g)
        info = build_anatomy(sc, g, mu, rng, cfg, kind, a0)
        box = None
        if label != "none":
            if not LESIONS[label](sc, g, rng, cfg, info, field):
                continue
            sc["ha"] *= fmask
            box = lesion_box(sc["ha"])
            if box is None:
                continue
            sc["L"] += mu["ha"] * sc["ha"]
        if chance(rng, cfg["detector"]["marker_prob"]):
            add_marker(sc, g, rng, cfg, field)
        body = sc["soft"] > 3.0
        N, I0 = expose(sc, g, rng, cfg, body, fmask, collimated)
        stored, mono1 = display(N, I0, g, rng, cfg, body, fmask, collimated)
        return {"pixels": stored, "spacing": g.s, "mono1": mono1, "box": box, "kind": kind, "kev": kev,
                "cr": chance(rng, cfg["display"]["cr_prob"])}
    raise RuntimeError(f"image {index} ({label}): no lesion could be placed after {ATTEMPTS} attempts")
