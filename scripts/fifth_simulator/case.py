"""render_case: one simulated radiograph (pixels, spacing, lesion box, field, photometry, bits)."""
from __future__ import annotations

import numpy as np

from . import display, fields, layouts_limb as ll, layouts_trunk as lt, lesions, physics, soft
from .clutter import apply_clutter
from .scene import Scene

SALT = 0x5F1F7
LAYOUTS = {"knee": ll.knee, "thigh": ll.thigh, "leg": ll.leg, "ankle": ll.ankle, "foot": ll.foot, "arm": ll.arm,
           "elbow": ll.elbow, "forearm": ll.forearm, "wrist": ll.wrist, "hand": ll.hand, "hip": lt.hip,
           "pelvis": lt.pelvis, "shoulder": lt.shoulder, "chest_wall": lt.chest_wall}
TRUNK = {"hip", "pelvis", "shoulder", "chest_wall"}
LONG = {"thigh", "leg", "arm", "forearm"}


def _field(rng: np.random.Generator, cfg: dict, label: str) -> str:
    if label == "none":
        fl = cfg["fields"]["value"]
        return str(fl[int(rng.integers(len(fl)))])
    w = cfg["lesion_sites"]["value"][label]
    names = list(w)
    p = np.asarray([w[n] for n in names], float)
    return str(names[int(rng.choice(len(names), p=p / p.sum()))])


def _geometry(rng: np.random.Generator, cfg: dict, kind: str) -> tuple[tuple[int, int], float]:
    """Image shape (rows, cols) and pixel spacing (mm, 4 decimals) for a field."""
    short = rng.uniform(*cfg["field_of_view_mm"]["value"][kind])
    asp = cfg["aspect_long_over_short"]["value"]
    long_ = short * rng.uniform(*asp.get(kind, asp["default"]))
    h_mm, w_mm = (long_, short) if (kind in LONG or rng.random() < 0.6) else (short, long_)
    lo, hi = cfg["spacing_mm"]["value"]
    cap = cfg["max_side_px"]["value"]
    sp_min = max(lo, max(h_mm, w_mm) / cap)
    sp_max = min(hi, min(h_mm, w_mm) / 1000.0)
    if sp_min > sp_max:                        # too elongated: shrink the long side
        sp = sp_max
        h_mm, w_mm = min(h_mm, cap * sp), min(w_mm, cap * sp)
    else:
        sp = rng.uniform(sp_min, sp_max)
    sp = float(np.floor(sp * 1e4) / 1e4)
    shape = (int(np.clip(round(h_mm / sp), 1000, 2500)), int(np.clip(round(w_mm / sp), 1000, 2500)))
    return shape, sp


def _box(les: np.ndarray) -> tuple[int, int, int, int] | None:
    mx = float(les.max()) if les.size else 0.0
    if mx <= 0:
        return None
    m = les > max(1e-3, 0.01 * mx)
    rows, cols = np.flatnonzero(m.any(axis=1)), np.flatnonzero(m.any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def render_case(seed: int, index: int, label: str, cfg: dict) -> dict:
    """Render one case; deterministic in (seed, index, label). See README for the returned keys."""
    classes = list(cfg["classes"]["value"])
    rng = np.random.default_rng([int(seed), int(index), classes.index(label), SALT])
    kind = _field(rng, cfg, label)
    shape, sp = _geometry(rng, cfg, kind)
    tt = cfg["trabecular_texture"]["value"]
    tex = fields.ridge_texture(rng, tt["period_px"], rng.uniform(*tt["beta"]), rng.uniform(*tt["anisotropy"]),
                               rng.uniform(*tt["ridge_width"]))
    st = cfg["soft_tissue"]["value"]
    rot = np.deg2rad(rng.uniform(*cfg["scene_rotation_deg"]["value"]))
    S = Scene(rng, cfg, kind, shape, sp, tex, int(st["coarse_factor"]), rot, rng.random() < cfg["p_child"]["value"])
    S.flip = bool(rng.random() < cfg["p_flip_lr"]["value"])
    LAYOUTS[kind](S)
    apply_clutter(S)
    soft.heterogeneity(S)
    box = None
    if label != "none":
        for _ in range(6):
            lesions.render_lesion(S, label)
            box = _box(S.cv.layer("lesion"))
            if box is not None:
                break
        if box is None:
            raise RuntimeError(f"lesion {label} fell outside the field")
    rect = _collimation(rng, cfg, shape, box)
    if "lesion" in S.cv.layers:
        S.cv.layer("bone")[...] += S.cv.layers.pop("lesion")
    kvp = rng.uniform(*cfg["kvp"]["value"]["trunk" if kind in TRUNK else "default"])
    A, a_soft = physics.attenuation(rng, cfg, kvp, S.soft.layers, shape, S.cv.layers)
    S.cv.layers.clear()
    cr = rng.random() < cfg["detector"]["value"]["p_cr"]
    raw = physics.detect(rng, cfg, A, a_soft, S.coarse, sp, kind in TRUNK, cr)
    del A
    pc = cfg["processing"]["value"]
    text = None
    if rng.random() < pc["p_text"]:
        text = f"{kind.upper()} {'AP' if rng.random() < 0.7 else 'OBL'} {kvp:.0f}kV {rng.uniform(1, 40):.1f}mAs"
    if S.flip:                                             # mirror the anatomy, not the annotation
        raw = np.ascontiguousarray(raw[:, ::-1])
        w = shape[1]
        rect = (w - rect[2], rect[1], w - rect[0], rect[3])
        if box is not None:
            box = (w - box[2], box[1], w - box[0], box[3])
    d = display.present(rng, cfg, raw, sp, rect, text)
    bits = int(rng.integers(pc["bits"][0], pc["bits"][1] + 1))
    mono1 = bool(rng.random() < pc["p_mono1"])
    pixels = np.ascontiguousarray(display.quantise(d, bits, mono1))
    return {"pixels": pixels, "spacing": sp, "box": box, "kind": kind, "mono1": mono1, "bits": bits,
            "detector": "CR" if cr else "DR"}


def _collimation(rng: np.random.Generator, cfg: dict, shape: tuple[int, int], box) -> tuple[int, int, int, int]:
    """Exposed rectangle (x0, y0, x1, y1) px; widened so the lesion box lies wholly inside it."""
    h, w = shape
    pc = cfg["processing"]["value"]
    if rng.random() >= pc["p_collimation"]:
        return 0, 0, w, h
    m = rng.uniform(*pc["collimation_margin"], 4)
    x0, y0, x1, y1 = int(m[0] * w), int(m[1] * h), int(w - m[2] * w), int(h - m[3] * h)
    if box is not None:
        x0, y0 = min(x0, max(0, box[0] - 20)), min(y0, max(0, box[1] - 20))
        x1, y1 = max(x1, min(w, box[2] + 20)), max(y1, min(h, box[3] + 20))
    return x0, y0, x1, y1
