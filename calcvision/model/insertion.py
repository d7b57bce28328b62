"""Lesion insertion: a lesion's line integral added to another image's display values.

Display values are processed, not log signal, so ``1 - display`` is treated like a
transmission: ``display' = 1 - (1 - display) exp(-k L)`` for the lesion's excess line
integral ``L`` (dimensionless, ``mu * t``). Contrast fades towards white as on a film-like
tone curve and never clips. ``k`` sets the local gain at the image's median display value to
the image's display span over its line-integral span (an extremity or chest: 2.5-4, soft
tissue to bone). Used in training (``data.transplant``: a phantom's lesion on another image's
background) and by ``scripts/bench_real_anatomy.py`` (simulator lesions on real plates)."""

from __future__ import annotations

import numpy as np


def insertion_gain(lo: float, median: float, hi: float, line_integral_span: float) -> float:
    """``k`` for an image whose display values span ``lo``-``hi`` (0..1, e.g. its 1st and 99th
    percentiles) around ``median``, over ``line_integral_span`` of attenuation."""
    return (hi - lo) / line_integral_span / max(1.0 - median, 0.05)


def insert_line_integral(display: np.ndarray, line_integral: np.ndarray, k: float,
                         median: float | None = None) -> np.ndarray:
    """``display`` (0..1, white = dense) with ``line_integral`` (same shape) inserted at gain ``k``.

    With ``median`` (the image's median display value), instead the operator of a display that
    is linear in log signal: ``display + k (1 - median) L``, clipped to 1, the same gain at the
    median but undimmed over bright bone: a second insertion to check that a model has not
    learnt the first one's look."""
    if median is not None:
        return np.minimum(display + k * (1.0 - median) * line_integral, 1.0)
    return 1.0 - (1.0 - display) * np.exp(-k * line_integral)


def window_of(patch: np.ndarray, at: tuple[int, int], origin: tuple[int, int], size: int) -> np.ndarray:
    """The ``size`` x ``size`` window at ``origin`` (y, x) of an image that is zero except for
    ``patch`` placed at ``at`` (y, x): how a lesion stored as its bounding patch is cut into a tile."""
    out = np.zeros((size, size), np.float32)
    (ay, ax), (oy, ox) = at, origin
    y0, x0 = max(ay, oy), max(ax, ox)
    y1, x1 = min(ay + patch.shape[0], oy + size), min(ax + patch.shape[1], ox + size)
    if y0 < y1 and x0 < x1:
        out[y0 - oy:y1 - oy, x0 - ox:x1 - ox] = patch[y0 - ay:y1 - ay, x0 - ax:x1 - ax]
    return out
