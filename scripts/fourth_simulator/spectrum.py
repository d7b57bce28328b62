"""Tungsten-anode spectrum (Kramers continuum + K lines), filtration, detector response, bins."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .materials import mu

K_LINES = ((59.3, 0.10), (67.2, 0.03))  # keV, fraction of continuum area (W K-alpha, K-beta)


@dataclass
class Spectrum:
    """Energy bins (keV) and detector-weighted photon weights per bin (sum 1)."""
    energies: np.ndarray
    weights: np.ndarray
    quanta_scale: float  # relative number of detected quanta (for noise)


def tungsten(kvp: float, al_mm: float, cu_mm: float, detector: str, n_bins: int = 6) -> Spectrum:
    """Filtered Kramers spectrum, weighted by detector absorption x energy (energy integrating)."""
    e = np.arange(12.0, kvp, 0.5)
    phi = np.clip(kvp - e, 0, None) / e                       # photon number (Kramers)
    area = phi.sum()
    if kvp > 69.5:
        for line, frac in K_LINES:
            phi += frac * area * np.exp(-0.5 * ((e - line) / 0.6) ** 2) / (0.6 * np.sqrt(2 * np.pi) / 0.5)
    phi *= np.exp(-mu("aluminium", e) * al_mm - mu("copper", e) * cu_mm)
    if detector == "cr":
        absorb = 1 - np.exp(-mu("bafbr", e) * 0.25)
    else:
        absorb = 1 - np.exp(-mu("selenium", e) * 0.5)
    w = phi * absorb * e
    edges = np.linspace(e[0], e[-1] + 0.5, n_bins + 1)
    idx = np.clip(np.digitize(e, edges) - 1, 0, n_bins - 1)
    wb = np.bincount(idx, w, n_bins)
    eb = np.bincount(idx, w * e, n_bins) / np.maximum(wb, 1e-12)
    keep = wb > 1e-6 * wb.sum()
    quanta = float((phi * absorb).sum() / max(phi.sum(), 1e-12))
    return Spectrum(eb[keep], wb[keep] / wb[keep].sum(), quanta)
