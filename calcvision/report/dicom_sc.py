"""A DICOM Secondary Capture per image: the radiograph with the heat map, the box and the
label burned in, for viewers that cannot display an SR. Built with highdicom's SCImage from
the source header, so it joins the source's Study (new Series); marked DERIVED\\SECONDARY,
BurnedInAnnotation YES and, in ImageComments and DerivationDescription, not for diagnosis.
"""

from __future__ import annotations

from pathlib import Path

import highdicom as hd
import numpy as np
from pydicom.dataset import Dataset

from calcvision.patterns import NONE
from calcvision.report.dicom_common import (
    MANUFACTURER, NOT_FOR_DIAGNOSIS, SC_SERIES_NUMBER, UTF8, derived_uid, quiet_person_name_warnings,
    referenced_frames,
)
from calcvision.report.overlay import render
from calcvision.report.rows import ResultRow

SC_MAX_SIDE = 2048
"""Longest side (pixels) of the capture: a plate of 2000 x 2500 RGB stays under 13 MB."""


def burned_label(row: ResultRow) -> str:
    """The one line written on the capture."""
    pattern = row.pattern or "?"
    conf = f" p={row.confidence:.2f}" if row.confidence is not None else ""
    return f"calcvision: {pattern}{conf} | UNVERIFIED, NOT FOR DIAGNOSIS"


def build_sc(source: Dataset, row: ResultRow, pixels: np.ndarray, heat: np.ndarray | None) -> hd.sc.SCImage:
    """The SC of ``row``: ``pixels`` (float32 0..1 of the source frame) with ``heat`` (same
    shape, or None) and the row's box drawn in."""
    box = row.box if row.pattern != NONE else None
    img = render(pixels, heat=heat, box=box, label=burned_label(row), max_side=SC_MAX_SIDE)
    with quiet_person_name_warnings():
        sc = _capture(source, row, np.asarray(img, dtype=np.uint8))
    # the capture keeps the source's orientation (Type 2: empty when the source has none)
    sc.PatientOrientation = source.get("PatientOrientation", "")
    side = source.get("Laterality") or source.get("ImageLaterality") or ""
    sc.Laterality = side if side in ("R", "L") else ""  # Type 2C: empty = not known
    sc.SpecificCharacterSet = UTF8
    sc.ImageType = ["DERIVED", "SECONDARY"]
    sc.BurnedInAnnotation = "YES"
    sc.ImageComments = NOT_FOR_DIAGNOSIS
    sc.DerivationDescription = (f"calcvision Layer-CAM heat map, box and label burned into frame {row.frame + 1} "
                                f"of the source image. {NOT_FOR_DIAGNOSIS}")[:1024]
    ref = Dataset()
    ref.ReferencedSOPClassUID = source.SOPClassUID
    ref.ReferencedSOPInstanceUID = source.SOPInstanceUID
    frames = referenced_frames(source, row.frame)
    if frames:
        ref.ReferencedFrameNumber = frames[0]
    sc.SourceImageSequence = [ref]
    return sc


def _capture(source: Dataset, row: ResultRow, rgb: np.ndarray) -> hd.sc.SCImage:
    key = (source.SOPInstanceUID, row.frame, row.model_sha256)
    return hd.sc.SCImage.from_ref_dataset(
        ref_dataset=source,
        pixel_array=rgb,
        photometric_interpretation="RGB",
        bits_allocated=8,
        coordinate_system="PATIENT",
        patient_orientation=("L", "F"),  # placeholder highdicom insists on; build_sc copies the source's
        series_instance_uid=derived_uid("sc-series", source.StudyInstanceUID, row.model_sha256),
        series_number=SC_SERIES_NUMBER,
        sop_instance_uid=derived_uid("sc", *key),
        instance_number=row.index + 1,
        manufacturer=MANUFACTURER,
        transfer_syntax_uid=hd.UID("1.2.840.10008.1.2.1"),
        series_description="calcvision overlay - research, not for clinical use",
    )


def write_sc(source: Dataset, row: ResultRow, pixels: np.ndarray, heat: np.ndarray | None, path: Path) -> Path:
    """Build the SC of ``row`` and save it at ``path`` (a name the caller made, never from tags)."""
    build_sc(source, row, pixels, heat).save_as(path, enforce_file_format=True)
    return path
