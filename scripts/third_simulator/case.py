"""One simulated radiograph: choose the field, build the layered anatomy, add one lesion,
project, process, and report the lesion's box in stored-image pixels."""
from __future__ import annotations

import math
import time

import numpy as np

from . import (anatomy_hand, anatomy_lower, anatomy_trunk, anatomy_upper, extras, lesion_chondro,
               lesion_glob, lesion_ossif, lesion_rice, lesion_ring, lesion_sheet, physics, processing,
               trabecular)
from .geometry import Grid, Pose
from .scene import Scene
from .spectrum import make_beam

LESIONS = {
    "rice_grain": lesion_rice.render,
    "phlebolith_ring": lesion_ring.render,
    "sheet": lesion_sheet.render,
    "tumoral_glob": lesion_glob.render,
    "chondrocalcinosis_line": lesion_chondro.render,
    "trabeculated_ossification": lesion_ossif.render,
}
VIEW = {"hand": "PA", "wrist": "PA", "foot": "AP"}


def _choice(rng: np.random.Generator, weights: dict) -> str:
    keys = list(weights)
    p = np.array([weights[k] for k in keys], float)
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


def _field(rng: np.random.Generator, cfg: dict, kind: str) -> tuple[int, int, float]:
    """Image height, width (pixels) and spacing (mm) for a field of this kind."""
    f = cfg["fields"]["value"][kind]
    im = cfg["image"]
    s_lo, s_hi = im["spacing_mm"]["value"]
    n_lo, n_hi = im["side_px"]["value"]
    w_mm, h_mm = float(rng.uniform(*f["w"])), float(rng.uniform(*f["h"]))
    for _ in range(20):
        lo = max(s_lo, max(w_mm, h_mm) / n_hi, math.sqrt(w_mm * h_mm / im["max_pixels"]["value"]))
        hi = min(s_hi, min(w_mm, h_mm) / n_lo)
        if lo <= hi:
            s = float(rng.uniform(lo, hi))
            return int(round(h_mm / s)), int(round(w_mm / s)), s
        if min(w_mm, h_mm) / n_lo < s_lo:   # field too small for 1000 px at 0.1 mm
            w_mm, h_mm = max(w_mm, n_lo * s_lo + 1), max(h_mm, n_lo * s_lo + 1)
        else:                               # too large: shrink
            w_mm, h_mm = w_mm * 0.9, h_mm * 0.9
    s = s_lo
    return n_lo, n_lo, s


def _pose(rng: np.random.Generator, cfg: dict, kind: str, grid: Grid, scale: float) -> Pose:
    f = cfg["fields"]["value"][kind]
    pc = cfg["pose"]
    ang = math.radians(rng.normal(0, pc["rotation_sd_deg"]["value"]))
    if kind in pc["upside_down_kinds"]["value"]:
        ang += math.pi
    mirror = bool(rng.random() < pc["p_mirror"]["value"])
    hw, hh = grid.half
    off = pc["offset_fraction"]["value"]
    p = Pose(scale, mirror, ang, 0.0, 0.0)
    ax, ay = p.pt(*f["anchor"])
    return Pose(scale, mirror, ang, -ax + rng.uniform(-off, off) * hw, -ay + rng.uniform(-off, off) * hh)


def _build(scene: Scene, pose: Pose, rng: np.random.Generator, tex, fat: float, builder: str) -> None:
    if builder == "lower":
        anatomy_lower.build(scene, pose, rng, tex, fat)
    elif builder == "pelvis":
        anatomy_trunk.build(scene, pose, rng, tex, fat)
    elif builder == "upper_girdle":
        anatomy_upper.build(scene, pose, rng, tex, fat, girdle=True, hand=False)
    elif builder == "upper":
        anatomy_upper.build(scene, pose, rng, tex, fat, girdle=False, hand=True)
    elif builder == "foot":
        anatomy_hand.foot(scene, pose, rng, tex, fat)
    else:
        raise ValueError(builder)


def _box(lesion: np.ndarray) -> tuple[int, int, int, int] | None:
    """Half-open pixel box (x0, y0, x1, y1) of the lesion's support."""
    rows = np.nonzero(lesion.any(axis=1))[0]
    cols = np.nonzero(lesion.any(axis=0))[0]
    if len(rows) == 0:
        return None
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


class PlacementError(RuntimeError):
    """The lesion could not be placed in the drawn field (the caller redraws the scene)."""


def render_case(seed: int, index: int, label: str, cfg: dict, redraws: int = 8) -> dict:
    """Render one radiograph of class `label`; deterministic for (seed, index, label).

    Returns pixels (uint16 stored values), spacing (mm/pixel), box (half-open pixel box of
    the whole lesion, x right, y down; None for 'none'), kind, mono1, bits, and details.
    A scene whose field cannot hold the lesion is redrawn from a derived seed (same index).
    """
    if label not in cfg["classes"]["value"]:
        raise ValueError(f"unknown label {label!r}")
    for redraw in range(redraws):
        try:
            return _render(seed, index, label, cfg, redraw)
        except PlacementError:
            continue
    raise RuntimeError(f"could not place {label} in {redraws} scenes (seed {seed}, index {index})")


def _render(seed: int, index: int, label: str, cfg: dict, redraw: int) -> dict:
    """One attempt of render_case; redraw 0 is the scene of (seed, index), later ones derived."""
    classes = cfg["classes"]["value"]
    t_start = time.perf_counter()
    rng = np.random.default_rng([int(seed), int(index)] + ([redraw] if redraw else []))
    kind = _choice(rng, cfg["kind_weights"]["value"][label])
    h, w, s = _field(rng, cfg, kind)
    grid = Grid(h, w, s)
    pat = cfg["patient"]
    scale = float(rng.uniform(*pat["scale"]["value"]))
    fat = float(rng.uniform(*pat["fat_mm"]["value"]))
    pose = _pose(rng, cfg, kind, grid, scale)
    tex = [trabecular.pick(rng), trabecular.pick(rng)]
    scene = Scene(grid)
    _build(scene, pose, rng, tex, fat, cfg["fields"]["value"][kind]["builder"])
    ex = cfg["extras"]
    words = extras.markers(scene, rng, ex) if rng.random() < ex["p_marker"]["value"] else []
    fold = extras.skin_fold(scene, rng, ex) if rng.random() < ex["p_fold"]["value"] else False
    shutter = extras.shutter_mask(grid, rng, ex)
    lesion_info: dict = {}
    if label != "none":
        lrng = np.random.default_rng([int(seed), int(index), classes.index(label)] + ([redraw] if redraw else []))
        for attempt in range(12):
            scene.clear_lesion()
            lesion_info = LESIONS[label](scene, lrng, cfg, kind)
            sup = scene.maps["lesion"] > 0
            need = 0.9 if attempt < 6 else 0.6  # most of the lesion must lie in the exposed field
            if lesion_info and sup.any() and float((shutter[sup] > 0.5).mean()) >= need:
                break
        else:
            raise PlacementError(f"could not place {label} in a {kind} field (seed {seed}, index {index})")
    # the box covers what can be seen: the lesion's support inside the collimated field
    box = _box((scene.maps["lesion"] > 0) & (shutter > 0.5)) if label != "none" else None
    t_scene = time.perf_counter()

    bc = cfg["beam"]
    kvp = float(rng.uniform(*bc["kvp"]["value"][kind]))
    cu = float(rng.uniform(*bc["cu_mm"]["value"])) if rng.random() < bc["cu_mm"]["p_cu"] else 0.0
    beam = make_beam(kvp, float(rng.uniform(*bc["total_al_mm"]["value"])), cu, int(bc["n_bins"]["value"]),
                     float(rng.uniform(*bc["csi_mg_cm2"]["value"])), float(rng.uniform(*bc["fill_factor"]["value"])))
    pc = cfg["physics"]
    profile = physics.exposure_profile(h, w, float(rng.uniform(*pc["heel"]["value"])) * rng.choice([-1, 1]),
                                       float(rng.choice([0.0, math.pi / 2])), float(rng.uniform(*pc["falloff"]["value"])))
    body = scene.body_mask()
    mats = scene.materials()
    phys = physics.project(mats, beam, profile, np.maximum(shutter, np.float32(0.002)), body, pc, s, rng)
    bone_mask = (scene.maps["bone"] + scene.maps["l_bone"]) > 2.0
    proc = processing.process(phys["raw"], phys["ref"], shutter, body, bone_mask, s, cfg["processing"], rng)
    t_end = time.perf_counter()
    return {
        "pixels": proc["pixels"], "spacing": s, "box": box, "kind": kind, "mono1": proc["mono1"],
        "bits": proc["bits"], "label": label, "view": VIEW.get(kind, "AP"),
        "window": proc["window"], "kvp": kvp, "cu_mm": cu, "detector_ugy": phys["k0_ugy"],
        "spr": phys["spr"], "grid": phys["grid"], "markers": words, "skin_fold": fold,
        "lesion": {k: v for k, v in lesion_info.items() if not isinstance(v, np.ndarray)},
        "laterality": "L" if pose.mirror else "R", "seed": int(seed), "index": int(index),
        "timing_s": {"scene": t_scene - t_start, "image": t_end - t_scene},
    }
