"""Canonical layouts of the trunk-girdle fields: hip, pelvis, shoulder, chest wall (mm)."""
from __future__ import annotations

import numpy as np

from . import bones, prims, soft
from .layouts_limb import DOWN, _joint, _peri
from .scene import Scene, at


def _plate(S: Scene, x, y, r0, aspect, ang, thick, rim, holes=(), harm_n=4, harm_a=0.12):
    x, y = S.pt(x, y)
    harm = [(S.rng.normal(0, harm_a), S.rng.uniform(0, 6.28)) for _ in range(harm_n)]
    S.cv.add("bone", prims.plate(S.cv, x, y, r0, aspect, S.ang(ang), harm, thick, rim, S.rng.uniform(1.5, 3.0),
                                 S.rho_c, S.rho_t, holes, off=S.off()))


def vertebra(S: Scene, x: float, y: float, w: float, h: float) -> None:
    """Vertebral body (en face, rim-bright plate) with pedicle rings and spinous process."""
    _plate(S, x, y, h / 2, w / h, 0.0, 30, 4.0, harm_n=2, harm_a=0.03)
    for dx in (-0.36 * w, 0.36 * w):
        px, py = S.pt(x + dx, y - 0.15 * h)
        S.cv.add("bone", prims.ellipsoid(S.cv, px, py, 5, 7.5, 10, S.ang(0), 1.5, S.rho_c * 0.6, S.rho_t,
                                         tex_on=False))
    px, py = S.pt(x, y + 0.25 * h)
    S.cv.add("bone", prims.ellipsoid(S.cv, px, py, 5, 9, 10, S.ang(0), 1.5, S.rho_c * 0.6, S.rho_t, tex_on=False))


def pelvis_bones(S: Scene, cx: float, cy: float, sides=(-1, 1)) -> None:
    """Sacrum, ilia, pubis/ischium rings with obturator foramina, acetabula, proximal femora."""
    r = S.rng
    foram = [(dv, du, 4.0, 3.0) for du in (-28, -12, 4, 20) for dv in (-16, 16)]    # sacral foramina
    _plate(S, cx, cy - 40, 48, 0.8, np.pi / 2, 25, 3.0, holes=foram, harm_n=3, harm_a=0.06)
    for k in range(3):
        vertebra(S, cx, cy - 120 - 42 * k, 52, 32)
    for sd in sides:
        _plate(S, cx + sd * 95, cy - 70, 70, 1.1, sd * 0.35, 6, 5.0, harm_n=4, harm_a=0.08)   # iliac wing
        _plate(S, cx + sd * 50, cy + 52, 36, 1.3, 0.0, 10, 3.0, holes=[(sd * 4, 0, 24, 16)], harm_n=3, harm_a=0.05)
        ea, eb = r.uniform(55, 68), r.uniform(42, 52)                      # pelvic inlet (iliopectineal line)
        brim = [S.pt(cx + sd * ea * np.cos(t), cy - 12 + eb * np.sin(t)) for t in np.linspace(-1.75, 1.45, 9)]
        S.cv.add_union("bone", prims.chain(S.cv, brim, [1.8] * 9, 1.0, S.rho_c * 0.55, S.rho_t * 0.5))
        hx, hy = cx + sd * 92 + r.normal(0, 3), cy + 12
        g = bones.femur(S, hx + sd * 46, hy + 9, DOWN + sd * 0.12, sd, proximal=True, distal=False)
        ax, ay, hr = g["head"]
        arc = [(ax + (hr + 3) * np.cos(t), ay + (hr + 3) * np.sin(t)) for t in np.linspace(-2.7, -0.5, 6)]
        S.cv.add_union("bone", prims.chain(S.cv, arc, [2.0] * 6, 1.0, S.rho_c * 0.9, S.rho_t))   # sourcil
        S.cv.add("bone", prims.ellipsoid(S.cv, ax, ay, hr + 6, hr + 6, 12, 0.0, 3.0, S.rho_c, S.rho_t * 0.5,
                                         tex_on=False))                                       # acetabulum
        _joint(S, *g["head"][:2], g["head"][2], g["head"][2], S.ang(-DOWN), -1.3, 1.3,
               [at(*g["head"][:2], S.ang(-DOWN), g["head"][2] + 3, sd * 20)], canonical=False)
        _peri(S, *g["head"][:2], 60, canonical=False)
        S.sites["vein"].append((*S.pt(cx + sd * 50, cy + 35), 22.0))


def _trunk(S: Scene, cx: float, width: float, depth_mm: float) -> None:
    soft.limb(S, cx, -80, DOWN, S.H + 160, [width / 2] * 3, S.rng.uniform(10, 35), depth_mm / width,
              site=False)


def pelvis(S: Scene) -> None:
    r, W, H = S.rng, S.W, S.H
    cx, cy = W / 2 + r.normal(0, 8), H * r.uniform(0.5, 0.6)
    _trunk(S, cx, W * r.uniform(1.05, 1.3), r.uniform(170, 250))
    pelvis_bones(S, cx, cy)
    S.sites["gas"].append((*S.pt(cx, cy - 60), 110.0))


def hip(S: Scene) -> None:
    r, W, H = S.rng, S.W, S.H
    sd = int(r.choice([-1, 1]))
    cx, cy = W / 2 - sd * 92 + r.normal(0, 10), H * r.uniform(0.38, 0.48)
    _trunk(S, cx, 360, r.uniform(170, 240))
    soft.limb(S, W / 2 + sd * 30, cy - 40, DOWN, H, [r.uniform(85, 100), r.uniform(70, 85)], r.uniform(8, 30), 0.9,
              union=True)
    pelvis_bones(S, cx, cy, sides=(sd,))
    S.sites["gas"].append((*S.pt(cx, cy - 50), 70.0))


def _rib(S: Scene, x0, y0, sd, length, drop, arch, rad, rho_scale=1.0):
    t = np.linspace(0, 1, 7)
    pts = [S.pt(x0 + sd * length * ti, y0 + drop * ti - arch * np.sin(np.pi * ti)) for ti in t]
    rr = list(np.linspace(rad, rad * 0.8, 7))
    S.cv.add_union("bone", prims.chain(S.cv, pts, rr, 1.4, S.rho_c * rho_scale, S.rho_t * rho_scale, 0.8,
                                       off=S.off()))


def ribs(S: Scene, xs: float, y0: float, sd: int, n: int, spacing: float, lat: float) -> None:
    """Posterior ribs from the spine at ``xs`` curving laterally (side ``sd``) and anterior ribs."""
    r = S.rng
    for k in range(n):
        y = y0 + k * spacing
        _rib(S, xs, y, sd, lat * r.uniform(0.9, 1.05), 25 + 4 * k, 22, r.uniform(5, 6.5))
        _rib(S, xs + sd * lat, y + 40, -sd, lat * 0.75, 35, -10, r.uniform(4, 5), 0.7)


def chest_wall(S: Scene) -> None:
    r, W, H = S.rng, S.W, S.H
    sd = int(r.choice([-1, 1]))
    xs = W / 2 - sd * W * r.uniform(0.3, 0.42)                 # spine near one edge
    _trunk(S, xs + sd * 20, 360, r.uniform(200, 260))
    soft.cavity(S, xs + sd * 85, H * 0.55, 75, H * 0.5, 100)
    for k in range(int(H // 30)):
        vertebra(S, xs, 15 + k * 30, 44, 24)
    ribs(S, xs, -20 + r.uniform(-10, 10), sd, int(H // 26) + 1, r.uniform(25, 30), r.uniform(190, 230))
    pts = [S.pt(xs + sd * d, y) for d, y in ((20, 25), (70, 35), (120, 28), (160, 15))]
    S.cv.add_union("bone", prims.chain(S.cv, pts, [8, 7, 6.5, 8], 2.0, S.rho_c, S.rho_t, off=S.off()))
    S.sites["limb"].append({"x": S.pt(xs + sd * 150, 0)[0], "y": S.pt(xs + sd * 150, 0)[1], "ang": S.ang(DOWN),
                            "L": H, "s": np.array([0, 1.0]), "R": np.array([60.0, 60.0]), "fat": 15.0, "depth": 1})


def shoulder(S: Scene) -> None:
    r, W, H = S.rng, S.W, S.H
    sd = int(r.choice([-1, 1]))
    gx, gy = W / 2 + sd * r.uniform(10, 40), H * r.uniform(0.35, 0.45)    # glenohumeral joint
    _trunk(S, gx - sd * 160, 380, r.uniform(190, 240))
    soft.limb(S, gx + sd * 25, gy - 40, DOWN, H, [r.uniform(55, 65), r.uniform(45, 55)], r.uniform(6, 22), 0.95)
    soft.cavity(S, gx - sd * 120, gy + 80, 70, 130, 90)
    ribs(S, gx - sd * 260, gy - 60, sd, 6, 28, 230)
    _plate(S, gx - sd * 55, gy + 45, 55, 0.8, DOWN + sd * 0.2, 5, 4.0, harm_n=3, harm_a=0.12)      # scapula
    gxy = S.pt(gx - sd * 6, gy)
    S.cv.add("bone", prims.ellipsoid(S.cv, *gxy, 18, 7, 14, S.ang(DOWN), 2.0, S.rho_c, S.rho_t))       # glenoid
    hum = bones.humerus(S, gx + sd * 16, gy - 4, DOWN + sd * 0.05, sd)
    pts = [S.pt(gx - sd * d, gy - h) for d, h in ((-10, 38), (20, 42), (70, 50), (120, 48), (160, 62))]
    S.cv.add_union("bone", prims.chain(S.cv, pts, [9, 8, 6.5, 7, 9], 2.0, S.rho_c, S.rho_t, off=S.off()))
    S.cv.add("bone", prims.ellipsoid(S.cv, *S.pt(gx - sd * 22, gy - 22), 14, 8, 12, S.ang(0.4 * sd), 1.5,
                                     S.rho_c, S.rho_t))                                                 # coracoid
    hx, hy = at(hum["x"], hum["y"], hum["ang"], 0.03 * hum["L"], 10 * sd)
    _joint(S, hx, hy, 24, 24, S.ang(np.pi if sd > 0 else 0.0), -0.9, 0.9, [], canonical=False)
    _peri(S, hx, hy, 60, canonical=False)
