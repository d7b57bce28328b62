"""Writing a rendered case as a DX or CR DICOM file (explicit VR little endian, uncompressed)."""
from __future__ import annotations

import uuid
from pathlib import Path

import numpy as np
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

from .params import load_cfg

DX_PRESENTATION = "1.2.840.10008.5.1.4.1.1.1.1"
CR_STORAGE = "1.2.840.10008.5.1.4.1.1.1"
_NS = uuid.UUID("6f1c2a57-9b1e-4c55-8a43-3e0d3b1f7a21")  # this simulator's namespace
BODY_PART = {"knee": "KNEE", "thigh": "LEG", "hip": "HIP", "leg": "LEG", "ankle": "ANKLE",
             "pelvis": "PELVIS", "shoulder": "SHOULDER", "arm": "ARM", "elbow": "ELBOW",
             "forearm": "FOREARM", "wrist": "WRIST", "hand": "HAND", "foot": "FOOT"}


def uid_for(seed: int, index: int, role: str) -> str:
    """A 2.25 UID (the decimal of a name-based UUID) derived from (seed, index, role)."""
    return "2.25." + str(uuid.uuid5(_NS, f"third_simulator/{int(seed)}/{int(index)}/{role}").int)


def _ds(v: float) -> str:
    s = f"{v:.6f}".rstrip("0").rstrip(".")
    return s[:16]


def write_dicom(path: Path, case: dict, seed: int, index: int) -> str:
    """Write `case` to `path` and return its SOPInstanceUID."""
    cfg = load_cfg()["dicom"]
    rng = np.random.default_rng([int(seed), int(index), 7777])
    path = Path(path)
    px = np.ascontiguousarray(case["pixels"], dtype=np.uint16)
    is_dx = bool(rng.random() < cfg["p_dx"]["value"])
    sop_class = DX_PRESENTATION if is_dx else CR_STORAGE
    sop_uid = uid_for(seed, index, "sop")

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = uid_for(0, 0, "implementation")
    meta.ImplementationVersionName = "THIRDSIM_1"

    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_uid
    ds.StudyInstanceUID = uid_for(seed, index, "study")
    ds.SeriesInstanceUID = uid_for(seed, index, "series")
    ds.FrameOfReferenceUID = uid_for(seed, index, "frame")
    ds.Modality = "DX" if is_dx else "CR"
    ds.PatientName = f"THIRDSIM^{int(seed)}_{int(index)}"
    ds.PatientID = f"TS{int(seed):04d}{int(index):06d}"
    ds.PatientBirthDate = ""
    ds.PatientSex = ""
    ds.StudyDate = "20240101"
    ds.StudyTime = "120000"
    ds.AccessionNumber = ""
    ds.ReferringPhysicianName = ""
    ds.StudyID = str(int(index))
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.Manufacturer = "THIRDSIM"
    ds.BodyPartExamined = BODY_PART.get(case.get("kind", ""), "")
    ds.ViewPosition = case.get("view", "AP")
    ds.ImageLaterality = case.get("laterality", "U") if case.get("kind") != "pelvis" else "U"
    ds.KVP = _ds(case.get("kvp", 70.0))
    if is_dx:
        ds.PresentationIntentType = "FOR PRESENTATION"
        ds.ImageType = ["DERIVED", "PRIMARY"]
    else:
        ds.ImageType = ["DERIVED", "PRIMARY"]
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME1" if case["mono1"] else "MONOCHROME2"
    ds.Rows, ds.Columns = int(px.shape[0]), int(px.shape[1])
    ds.BitsAllocated = 16
    ds.BitsStored = int(case["bits"])
    ds.HighBit = int(case["bits"]) - 1
    ds.PixelRepresentation = 0
    sp = [_ds(case["spacing"]), _ds(case["spacing"])]
    tags = cfg["spacing_tags"]
    which = str(rng.choice(tags["value"], p=tags["p"]))
    if which in ("imager_only", "both"):
        ds.ImagerPixelSpacing = sp
    if which in ("pixel_only", "both"):
        ds.PixelSpacing = sp
    if which == "both":
        ds.EstimatedRadiographicMagnificationFactor = "1.0"
    if rng.random() < cfg["p_window"]["value"] and case.get("window"):
        wc, ww = case["window"]
        ds.WindowCenter = _ds(round(float(wc), 1))
        ds.WindowWidth = _ds(round(max(float(ww), 1.0), 1))
    if is_dx:
        ds.RescaleIntercept = "0"
        ds.RescaleSlope = "1"
        ds.RescaleType = "US"
    ds.PixelData = px.tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(str(path), enforce_file_format=True)
    return sop_uid
