"""Write a rendered case as an uncompressed DX (For Presentation) or CR DICOM file."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

SALT = "bench-fifth-simulator-v1"
DX_SOP = "1.2.840.10008.5.1.4.1.1.1.1"      # Digital X-Ray Image Storage - For Presentation
CR_SOP = "1.2.840.10008.5.1.4.1.1.1"        # Computed Radiography Image Storage


def _uid(seed: int, index: int, what: str) -> str:
    return generate_uid(entropy_srcs=[SALT, str(seed), str(index), what])


def write_dicom(path: Path, case: dict, seed: int, index: int) -> str:
    """Write ``case`` (from render_case) to ``path``; returns the SOP Instance UID (deterministic)."""
    path = Path(path)
    px = np.ascontiguousarray(case["pixels"], dtype=np.uint16)
    bits = int(case["bits"])
    cr = case.get("detector", "DR") == "CR"
    sop = _uid(seed, index, "sop")
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CR_SOP if cr else DX_SOP
    meta.MediaStorageSOPInstanceUID = sop
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = _uid(0, 0, "implementation")
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = sop
    ds.StudyInstanceUID = _uid(seed, index, "study")
    ds.SeriesInstanceUID = _uid(seed, index, "series")
    ds.FrameOfReferenceUID = _uid(seed, index, "frame")
    ds.Modality = "CR" if cr else "DX"
    ds.Manufacturer = "bench_fifth_simulator"
    ds.PatientID = f"VSIM-{seed}-{index:05d}"
    ds.PatientName = f"FIFTH^SIM{index:05d}"
    ds.StudyDate, ds.StudyTime = "20000101", "000000"
    ds.SeriesNumber, ds.InstanceNumber = 1, index + 1
    ds.BodyPartExamined = str(case.get("kind", "")).upper()[:16]
    ds.ImageType = ["DERIVED", "PRIMARY"]
    if not cr:
        ds.PresentationIntentType = "FOR PRESENTATION"
    sp = f"{float(case['spacing']):.4f}"
    ds.PixelSpacing = [sp, sp]
    ds.ImagerPixelSpacing = [sp, sp]
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME1" if case["mono1"] else "MONOCHROME2"
    ds.Rows, ds.Columns = int(px.shape[0]), int(px.shape[1])
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, bits, bits - 1
    ds.PixelRepresentation = 0
    top = (1 << bits) - 1
    ds.WindowCenter, ds.WindowWidth = str(top // 2 + 1), str(top + 1)
    ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType = "0", "1", "US"
    ds.PixelData = px.tobytes()
    ds.save_as(str(path), enforce_file_format=True)
    return sop
