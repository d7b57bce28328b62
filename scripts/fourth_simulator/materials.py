"""Energy-dependent mass attenuation (cm^2/g) and densities (g/cm^3) of the materials in view.

Values are rounded NIST XCOM / ICRU-44 figures (photo + Compton + coherent) at the grid
energies below; in between we interpolate log-log. Hydroxyapatite, plaster and fibreglass are
mixture-rule estimates. Source: physics (NIST XCOM; ICRU Report 44).
"""
from __future__ import annotations

import numpy as np

E_GRID = np.array([15.0, 20, 30, 40, 50, 60, 80, 100])  # keV

MU_RHO = {  # cm^2/g on E_GRID
    "water":      [1.673, 0.810, 0.376, 0.268, 0.227, 0.206, 0.184, 0.171],
    "muscle":     [1.693, 0.821, 0.378, 0.269, 0.226, 0.205, 0.182, 0.169],
    "fat":        [1.10, 0.58, 0.30, 0.233, 0.206, 0.192, 0.175, 0.163],
    "cortical":   [12.3, 4.00, 1.331, 0.666, 0.424, 0.315, 0.223, 0.186],
    "hap":        [23.0, 7.40, 2.40, 1.10, 0.640, 0.430, 0.265, 0.205],
    "aluminium":  [7.955, 3.441, 1.128, 0.569, 0.368, 0.278, 0.202, 0.170],
    "copper":     [74.0, 33.8, 10.9, 4.86, 2.61, 1.59, 0.763, 0.458],
    "steel":      [57.0, 25.7, 8.18, 3.63, 1.96, 1.21, 0.595, 0.372],
    "titanium":   [35.0, 15.9, 4.97, 2.21, 1.21, 0.766, 0.405, 0.272],
    "lead":       [111., 86.4, 30.3, 14.4, 8.04, 5.02, 2.42, 5.55],
    "plaster":    [14.0, 5.0, 1.70, 0.85, 0.53, 0.38, 0.25, 0.20],
    "fibreglass": [7.0, 2.6, 0.90, 0.50, 0.34, 0.27, 0.21, 0.18],
    "plastic":    [1.20, 0.65, 0.32, 0.246, 0.216, 0.200, 0.180, 0.167],
    "selenium":   [60.0, 25.0, 8.6, 3.9, 2.1, 1.3, 0.62, 0.36],
    "bafbr":      [30.0, 14.0, 5.0, 16.0, 9.0, 5.6, 2.7, 1.6],   # Ba K-edge at 37.4 keV
}

DENSITY = {
    "water": 1.0, "muscle": 1.05, "fat": 0.95, "cortical": 1.92, "hap": 1.0,  # hap scaled per lesion
    "aluminium": 2.70, "copper": 8.96, "steel": 7.9, "titanium": 4.5, "lead": 11.35,
    "plaster": 1.1, "fibreglass": 1.5, "plastic": 1.19, "selenium": 4.3, "bafbr": 3.3,
}


def mu(material: str, energies: np.ndarray) -> np.ndarray:
    """Linear attenuation coefficient in 1/mm at `energies` (keV) at the nominal density."""
    tab = np.log(np.asarray(MU_RHO[material]))
    val = np.exp(np.interp(np.log(energies), np.log(E_GRID), tab))
    return val * DENSITY[material] / 10.0
