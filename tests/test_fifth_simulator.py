"""Contract tests of the fifth (statistical-anatomy, line-integral) radiograph simulator."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from scripts.fifth_simulator.case import render_case
from scripts.fifth_simulator.dicom_files import write_dicom
from scripts.fifth_simulator.params import load_cfg

PKG = Path(__file__).resolve().parents[1] / "scripts" / "fifth_simulator"
SEED = 5


@pytest.fixture(scope="module")
def cfg() -> dict:
    return load_cfg()


@pytest.fixture(scope="module")
def cases(cfg) -> dict:
    return {lab: render_case(SEED, i, lab, cfg) for i, lab in enumerate(cfg["classes"]["value"])}


def test_independent_of_other_code():
    banned = ("calcvision", "other_simulator", "third_simulator", "fourth_simulator")
    files = sorted(PKG.glob("*.py"))
    assert files
    for f in files:
        text = f.read_text(encoding="utf-8")
        for b in banned:
            assert b not in text, f"{f.name} mentions {b}"


def test_classes(cfg):
    assert cfg["classes"]["value"] == ["rice_grain", "phlebolith_ring", "sheet", "tumoral_glob",
                                       "chondrocalcinosis_line", "trabeculated_ossification", "none"]


def test_contract(cases):
    for lab, c in cases.items():
        px = c["pixels"]
        assert isinstance(px, np.ndarray) and px.dtype == np.uint16 and px.ndim == 2, lab
        assert all(1000 <= s <= 2500 for s in px.shape), (lab, px.shape)
        assert 10 <= c["bits"] <= 16 and int(px.max()) < 2 ** c["bits"], lab
        assert float(px.std()) > 0, lab
        assert 0.1 <= c["spacing"] <= 0.2, lab
        assert isinstance(c["kind"], str) and isinstance(c["mono1"], bool)
        if lab == "none":
            assert c["box"] is None
        else:
            x0, y0, x1, y1 = c["box"]
            assert all(isinstance(v, int) for v in c["box"])
            assert 0 <= x0 < x1 <= px.shape[1] and 0 <= y0 < y1 <= px.shape[0], (lab, c["box"])


def test_deterministic(cfg, cases):
    again = render_case(SEED, 4, "chondrocalcinosis_line", cfg)
    ref = cases["chondrocalcinosis_line"]
    assert np.array_equal(again["pixels"], ref["pixels"])
    assert again["box"] == ref["box"] and again["spacing"] == ref["spacing"] and again["mono1"] == ref["mono1"]


def test_dicom_roundtrip(cases, tmp_path):
    from calcvision.io import read_radiograph
    c = cases["tumoral_glob"]
    uid = write_dicom(tmp_path / "glob.dcm", c, SEED, 3)
    assert uid == write_dicom(tmp_path / "glob2.dcm", c, SEED, 3)
    import pydicom
    ds = pydicom.dcmread(tmp_path / "glob.dcm")
    assert ds.Manufacturer == "bench_fifth_simulator" and ds.PatientID == f"VSIM-{SEED}-00003"
    assert ds.PhotometricInterpretation == ("MONOCHROME1" if c["mono1"] else "MONOCHROME2")
    assert int(ds.BitsStored) == c["bits"]
    rad = read_radiograph(tmp_path / "glob.dcm")[0]
    assert rad.pixels.shape == c["pixels"].shape
    assert np.allclose(rad.spacing_mm, (c["spacing"], c["spacing"]), atol=1e-6)
    x0, y0, x1, y1 = c["box"]
    assert float(rad.pixels[y0:y1, x0:x1].mean()) > float(rad.pixels.mean())   # lesion bright, not inverted
    stored = c["pixels"].astype(float)
    inside = stored[y0:y1, x0:x1].mean()
    assert (inside < stored.mean()) if c["mono1"] else (inside > stored.mean())
