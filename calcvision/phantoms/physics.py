"""X-ray image formation: Beer-Lambert line integrals, heel effect, scatter, quantum and
electronic noise, detector blur, negative log. Intensities in detected photons per pixel."""

from __future__ import annotations

import numpy as np

from calcvision.phantoms.geometry import blur_lowres, gaussian


def mu_per_mm(energy_t: float, mu30: dict[str, float], mu40: dict[str, float],
              jitter: dict[str, float] | None = None) -> dict[str, float]:
    """Linear attenuation (mm^-1) of each material at an effective energy between 30 keV
    (``energy_t`` = 0) and 40 keV (1): log-linear interpolation of the cm^-1 tables."""
    jitter = jitter or {}
    return {m: float(mu30[m] * (mu40[m] / mu30[m]) ** energy_t * (1 + jitter.get(m, 0.0)) / 10.0) for m in mu30}


def line_integral(thickness_mm: dict[str, np.ndarray], mu_mm: dict[str, float]) -> np.ndarray:
    """Beer-Lambert exponent sum_i mu_i t_i (dimensionless) from per-material thickness maps."""
    out = None
    for material, t in thickness_mm.items():
        term = t * np.float32(mu_mm[material])
        out = term if out is None else out + term
    assert out is not None
    return out.astype(np.float32, copy=False)


def heel_factor(shape: tuple[int, int], strength: float, angle_deg: float) -> np.ndarray:
    """Anode heel effect: intensity varies linearly by ``strength`` (fraction) across the field
    along direction ``angle_deg``; mean 1."""
    h, w = shape
    a = np.deg2rad(angle_deg)
    y = (np.arange(h, dtype=np.float32) / max(h - 1, 1) - 0.5)[:, None]
    x = (np.arange(w, dtype=np.float32) / max(w - 1, 1) - 0.5)[None, :]
    return 1.0 + np.float32(strength) * (x * np.float32(np.cos(a)) + y * np.float32(np.sin(a)))


def scatter(primary: np.ndarray, spr: float, sigma_px: float) -> np.ndarray:
    """Scatter reaching the detector: a broad blur of the primary scaled so that the mean
    scatter-to-primary ratio is ``spr``."""
    return blur_lowres(primary, sigma_px) * np.float32(spr)


def quantum_noise(mean_counts: np.ndarray, rng_gauss: np.random.Generator,
                  rng_low: np.random.Generator) -> np.ndarray:
    """Photon counting noise: Poisson with mean ``mean_counts``. Drawn as N(lambda, lambda)
    (the Poisson variance; indistinguishable above ~20 photons) and, where the mean is below
    20, as exact Poisson by inverting its CDF at a per-pixel uniform. Every pixel owns its
    random numbers, so two images that differ in a few pixels (with and without a lesion)
    differ in noise only there."""
    lam = np.maximum(mean_counts, np.float32(0.0))
    out = lam + np.sqrt(lam) * rng_gauss.standard_normal(lam.shape, dtype=np.float32)
    low = lam < 20
    if low.any():
        from scipy.special import pdtr  # Poisson CDF

        uni = rng_low.random(lam.shape, dtype=np.float32)[low]
        lam_low = lam[low].astype(np.float64)
        k = np.zeros(lam_low.shape)
        for _ in range(80):  # smallest k with CDF(k) >= u (lambda < 20: k < 80)
            below = pdtr(k, lam_low) < uni
            if not below.any():
                break
            k += below
        out[low] = k.astype(np.float32)
    return out


def detect(counts: np.ndarray, blur_px: float, electronic_sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Detector: scintillator/focal-spot blur (applied to the noisy quanta, so noise is
    correlated as in a real detector) plus additive electronic noise (photon units)."""
    out = gaussian(counts, blur_px)
    if electronic_sigma > 0:
        out = out + np.float32(electronic_sigma) * rng.standard_normal(out.shape, dtype=np.float32)
    return out


def line_noise(signal: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Readout line noise: an offset per detector row (or column) of std ``sigma`` photons."""
    if sigma <= 0:
        return signal
    along_rows = rng.random() < 0.5
    n = signal.shape[0] if along_rows else signal.shape[1]
    off = np.float32(sigma) * rng.standard_normal(n, dtype=np.float32)
    return signal + (off[:, None] if along_rows else off[None, :])


def neg_log(signal: np.ndarray, flat: float) -> np.ndarray:
    """Attenuation image -ln(signal / flat): higher = more attenuating = whiter."""
    return -np.log(np.maximum(signal, np.float32(0.5)) / np.float32(flat))
