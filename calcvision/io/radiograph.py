"""The ``Radiograph``: the one well-defined image every reader and the phantom simulator produce."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

SpacingSource = Literal["PixelSpacing", "ImagerPixelSpacing", "NominalScannedPixelSpacing", "user", "option", "assumed"]
"""Where a spacing came from: a DICOM tag, a raster file's sidecar (``user``), the caller's
value for files that state none (``option``: ``calcvision infer --spacing-mm``), or the default."""

ASSUMED_SPACING_MM: float = 0.15
"""Pixel spacing (mm) used when a file carries none: typical of CR/DX detectors (0.1-0.2 mm).
A result computed with it records ``spacing_source == "assumed"``."""


@dataclass(frozen=True)
class Provenance:
    """Where a radiograph came from. Values taken from DICOM headers are untrusted text."""

    path: str
    frame: int = 0
    n_frames: int = 1
    sop_instance_uid: str | None = None
    sop_class_uid: str | None = None
    study_instance_uid: str | None = None
    series_instance_uid: str | None = None
    patient_id: str | None = None
    patient_name: str | None = None
    accession: str | None = None
    modality: str | None = None
    photometric_interpretation: str | None = None
    transfer_syntax_uid: str | None = None
    bits_stored: int | None = None
    file_format: str = "dicom"


@dataclass
class Radiograph:
    """One radiographic image in a fixed convention.

    ``pixels``: float32 array (rows, cols) in 0..1 where higher means more attenuation and is
    shown whiter (the MONOCHROME2 sense). ``spacing_mm``: (row, col) physical size of a pixel
    in millimetres, and ``spacing_source`` says which tag it came from or that it was assumed.
    """

    pixels: np.ndarray
    spacing_mm: tuple[float, float]
    spacing_source: SpacingSource
    provenance: Provenance
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.pixels.ndim != 2:
            raise ValueError(f"Radiograph pixels must be 2-D, got shape {self.pixels.shape}")
        if self.pixels.dtype != np.float32:
            raise ValueError(f"Radiograph pixels must be float32, got {self.pixels.dtype}")
        if not all(s > 0 for s in self.spacing_mm):
            raise ValueError(f"spacing_mm must be positive, got {self.spacing_mm}")

    @property
    def shape(self) -> tuple[int, int]:
        return self.pixels.shape  # type: ignore[return-value]

    @property
    def size_mm(self) -> tuple[float, float]:
        """Physical (height, width) of the image in mm."""
        return (self.shape[0] * self.spacing_mm[0], self.shape[1] * self.spacing_mm[1])
