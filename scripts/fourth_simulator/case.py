"""render_case: one radiograph of one class, deterministic for (seed, index, label).

Random streams: field choice (class-dependent), anatomy (field-dependent), geometry/beam/
detector/processing (label-independent), lesion (class), confusers (label-independent).
"""
from __future__ import annotations

import numpy as np

from . import confusers, fields_lower as fl, fields_upper as fu, lesions
from .detector import expose, heel_and_falloff, scatter
from .geometry import Beam, rotation
from .params import P, U, V
from .processing import to_display
from .render import Grid, add_fine, coarse_maps, fine_path, polychromatic, upsample
from .scene import Fine, Limb, Scene
from .spectrum import tungsten

FIELD_BUILDERS = {"knee": fl.knee, "hip_pelvis": fl.hip_pelvis, "thigh": fl.thigh, "leg": fl.leg,
                  "ankle_foot": fl.ankle_foot, "shoulder": fu.shoulder, "arm_elbow": fu.arm_elbow,
                  "forearm_wrist": fu.forearm_wrist, "hand": fu.hand}


def _move_scene(sc: Scene, Rg: np.ndarray, t: np.ndarray, k: float) -> None:
    """Anatomical frame -> world frame, in place."""
    for b in sc.bones:
        b.parts = [(o.moved(Rg, t, k), i.moved(Rg, t, k)) for o, i in b.parts]
    sc.limbs = [Limb(l.outer.moved(Rg, t, k), l.fat * k) for l in sc.limbs]
    for s in sc.softs:
        s.prim = s.prim.moved(Rg, t, k)
    sc.coarse_extra = [(p.moved(Rg, t, k), m, d, pat) for p, m, d, pat in sc.coarse_extra]


def _move_fine(f: Fine, Rg: np.ndarray, t: np.ndarray, k: float) -> Fine:
    parts = []
    for prim, w, plane in f.parts:
        if plane is not None:
            n = Rg @ np.asarray(plane[0], float)
            plane = (n, k * plane[1] + float(n @ t))
        parts.append((prim.moved(Rg, t, k), w, plane))
    return Fine(parts, f.material, f.density, f.texture, True, f.lesion)


def _anchor_for_none(rng, sc: Scene) -> np.ndarray:
    cands = [np.asarray(p, float) for p, _ in sc.sites["peri"]] + [np.asarray(j["c"], float) for j in sc.sites["joints"]]
    a0, a1, _ = sc.sites["axis"]
    cands.append((np.asarray(a0, float) + np.asarray(a1, float)) / 2)
    return cands[int(rng.integers(len(cands)))]


def _detector_grid(rng, cfg, sc: Scene, M: float, cr: bool):
    """Pixel pitch (mm) and matrix size such that the object-plane field of view is ~sc.fov."""
    p = U(rng, cfg, "detector_pixel_cr_mm" if cr else "detector_pixel_dx_mm")
    lo, hi = V(cfg, "rows_cols")
    f = 2 if p >= 0.16 else 3
    fx, fy = sc.fov
    if rng.random() < 0.2:
        fx, fy = fy, fx
    n = [int(np.clip(v * M / p, lo, hi)) // (2 * f) * (2 * f) for v in (fy, fx)]
    n = [max(v, (lo + 2 * f - 1) // (2 * f) * (2 * f)) for v in n]
    return Grid(n[0], n[1], p, f)


def render_case(seed: int, index: int, label: str, cfg: dict) -> dict:
    """Render one case; see the package README for the returned keys."""
    classes = V(cfg, "classes")
    ci = classes.index(label)
    fields = V(cfg, "fields")
    w = np.asarray(V(cfg, "field_weights")[label], float)
    kind = fields[int(np.random.default_rng([seed, index, 0, ci]).choice(len(fields), p=w / w.sum()))]
    rng_a = np.random.default_rng([seed, index, 1, fields.index(kind)])
    rng_g = np.random.default_rng([seed, index, 2])
    rng_l = np.random.default_rng([seed, index, 3, ci])
    rng_c = np.random.default_rng([seed, index, 4])
    rng_n = np.random.default_rng([seed, index, 5])
    sc = FIELD_BUILDERS[kind](rng_a, cfg)

    k = U(rng_g, cfg, "limb_scale")
    flip = np.diag([rng_g.choice([-1.0, 1.0]), 1.0, 1.0])
    rot, obl = V(cfg, "in_plane_rotation_deg"), V(cfg, "oblique_rotation_deg")
    Rg = rotation(np.radians(rng_g.uniform(-rot, rot)), np.radians(rng_g.uniform(-6, 6)),
                  np.radians(rng_g.uniform(-obl, obl))) @ flip
    down = Rg.T @ np.array([0.0, 1.0, 0.0])
    sid = U(rng_g, cfg, "sid_mm")
    m_lo, m_hi = V(cfg, "magnification")
    half = k * sc.thickness / 2 + 15
    M = float(np.clip(max(rng_g.uniform(m_lo, m_hi), sid / (sid - half)), m_lo, m_hi))
    h = sid * (1 - 1 / M)
    cr = P(rng_g, cfg, "p_cr")
    grid = _detector_grid(rng_g, cfg, sc, M, cr)
    so = V(cfg, "source_offset_mm")
    beam = Beam(sid, rng_g.uniform(-so, so), rng_g.uniform(-so, so))

    if label == "none":
        fines_l, anchor = [], _anchor_for_none(rng_l, sc)
    else:
        fines_l, anchor = lesions.BUILDERS[label](rng_l, cfg, sc, k, down)
    fov_x, fov_y = grid.w * grid.pix / M, grid.h * grid.pix / M
    a_w = k * (Rg @ anchor)
    off = np.array([rng_g.uniform(-0.22, 0.22) * fov_x, rng_g.uniform(-0.22, 0.22) * fov_y])
    t = np.array([off[0] - a_w[0], off[1] - a_w[1], h])

    cshape = (grid.h // grid.f, grid.w // grid.f)
    fines_c = confusers.anatomical(rng_c, cfg, sc, cshape, grid.pix * grid.f)
    fines_w = confusers.world(rng_c, cfg, grid.w * grid.pix / 2, grid.h * grid.pix / 2)
    _move_scene(sc, Rg, t, k)
    fines = [_move_fine(f, Rg, t, k) for f in fines_c + fines_l] + fines_w

    kvp = U(rng_g, cfg, "kvp")
    cu = U(rng_g, cfg, "cu_filter_mm") if P(rng_g, cfg, "p_cu_filter") else 0.0
    spec = tungsten(kvp, U(rng_g, cfg, "filtration_al_mm"), cu, "cr" if cr else "dx")
    tex_dir = np.arctan2(*(Rg @ [0, 1.0, 0])[[1, 0]])
    maps = coarse_maps(sc, beam, grid, rng_n, U(rng_n, cfg, "trabecular_period_mm"), tex_dir)
    logp_c, wb = polychromatic(maps, spec)
    logp_c += np.log(heel_and_falloff(grid, sid, U(rng_g, cfg, "heel_gradient"), int(rng_g.integers(2)),
                                      rng_g.choice([-1.0, 1.0])))
    scat_c = scatter(np.exp(logp_c), logp_c, float(spec.energies @ spec.weights), grid, rng_g, cfg,
                     P(rng_g, cfg, "p_grid"))
    logp = upsample(logp_c, grid.f)
    box = None
    for f in fines:
        L, bx = fine_path(f, beam, grid, rng_n)
        if L is None:
            continue
        add_fine(logp, wb, L, bx, f.material, spec, grid.f)
        if f.lesion:
            ys, xs = np.nonzero(L > 0.05)
            if len(ys):
                b = (bx[1].start + xs.min(), bx[0].start + ys.min(), bx[1].start + xs.max() + 1, bx[0].start + ys.max() + 1)
                box = b if box is None else (min(box[0], b[0]), min(box[1], b[1]), max(box[2], b[2]), max(box[3], b[3]))
    field, fbox = _collimation(rng_g, cfg, grid, box)
    if box is not None:
        box = (max(box[0], fbox[0]), max(box[1], fbox[1]), min(box[2], fbox[2]), min(box[3], fbox[3]))
        box = tuple(int(v) for v in box)
    blur = U(rng_g, cfg, "focal_spot_mm") * (M - 1) / 2.355 / grid.pix
    sig = expose(np.exp(logp), scat_c, field, grid, rng_n, cfg, "cr" if cr else "dx", blur)
    bits = int(rng_g.integers(V(cfg, "bits")[0], V(cfg, "bits")[1] + 1))
    mono1 = P(rng_g, cfg, "p_mono1")
    pixels = to_display(sig, field, rng_g, cfg, bits, mono1)
    m_est = M * (1 + rng_g.uniform(-1, 1) * V(cfg, "magnification_estimate_error"))
    spacing = round(grid.pix if cr else grid.pix / m_est, 6)
    return dict(pixels=pixels, spacing=float(spacing), box=box if label != "none" else None, kind=kind,
                mono1=bool(mono1), bits=bits, modality="CR" if cr else "DX", imager_spacing=round(float(grid.pix), 6),
                pixel_spacing=None if cr else float(spacing), kvp=float(kvp), sid=float(sid),
                magnification=float(M), label=label)


def _collimation(rng, cfg, grid: Grid, box):
    """Soft-edged rectangular field mask (full res) containing the lesion box; and its pixel box."""
    lo, hi = V(cfg, "collimation_margin")
    if P(rng, cfg, "p_collimation"):
        mx0, mx1, my0, my1 = (rng.uniform(lo, hi) for _ in range(4))
    else:
        mx0 = mx1 = my0 = my1 = 0.0
    x0, x1 = int(mx0 * grid.w), grid.w - int(mx1 * grid.w)
    y0, y1 = int(my0 * grid.h), grid.h - int(my1 * grid.h)
    if box is not None:
        x0, y0 = min(x0, max(box[0] - 20, 0)), min(y0, max(box[1] - 20, 0))
        x1, y1 = max(x1, min(box[2] + 20, grid.w)), max(y1, min(box[3] + 20, grid.h))
    pen = 3.0
    cx = np.arange(grid.w) + 0.5
    cy = np.arange(grid.h) + 0.5
    fx = np.clip(np.minimum(cx - x0, x1 - cx) / pen + 0.5, 0, 1).astype(np.float32)
    fy = np.clip(np.minimum(cy - y0, y1 - cy) / pen + 0.5, 0, 1).astype(np.float32)
    return fy[:, None] * fx[None, :], (x0, y0, x1, y1)
