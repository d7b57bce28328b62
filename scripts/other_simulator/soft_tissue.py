"""Soft-tissue envelopes: elliptic cylinders of fat around muscle, with fat planes (mm)."""

from __future__ import annotations

import math

import numpy as np

from .geometry import Grid, axis_window, ellipse_chord, jittered_centre
from .params import Cfg, Mu, Rng, draw, draw_int
from .scene import Scene


def envelope_halfwidth(env: dict, v: np.ndarray) -> np.ndarray:
    """In-plane half-width (mm) of a limb/trunk envelope at axial position v (mm)."""
    return env["a0"] * (1.0 + env["taper"] * v / 100.0) * (1.0 + env["bulge"] * np.exp(-(v / env["bulge_len"]) ** 2))


def limb_envelope(rng: Rng, cfg: Cfg, g: Grid, a0: float) -> dict:
    """Envelope of a limb of half-width a0 (mm) centred in the image, axis near the vertical."""
    an = cfg["anatomy"]
    origin = jittered_centre(rng, g, an["centre_jitter_frac"])
    return {"origin": origin, "angle": math.pi / 2 + math.radians(draw(rng, an["axis_tilt_deg"])),
            "a0": a0, "k": draw(rng, an["limb_depth_ratio"]), "taper": draw(rng, an["limb_taper_per_100mm"]),
            "bulge": 0.0, "bulge_len": 50.0, "fat": min(draw(rng, an["fat_mm"]), 0.3 * a0)}


def add_envelope(sc: Scene, g: Grid, mu: Mu, rng: Rng, cfg: Cfg, env: dict) -> None:
    """Add an elliptic soft-tissue cylinder (fat shell around muscle) with intermuscular fat
    planes seen tangentially."""
    an = cfg["anatomy"]
    sl, u, v = axis_window(g, g.box, env["origin"], env["angle"])
    a = envelope_halfwidth(env, v)
    c = env["k"] * a
    fat = env["fat"]
    outer = ellipse_chord(u, a, c)
    inner = ellipse_chord(u, a - fat, c - fat)
    L = (mu["fat"] * (outer - inner) + mu["muscle"] * inner) / 10.0
    for _ in range(draw_int(rng, an["fat_septa_count"])):
        depth, width = draw(rng, an["fat_septum_depth_mm"]), draw(rng, an["fat_septum_width_mm"])
        u0 = rng.uniform(-0.75, 0.75) * (env["a0"] - fat)
        wave = rng.uniform(0, 3) * np.sin(2 * np.pi * v / rng.uniform(40, 120) + rng.uniform(0, 6.3))
        prof = np.exp(-((u - u0 - wave) / width) ** 2) * np.clip(inner / depth, 0, 1)
        L += (mu["fat"] - mu["muscle"]) * depth / 10.0 * prof
    sc["L"][sl] += L
    sc["soft"][sl] += outer
