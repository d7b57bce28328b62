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
    bright (high normalised value) tissue in a tile, so its Layer-CAM must peak on a bright
    lesion. Weights are set, not trained; gradients come from torch autograd
    (calcvision.model.cam)."""

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
                       compression: str | None = None) -> Path:
    """A DX image (12-bit MONOCHROME2) through the project's writer; ``pixels`` (rows, cols)
    or (frames, rows, cols) in 0..1."""
    from calcvision.io.dicom_write import write_radiograph

    stored = np.round(np.clip(pixels, 0, 1) * 4095).astype(np.uint16)
    return write_radiograph(path, stored, spacing_mm=(spacing_mm, spacing_mm), bits_stored=12,
                            compression=compression, patient_id=patient_id,
                            extra={"PatientName": patient_name, "AccessionNumber": f"ACC-{patient_id}",
                                   "PatientOrientation": ["L", "F"]})


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
             "tier": "common", "mechanism": "dystrophic", "explanation": [],
             "sources": ["Dalinka & Melchior 1980, Table I"]},
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
# file, frame, pattern, box (x0, y0, x1, y1), top diagnosis (row 0: from calcvision.ddx), patient name
BATCH = [
    ("img0.dcm", 0, "tumoral_glob", (100, 50, 160, 110), "Tumoral calcinosis", XSS),
    ("img1.dcm", 0, "none", None, "No soft-tissue calcification", "Doe^John"),
    ("img2.dcm", 0, "rice_grain", (200, 20, 230, 60), "Cysticercosis – Taenia solium", "Roe^Jane"),
    ("multi.dcm", 1, "rice_grain", (40, 200, 80, 240), "Injection granuloma", "Poe^Edgar"),
    ("plain.png", 0, "rice_grain", (300, 100, 340, 150), "Dermatomyositis", ""),
]
MULTIFRAME_SC = "1.2.840.10008.5.1.4.1.1.7.3"  # Multi-frame Grayscale Word Secondary Capture
DICOM_ROWS = [i for i, b in enumerate(BATCH) if b[0].endswith(".dcm")]


def make_batch(out_dir: Path, shape: tuple[int, int] = (300, 400)) -> list[dict]:
    """The sources of ``BATCH`` (DICOM, one RLE-compressed, a 2-frame file, a PNG) plus one
    error row, with results.jsonl in ``out_dir``; returns the row objects written."""
    import pydicom
    from PIL import Image

    src_dir = out_dir / "src"
    src_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for i, (name, frame, pattern, box, top, patient) in enumerate(BATCH):
        src, pixels = src_dir / name, phantom_pixels(shape, box, seed=i)
        sop = ""
        if name.endswith(".png"):
            Image.fromarray(np.round(pixels * 255).astype(np.uint8)).save(src)
        else:
            if frame:
                pixels = np.stack([phantom_pixels(shape, None, seed=99)] * frame + [pixels])
            write_source_dicom(src, pixels, patient_name=patient, patient_id=f"PID-{i}",
                               compression="rle" if i == 2 else None)
            if frame:  # a SOP class whose IOD has frames, so that references may name one
                ds = pydicom.dcmread(src)
                ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = MULTIFRAME_SC
                ds.save_as(src)
            sop = pydicom.dcmread(src, stop_before_pixels=True).SOPInstanceUID
        context = {"age_years": 54, "dialysis": True, "patient_id": XSS_CONTEXT} if i == 0 else None
        row = result_row(src, pattern, box, sop_uid=sop, context=context, top=top)
        row["frame"] = frame
        if i == 0:  # the real engine's output, explanations and citations included
            from calcvision.ddx import parse_context, rank

            ddx = rank({c: row[f"p_{c}"] for c in CLASSES}, parse_context(context, "test context"))
            row["differential"], row["top_diagnosis"] = ddx.to_dict(), ddx.top_name
        rows.append(row)
    rows.append({"path": str(src_dir / "broken.dcm"), "frame": None, "status": "error",
                 "reason": "truncated file <eof>"})
    write_results(out_dir, rows)
    return rows


def untrained_model_file(path: Path) -> Path:
    """A model file of the default architecture with random weights (the cost and the
    interfaces of the real one, without waiting for training)."""
    import yaml

    from calcvision.model.checkpoint import make_meta, save_model
    from calcvision.model.network import build_network

    cfg = yaml.safe_load((Path(__file__).parents[1] / "configs" / "default.yaml").read_text())["model"]
    torch.manual_seed(0)
    net = build_network(cfg["arch"], **cfg.get("arch_kwargs", {}))
    meta = make_meta(mm_per_pixel=cfg["mm_per_pixel"], tile_px=cfg["tile_px"], arch=cfg["arch"],
                     arch_kwargs=cfg.get("arch_kwargs", {}))
    return save_model(path, net, meta)
