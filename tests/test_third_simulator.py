"""scripts/third_simulator/ (the second independent X-ray simulator of
scripts/bench_other_simulator.py --simulator third): one render per class keeps the renderer
contract (uint16 image, spacing, box inside), renders are deterministic per (seed, index), and
its DICOM (spacing in PixelSpacing or ImagerPixelSpacing, 10-16 bits, either photometric)
reads back through calcvision's reader with the spacing and grey-level sense it was written
with. No inference here."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pydicom
import pytest

from calcvision.io import read_radiograph

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
sys.path.insert(0, str(SCRIPTS))
from third_simulator.case import render_case
from third_simulator.dicom_files import write_dicom
from third_simulator.params import load_cfg

SEED = 5
CFG = load_cfg()
CLASSES = list(CFG["classes"]["value"])


@pytest.fixture(scope="module")
def cases() -> dict[str, tuple[int, dict]]:
    """One rendered case (index, case) per class; index i renders class i % 7 as the bench does."""
    return {c: (i, render_case(SEED, i, c, CFG)) for i, c in enumerate(CLASSES)}


def test_package_imports_nothing_from_calcvision_or_the_other_simulator():
    for path in (SCRIPTS / "third_simulator").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "calcvision" not in text and "other_simulator" not in text, path.name


def test_one_render_per_class_keeps_the_contract(cases):
    for label, (_, case) in cases.items():
        px = case["pixels"]
        assert px.ndim == 2 and px.dtype == np.uint16, label
        assert 1000 <= min(px.shape) and max(px.shape) <= 2500, (label, px.shape)
        assert 10 <= case["bits"] <= 16 and int(px.max()) < 2 ** case["bits"] and px.std() > 0, label
        assert 0.1 <= case["spacing"] <= 0.2, label
        if label == "none":
            assert case["box"] is None
            continue
        x0, y0, x1, y1 = case["box"]
        assert 0 <= x0 < x1 <= px.shape[1] and 0 <= y0 < y1 <= px.shape[0], (label, case["box"], px.shape)


def test_same_seed_and_index_render_identically(cases):
    index, case = cases["chondrocalcinosis_line"]
    again = render_case(SEED, index, "chondrocalcinosis_line", CFG)
    np.testing.assert_array_equal(again["pixels"], case["pixels"])
    assert (again["box"], again["spacing"], again["mono1"]) == (case["box"], case["spacing"], case["mono1"])


def test_dicom_reads_back_through_calcvision_with_its_spacing_and_sense(cases, tmp_path):
    for label, (index, case) in cases.items():
        path = tmp_path / f"{label}.dcm"
        uid = write_dicom(path, case, SEED, index)
        ds = pydicom.dcmread(path)
        assert ds.SOPInstanceUID == uid and ds.BitsStored == case["bits"], label
        assert ds.PhotometricInterpretation == ("MONOCHROME1" if case["mono1"] else "MONOCHROME2"), label
        np.testing.assert_array_equal(ds.pixel_array, case["pixels"])
        (rg,) = read_radiograph(path)
        assert rg.spacing_mm == pytest.approx((case["spacing"],) * 2, abs=1e-4), label
        assert rg.spacing_source != "assumed", label
        # calcvision shows denser as whiter: a MONOCHROME1 file is inverted on reading
        stored = case["pixels"].astype(np.float64).ravel()
        corr = np.corrcoef(np.asarray(rg.pixels, np.float64).ravel(), stored)[0, 1]
        assert corr < -0.99 if case["mono1"] else corr > 0.99, (label, corr)
