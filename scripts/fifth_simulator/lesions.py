"""The six calcification patterns as hydroxyapatite line integrals (g/cm^2, layer 'lesion'),
at physical size, placed at sites the source documents name (see ranges.yaml)."""
from __future__ import annotations

import numpy as np


from . import fields, prims
from .scene import Scene, at

LAYER = "lesion"


def _inview(S: Scene, x: float, y: float, m: float = 0.1) -> bool:
    return m * S.W < x < (1 - m) * S.W and m * S.H < y < (1 - m) * S.H


def _limb_point(S: Scene, g: dict, vlo: float, vhi: float, m: float = 0.12) -> tuple[float, float, float]:
    """Random in-view point inside limb ``g`` at |v| in [vlo, vhi] x local radius; returns (x, y, R)."""
    best = None
    for _ in range(60):
        f = S.rng.uniform(0.02, 0.98)
        R = float(np.interp(f, g["s"], g["R"]))
        x, y = at(g["x"], g["y"], g["ang"], f * g["L"], S.rng.choice([-1, 1]) * S.rng.uniform(vlo, vhi) * R)
        best = (x, y, R)
        if _inview(S, x, y, m):
            return best
    return (S.W / 2, S.H / 2, best[2] if best else 40.0)


def _limb(S: Scene) -> dict:
    ls = S.sites["limb"]
    if not ls:
        return {"x": S.W / 2, "y": 0.0, "ang": np.pi / 2, "L": S.H, "s": np.array([0, 1.0]),
                "R": np.array([S.W / 3] * 2), "fat": 12.0, "depth": 1}
    return ls[int(S.rng.integers(len(ls)))]


def _vis(S: Scene) -> float:
    return float(S.rng.uniform(*S.cfg["lesion_visibility_scale"]["value"]))


def rice_grain(S: Scene, c: dict) -> None:
    """Many fusiform foci along the muscle fibres (cysticercosis)."""
    g = _limb(S)
    fat = g["fat"]
    x0, y0, R = _limb_point(S, g, 0.0, 0.5)
    n = int(S.rng.integers(*c["count"]))
    span_u, span_v = S.rng.uniform(40, 220), S.rng.uniform(0.3, 0.8) * max(R - fat, 10)
    jit = np.deg2rad(S.rng.uniform(*c["axis_jitter_deg"]))
    vis = _vis(S)
    for _ in range(n):
        x, y = at(x0, y0, g["ang"], S.rng.uniform(-0.5, 0.5) * span_u, S.rng.uniform(-1, 1) * span_v)
        if not _inview(S, x, y, 0.03):
            continue
        L = S.rng.uniform(*c["length_mm"])
        b = L / 2 / S.rng.uniform(*c["aspect"])
        rho = S.rng.uniform(*c["conc"]) * vis
        a = g["ang"] + S.rng.normal(0, jit)                   # fusiform: pointed spindle
        sx, sy = at(x, y, a, -L / 2, 0)
        S.cv.add(LAYER, prims.tube(S.cv, sx, sy, a, L, [0, 0.3, 0.5, 0.7, 1], [0.25 * b, 0.9 * b, b, 0.9 * b, 0.25 * b],
                                   [b] * 5, [1] * 5, rho, rho, 0.4, 0.4))


def phlebolith_ring(S: Scene, c: dict) -> None:
    """Round/oval calcifications with a lucent centre, sometimes laminated, single or clustered."""
    vs = [v for v in S.sites["vein"] if _inview(S, v[0], v[1], 0.08)]
    if vs and S.rng.random() < 0.8:
        x0, y0, spread = vs[int(S.rng.integers(len(vs)))]
    else:
        x0, y0, _ = _limb_point(S, _limb(S), 0.2, 0.95)
        spread = S.rng.uniform(*c["cluster_mm"])
    n = int(S.rng.integers(c["count"][0], c["count"][1] + 1)) if S.rng.random() < 0.75 else 1
    vis = _vis(S)
    for k in range(n):
        x, y = (x0, y0) if k == 0 else (x0 + S.rng.normal(0, spread / 2), y0 + S.rng.normal(0, spread / 2))
        if not _inview(S, x, y, 0.03):
            continue
        d = S.rng.uniform(*c["diam_mm"])
        a, e = d / 2, S.rng.uniform(*c["ellipticity"])
        wall = max(0.4, a * S.rng.uniform(*c["wall_frac"]))
        rho, ang = S.rng.uniform(*c["conc"]) * vis, S.rng.uniform(0, np.pi)
        S.cv.add(LAYER, prims.ellipsoid(S.cv, x, y, a, a / e, a, ang, wall, rho, rho * S.rng.uniform(0.0, 0.12),
                                        tex_on=False))
        if S.rng.random() < c["p_laminated"] and a > 2.0:
            ai = a - wall - S.rng.uniform(0.3, 0.8)
            if ai > 0.8:
                S.cv.add(LAYER, prims.ellipsoid(S.cv, x, y, ai, ai / e, ai, ang, 0.35, rho * 0.7, 0.0, tex_on=False))


def _field_sampler(S: Scene, Lu: float, Lv: float, ds: float, fn) -> callable:
    """Precompute a pattern on a local (u, v) grid of pitch ds mm; return a nearest lookup f(u, v)."""
    nu, nv = int(Lu / ds) + 2, int(Lv / ds) + 2
    F = fn(nu, nv)

    def look(u, v):
        iu = np.clip(((u + Lu / 2) / ds).astype(np.int32), 0, nu - 1)
        iv = np.clip(((v + Lv / 2) / ds).astype(np.int32), 0, nv - 1)
        inside = (np.abs(u) < Lu / 2) & (np.abs(v) < Lv / 2)
        return F[iu, iv] * inside
    return look


def sheet(S: Scene, c: dict) -> None:
    """Confluent or reticulated deposits in subcutaneous fat and fascial planes (calcinosis universalis)."""
    g = _limb(S)
    x, y, R = _limb_point(S, g, 0.1, 0.9, m=0.2)
    Lu, Lv = S.rng.uniform(*c["length_mm"]), S.rng.uniform(*c["width_mm"])
    Lu = min(Lu, 0.85 * max(S.W, S.H))
    ret = S.rng.random() < c["p_reticulated"]
    rho = S.rng.uniform(*c["conc"]) * _vis(S)
    depth = S.rng.uniform(*c["depth_mm"])
    ds = 0.4

    def pattern(nu, nv):
        f = fields.powerlaw(S.rng, (nu, nv), S.rng.uniform(2.6, 3.4), aniso=S.rng.uniform(1.5, 4), angle=0.0,
                            fmin=0.02)
        if ret:
            p = np.exp(-(f / S.rng.uniform(0.25, 0.45)) ** 2)          # lace-like network
        else:
            p = np.clip((f - S.rng.uniform(-0.3, 0.6)) * 1.5, 0, 1)    # confluent plaques
        uu = np.linspace(-1, 1, nu)[:, None]
        vv = np.linspace(-1, 1, nv)[None, :]
        blob = fields.powerlaw(S.rng, (nu, nv), 3.5, aniso=2.0, angle=0.0, fmin=0.01)
        env = np.clip((1 - uu ** 2 - vv ** 2 + 0.45 * blob) * 2.5, 0, 1)      # irregular outline
        for _ in range(int(S.rng.integers(0, 4))):                       # interfascial streaks
            p = p + 0.8 * np.exp(-((vv - S.rng.uniform(-0.8, 0.8)) / 0.03) ** 2) * (S.rng.random((nu, 1)) > 0.3)
        out = np.clip(p, 0, 1.3) * env
        out[0, :] = out[-1, :] = 0
        out[:, 0] = out[:, -1] = 0
        return out.astype(np.float32)
    look = _field_sampler(S, Lu, Lv, ds, pattern)
    u0, v0 = prims.local(np.float32(x), np.float32(y), g["x"], g["y"], g["ang"])

    def fn(u, v):                                   # confined to the limb's soft tissue
        R = np.interp(np.clip((u + u0) / g["L"], 0, 1).ravel(), g["s"], g["R"]).reshape(u.shape)
        inside = np.clip((R - np.abs(v + v0)) / 1.5, 0, 1)
        return look(u, v) * inside * rho * depth * 0.1
    S.cv.add(LAYER, prims.shape_patch(S.cv, x, y, g["ang"], max(Lu, Lv) / 2 + 2, fn))


def tumoral_glob(S: Scene, c: dict) -> None:
    """Large lobulated amorphous periarticular mass, sometimes with fluid-calcium levels."""
    ps = S.sites["peri"] or [(S.W / 2, S.H / 2, 40)]
    for _ in range(30):
        jx, jy, jr = ps[int(S.rng.integers(len(ps)))]
        a = S.rng.uniform(0, 6.28)
        x, y = jx + np.cos(a) * jr * S.rng.uniform(0.3, 1.1), jy + np.sin(a) * jr * S.rng.uniform(0.3, 1.1)
        if _inview(S, x, y, 0.2):
            break
    D = min(S.rng.uniform(*c["size_mm"]), 0.5 * min(S.W, S.H), 2.5 * jr)
    rho0 = S.rng.uniform(*c["conc"]) * _vis(S)
    fluid = S.rng.random() < c["p_fluid_level"]
    n = int(S.rng.integers(*c["lobules"]))
    acc = []
    for _ in range(n):
        r = D * S.rng.uniform(0.1, 0.28)
        lx, ly = x + S.rng.normal(0, D / 4.5), y + S.rng.normal(0, D / 4.5)
        p = prims.ellipsoid(S.cv, lx, ly, r, r * S.rng.uniform(0.7, 1), r, S.rng.uniform(0, 3),
                            r * S.rng.uniform(0.05, 0.12) if fluid else r, rho0 * (0.5 if fluid else 1),
                            rho0 * (0.2 if fluid else 1), tex_on=False)
        if p is None:
            continue
        if fluid:                                               # dense sediment below a horizontal level
            y0, y1, x0, x1, arr = p
            lev = ly + r * S.rng.uniform(-0.2, 0.5)
            yy = (np.arange(y0, y1) + 0.5) * S.cv.sp
            dep = (yy > lev).astype(np.float32)[:, None]
            ri2 = np.float32((0.85 * r) ** 2)
            inner = prims.shape_patch(S.cv, lx, ly, 0.0, r + 1.0,
                                      lambda u, v: prims.chord(ri2, u * u + v * v) * 0.1 * rho0 * 1.2)
            if inner is not None and inner[4].shape == arr.shape:
                arr = arr + inner[4] * dep
            p = (y0, y1, x0, x1, arr)
        acc.append(p)
    if not acc:
        return
    y0, y1 = min(p[0] for p in acc), max(p[1] for p in acc)
    x0, x1 = min(p[2] for p in acc), max(p[3] for p in acc)
    tot = np.zeros((y1 - y0, x1 - x0), np.float32)
    for py0, py1, px0, px1, a in acc:
        tot[py0 - y0:py1 - y0, px0 - x0:px1 - x0] += a
    cap = rho0 * D * 0.1 * 0.9
    tot = cap * (1 - np.exp(-tot / cap))                        # overlapping lobules saturate
    mott = fields.powerlaw(S.rng, (max(8, (y1 - y0) // 3), max(8, (x1 - x0) // 3)), 2.2, fmin=0.05)
    mott = fields.upsample(mott, tot.shape)
    S.cv.add(LAYER, (y0, y1, x0, x1, tot * np.clip(0.8 + 0.25 * mott, 0.3, 1.4)))


def chondrocalcinosis_line(S: Scene, c: dict) -> None:
    """Thin stippled line paralleling the articular surface + punctate fibrocartilage foci."""
    js = S.sites["joint"]
    if not js:
        return rice_grain(S, S.cfg["rice_grain"]["value"])
    vis = _vis(S)
    use = [j for j in js if _inview(S, j["x"], j["y"], 0.05)] or js
    for j in use:
        if len(use) > 1 and S.rng.random() < 0.25:
            continue
        off = S.rng.uniform(*c["cartilage_offset_mm"])
        th = S.rng.uniform(*c["thickness_mm"])
        rho = S.rng.uniform(*c["conc"]) * vis
        depth = S.rng.uniform(8, 25)
        gap = S.rng.uniform(*c["gap_frac"])
        ts = np.linspace(j["t0"], j["t1"], 40)
        pts = [at(j["x"], j["y"], j["ang"], (j["a"] + off) * np.cos(t), (j["b"] + off) * np.sin(t)) for t in ts]
        for p0, p1 in zip(pts[:-1], pts[1:]):
            if S.rng.random() < gap:
                continue
            L, a = np.hypot(p1[0] - p0[0], p1[1] - p0[1]), np.arctan2(p1[1] - p0[1], p1[0] - p0[0])
            S.cv.add(LAYER, prims.tube(S.cv, *p0, a, L, [0, 1], [th / 2] * 2, [th / 2] * 2, [0, 0],
                                       rho * S.rng.uniform(0.6, 1.2), 0.0, 1, 1, depth=depth / th))
        for dx, dy in j["dots"]:
            for _ in range(int(S.rng.integers(*c["meniscus_dots"]))):
                r = S.rng.uniform(0.3, 0.9)
                S.cv.add(LAYER, prims.ellipsoid(S.cv, dx + S.rng.normal(0, 4), dy + S.rng.normal(0, 2), r * S.rng.uniform(1, 3),
                                                r, 6 * r, S.rng.uniform(0, 3), r, rho, rho, tex_on=False))


def trabeculated_ossification(S: Scene, c: dict) -> None:
    """Ordered heterotopic bone: peripheral cortex, internal trabeculae (mature at the periphery),
    separated from the adjacent shaft by a lucent cleft."""
    sh = [s for s in S.sites["shaft"] if _inview(S, s[0], s[1], 0.15)]
    L = S.rng.uniform(*c["length_mm"])
    L = min(L, 0.6 * max(S.W, S.H))
    Wd = L * S.rng.uniform(*c["width_frac"])
    if sh:
        x, y, ang, R = sh[int(S.rng.integers(len(sh)))]
        x, y = at(x, y, ang, 0, S.rng.choice([-1, 1]) * (R + S.rng.uniform(*c["cleft_mm"]) + Wd / 2))
    else:
        ps = S.sites["peri"] or [(S.W / 2, S.H / 2, 40)]
        jx, jy, jr = ps[int(S.rng.integers(len(ps)))]
        x, y, ang = jx + jr * 0.8, jy, S.rng.uniform(0, np.pi)
    vis = _vis(S)
    ctx, rc, ri = S.rng.uniform(*c["cortex_mm"]), S.rng.uniform(*c["conc_cortex"]) * vis, S.rng.uniform(*c["conc_inner"]) * vis
    ang = ang + S.rng.normal(0, 0.15)
    a, b, dep = L / 2, Wd / 2, Wd / 2 * S.rng.uniform(0.7, 1.1)
    harm = [(S.rng.normal(0, 0.06), S.rng.uniform(0, 6.28)) for _ in range(4)]
    S.cv.add(LAYER, prims.ellipsoid(S.cv, x, y, a, b, dep, ang, ctx, rc, ri, off=S.off(), harm=harm))
    zone = S.rng.uniform(0.25, 0.45) * b                               # maturing outer zone
    S.cv.add(LAYER, prims.ellipsoid(S.cv, x, y, a - ctx, b - ctx, dep - ctx, ang, zone, ri * 0.8, 0.0,
                                    off=S.off(), harm=harm))


RENDER = {"rice_grain": rice_grain, "phlebolith_ring": phlebolith_ring, "sheet": sheet,
          "tumoral_glob": tumoral_glob, "chondrocalcinosis_line": chondrocalcinosis_line,
          "trabeculated_ossification": trabeculated_ossification}


def render_lesion(S: Scene, label: str) -> None:
    """Draw the lesion of class ``label`` (nothing for 'none')."""
    if label in RENDER:
        RENDER[label](S, S.cfg[label]["value"])

