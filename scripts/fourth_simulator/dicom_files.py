"""DX (For Presentation) or CR DICOM writer with deterministic UIDs."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

SALT = "fourth-sim-cone-beam-v1"
DX_SOP = "1.2.840.10008.5.1.4.1.1.1.1"   # Digital X-Ray Image Storage - For Presentation
CR_SOP = "1.2.840.10008.5.1.4.1.1.1"     # Computed Radiography Image Storage


def _uid(kind: str, seed: int, index: int) -> str:
    return generate_uid(entropy_srcs=[SALT, kind, str(seed), str(index)])


def write_dicom(path: Path, case: dict, seed: int, index: int) -> str:
    """Write `case` to `path`; return the SOP Instance UID.

    DX: ImagerPixelSpacing = detector pitch, PixelSpacing = pitch / estimated magnification.
    CR: only ImagerPixelSpacing (no calibration), which equals case["spacing"].
    """
    px = np.ascontiguousarray(case["pixels"], dtype=np.uint16)
    modality = case.get("modality", "DX")
    sop_class = CR_SOP if modality == "CR" else DX_SOP
    sop = _uid("sop", seed, index)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = _uid("impl", 0, 0)
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID, ds.SOPInstanceUID = sop_class, sop
    ds.StudyInstanceUID = _uid("study", seed, index)
    ds.SeriesInstanceUID = _uid("series", seed, index)
    ds.Modality = modality
    ds.Manufacturer = "bench_fourth_simulator"
    ds.PatientID = f"FSIM-{seed}-{index:05d}"
    ds.PatientName = f"FSIM^{seed}^{index:05d}"
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = "20240101"
    ds.StudyTime = ds.ContentTime = "120000"
    ds.BodyPartExamined = str(case.get("kind", "")).upper().replace("_", "")[:16]
    ds.SeriesNumber, ds.InstanceNumber = 1, index + 1
    if modality == "DX":
        ds.PresentationIntentType = "FOR PRESENTATION"
        ds.ImageType = ["DERIVED", "PRIMARY"]
    else:
        ds.ImageType = ["ORIGINAL", "PRIMARY"]
    if "kvp" in case:
        ds.KVP = f"{case['kvp']:.0f}"
        ds.DistanceSourceToDetector = f"{case['sid']:.0f}"
        ds.EstimatedRadiographicMagnificationFactor = f"{case['magnification']:.3f}"
    imager = float(case.get("imager_spacing", case["spacing"]))
    ds.ImagerPixelSpacing = [f"{imager:.6f}", f"{imager:.6f}"]
    if modality == "DX":
        sp = float(case.get("pixel_spacing") or case["spacing"])
        ds.PixelSpacing = [f"{sp:.6f}", f"{sp:.6f}"]
        ds.PixelSpacingCalibrationType = "GEOMETRY"
    ds.Rows, ds.Columns = px.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME1" if case["mono1"] else "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, int(case["bits"]), int(case["bits"]) - 1
    ds.PixelRepresentation = 0
    top = (1 << int(case["bits"])) - 1
    ds.WindowCenter, ds.WindowWidth = f"{top / 2:.0f}", f"{top:.0f}"
    ds.PixelData = px.tobytes()
    ds.save_as(str(path), enforce_file_format=True)
    return sop
