"""Mass attenuation coefficients (cm^2/g) of the simulated materials, 15-150 keV.

Values are approximate, read from the NIST XCOM / ICRU-44 tabulations (adipose, muscle
and cortical bone are the ICRU-44 compositions; hydroxyapatite is the mixture rule over
Ca10(PO4)6(OH)2 with Ca and P taken to be consistent with the cortical-bone values).
Interpolation is log-log between the tabulated energies; lead has its K edge (88.0 keV).
"""
from __future__ import annotations

import numpy as np

E_TAB = np.array([15, 20, 30, 40, 50, 60, 80, 100, 150], dtype=float)  # keV

MU_RHO: dict[str, np.ndarray] = {
    "adipose": np.array([1.115, 0.600, 0.316, 0.244, 0.215, 0.198, 0.180, 0.168, 0.150]),
    "muscle": np.array([1.690, 0.822, 0.378, 0.2685, 0.2265, 0.2053, 0.1829, 0.1699, 0.1497]),
    "water": np.array([1.673, 0.8096, 0.3756, 0.2683, 0.2269, 0.2059, 0.1837, 0.1707, 0.1505]),
    "bone": np.array([8.90, 4.001, 1.331, 0.6655, 0.4242, 0.3148, 0.2229, 0.1855, 0.1480]),
    "hydroxyapatite": np.array([14.7, 6.52, 2.08, 0.972, 0.577, 0.399, 0.256, 0.199, 0.149]),
    "aluminium": np.array([7.955, 3.441, 1.128, 0.5685, 0.3681, 0.2778, 0.2018, 0.1704, 0.1378]),
    "copper": np.array([74.05, 33.79, 10.92, 4.862, 2.613, 1.593, 0.7630, 0.4584, 0.2217]),
    # air mass energy-absorption coefficient (mu_en/rho), for air kerma
    "air_en": np.array([1.334, 0.5389, 0.1537, 0.06833, 0.04098, 0.03041, 0.02407, 0.02325, 0.02496]),
}

# lead: tabulated with its K edge at 88.0 keV
_PB_E = np.array([15, 20, 30, 40, 50, 60, 80, 88.0, 88.001, 100, 150], dtype=float)
_PB_MU = np.array([111.6, 86.36, 30.32, 14.36, 8.041, 5.021, 2.419, 1.910, 7.683, 5.549, 2.014])
# CsI with its edge at 33.2 keV
_CSI_E = np.array([15, 20, 30, 33.16, 33.17, 40, 50, 60, 80, 100, 150], dtype=float)
_CSI_MU = np.array([49.0, 20.0, 7.0, 5.6, 29.0, 20.0, 11.3, 7.0, 3.3, 1.85, 0.70])

DENSITY = {  # g/cm^3
    "adipose": 0.95, "muscle": 1.05, "water": 1.0, "bone": 1.92, "hydroxyapatite": 3.16,
    "aluminium": 2.699, "copper": 8.96, "lead": 11.35, "csi": 4.51,
}


def mu_rho(material: str, energy_kev: np.ndarray | float) -> np.ndarray:
    """Mass attenuation coefficient (cm^2/g) at the given energies (keV)."""
    e = np.atleast_1d(np.asarray(energy_kev, dtype=float))
    if material == "lead":
        xs, ys = _PB_E, _PB_MU
    elif material == "csi":
        xs, ys = _CSI_E, _CSI_MU
    else:
        xs, ys = E_TAB, MU_RHO[material]
    return np.exp(np.interp(np.log(e), np.log(xs), np.log(ys)))


def mu_lin(material: str, energy_kev: np.ndarray | float) -> np.ndarray:
    """Linear attenuation coefficient (1/cm) at nominal density."""
    return mu_rho(material, energy_kev) * DENSITY[material]
