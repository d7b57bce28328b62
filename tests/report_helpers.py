"""Small fixtures for the report tests: a tiny model with a known behaviour, source DICOM
files and result rows shaped like ``results.jsonl`` (shared/spec/interfaces.md)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from torch import nn

from calcvision.patterns import CLASSES

XSS = "<script>alert(1)</script>"


class BrightSpotModel:
    """A CalcModel stand-in whose class 0 (``rice_grain``) logit grows with the amount of
    bright (high normalised value) tissue in a tile, so its Grad-CAM must peak on a bright
    lesion. Weights are set, not trained; gradients come from torch autograd via grad-cam."""

    def __init__(self, tile_px: int = 32, mm_per_pixel: float = 0.4) -> None:
        conv1 = nn.Conv2d(1, 2, 3, padding=1)
        conv2 = nn.Conv2d(2, 4, 3, padding=1)
        head = nn.Linear(4, len(CLASSES))
        with torch.no_grad():
            conv1.weight.zero_()
            conv1.weight[0, 0, 1, 1] = 1.0   # channel 0: bright detector
            conv1.weight[1, 0, 1, 1] = -1.0  # channel 1: dark detector
            conv1.bias[:] = torch.tensor([-1.0, -1.0])
            conv2.weight.zero_()
            conv2.weight[0, 0].fill_(1 / 9)
            conv2.weight[1, 1].fill_(1 / 9)
            conv2.bias.zero_()
            head.weight.zero_()
            head.weight[0, 0] = 8.0  # rice_grain <- bright
            head.weight[6, 1] = 2.0  # none <- dark
            head.bias.zero_()
        self.net = nn.Sequential(conv1, nn.ReLU(), conv2, nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), head)
        self.target_layer = self.net[2]
        self.meta = {"classes": list(CLASSES), "mm_per_pixel": mm_per_pixel, "tile_px": tile_px,
                     "arch": "bright-spot-test", "temperature": 1.0, "version": "test-0"}
        self.sha256 = "ab" * 32

    def tile_logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def tile_probs(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.tile_logits(x) / self.meta["temperature"], dim=1)


def phantom_pixels(shape: tuple[int, int], box: tuple[int, int, int, int] | None, seed: int = 0) -> np.ndarray:
    """Smooth noisy background (0.3..0.5) with a bright rectangle at ``box`` (x0, y0, x1, y1)."""
    rng = np.random.default_rng(seed)
    img = 0.4 + 0.05 * rng.standard_normal(shape).astype(np.float32)
    if box is not None:
        x0, y0, x1, y1 = box
        img[y0:y1, x0:x1] = 0.95
    return np.clip(img, 0, 1).astype(np.float32)


def write_source_dicom(path: Path, pixels: np.ndarray, *, spacing_mm: float = 0.2,
                       patient_name: str = "Doe^Jane", patient_id: str = "PID-1",
                       study_uid: str | None = None) -> Path:
    """A DX 'For Presentation' image with 12-bit MONOCHROME2 pixels, written with pydicom."""
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import DigitalXRayImageStorageForPresentation, ExplicitVRLittleEndian, generate_uid
    from pydicom import Dataset

    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = DigitalXRayImageStorageForPresentation
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = DigitalXRayImageStorageForPresentation
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = study_uid or generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.PatientName = patient_name
    ds.PatientID = patient_id
    ds.PatientBirthDate = ""
    ds.PatientSex = "F"
    ds.StudyDate = "20260101"
    ds.StudyTime = "120000"
    ds.StudyID = "1"
    ds.AccessionNumber = "ACC1"
    ds.ReferringPhysicianName = ""
    ds.Modality = "DX"
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.Manufacturer = "test"
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.PresentationIntentType = "FOR PRESENTATION"
    ds.PatientOrientation = ["L", "F"]
    ds.ImagerPixelSpacing = [spacing_mm, spacing_mm]
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows, ds.Columns = pixels.shape
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.PixelData = np.round(pixels * 4095).astype(np.uint16).tobytes()
    ds.save_as(path, enforce_file_format=True)
    return path


def result_row(path: Path | str, pattern: str, box: tuple[int, int, int, int] | None, *,
               sop_uid: str | None = None, context: dict | None = None, top: str = "Tumoral calcinosis") -> dict:
    """One results.jsonl object as ``calcvision infer`` writes it (interfaces.md)."""
    probs = {c: 0.01 for c in CLASSES}
    probs[pattern] = 1 - 0.01 * (len(CLASSES) - 1)
    row = {"path": str(path), "frame": 0, "sop_instance_uid": sop_uid or "", "status": "ok", "reason": "",
           "pattern": pattern, "confidence": probs[pattern], "top_diagnosis": top}
    row.update({f"p_{c}": p for c, p in probs.items()})
    for k, v in zip(("x0", "y0", "x1", "y1"), box or ("", "", "", "")):
        row[f"roi_{k}"] = v
    row["differential"] = {
        "pattern": pattern,
        "differential": [
            {"id": "d1", "name": top, "synonyms": [], "probability": 0.6, "tier": "common",
             "mechanism": "metastatic",
             "explanation": [{"factor": "pattern", "value": pattern, "log10_lr": 1.2,
                              "source": "UW Radiology, Soft Tissue Calcifications, DDx table"}],
             "sources": ["UW Radiology, Soft Tissue Calcifications"]},
            {"id": "d2", "name": "Dystrophic calcification", "synonyms": [], "probability": 0.3,
             "tier": "common", "mechanism": "dystrophic", "explanation": [], "sources": ["Dalinka & Melchior 1980, Table I"]},
        ],
        "next_questions": [{"field": "phosphate_mg_dl", "why": "separates metastatic from dystrophic"}],
    }
    row["spacing_mm"] = [0.2, 0.2]
    row["spacing_source"] = "ImagerPixelSpacing"
    row["provenance"] = {"calcvision_version": "0.1.0", "model_sha256": "ab" * 32}
    row["context"] = context
    return row


def write_results(out_dir: Path, rows: list[dict]) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "results.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


XSS_CONTEXT = '<img src=x onerror=alert(2)>'
BATCH = [  # (pattern, box, top diagnosis, patient name)
    ("tumoral_glob", (100, 50, 160, 110), "Tumoral calcinosis", XSS),
    ("none", None, "No soft-tissue calcification", "Doe^John"),
    ("rice_grain", (200, 20, 230, 60), "Cysticercosis – Taenia solium", "Roe^Jane"),
]


def make_batch(out_dir: Path, shape: tuple[int, int] = (300, 400)) -> list[dict]:
    """Three DICOM sources (a lesion with an XSS PatientName, a normal, another lesion) plus one
    error row, with results.jsonl in ``out_dir``; returns the row objects written."""
    src_dir = out_dir / "src"
    src_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for i, (pattern, box, top, name) in enumerate(BATCH):
        src = write_source_dicom(src_dir / f"img{i}.dcm", phantom_pixels(shape, box, seed=i), patient_name=name,
                                 patient_id=f"PID-{i}")
        import pydicom

        uid = pydicom.dcmread(src, stop_before_pixels=True).SOPInstanceUID
        context = {"age_years": 54, "patient_id": XSS_CONTEXT} if i == 0 else None
        rows.append(result_row(src, pattern, box, sop_uid=uid, context=context, top=top))
    rows.append({"path": str(src_dir / "broken.dcm"), "frame": 0, "status": "error", "reason": "truncated file <eof>"})
    write_results(out_dir, rows)
    return rows


def pydicom_reader(path: Path) -> list:
    """Stand-in for calcvision.io.read_radiograph on the files written above (12-bit MONOCHROME2)."""
    import pydicom

    from calcvision.io.radiograph import Provenance, Radiograph

    ds = pydicom.dcmread(path)
    prov = Provenance(str(path), sop_instance_uid=ds.SOPInstanceUID, study_instance_uid=ds.StudyInstanceUID,
                      patient_id=str(ds.PatientID), patient_name=str(ds.PatientName), accession=str(ds.AccessionNumber))
    sp = tuple(float(v) for v in ds.ImagerPixelSpacing)
    return [Radiograph((ds.pixel_array / 4095.0).astype(np.float32), sp, "ImagerPixelSpacing", prov)]
