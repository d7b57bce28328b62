"""scripts/other_simulator/ (the independent X-ray simulator of scripts/bench_other_simulator.py):
one render per class is a finite 12-bit image with its lesion box inside, renders are
deterministic per (seed, index), and the DICOM written reads back. No inference here."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pydicom
import pytest

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
sys.path.insert(0, str(SCRIPTS))
from other_simulator.case import render_case
from other_simulator.dicom_files import write_dicom
from other_simulator.params import load_cfg

SEED = 5
CFG = load_cfg()
CLASSES = list(CFG["classes"]["value"])


@pytest.fixture(scope="module")
def cases() -> dict[str, tuple[int, dict]]:
    """One rendered case (index, case) per class; index i renders class i % 7 as the bench does."""
    return {c: (i, render_case(SEED, i, c, CFG)) for i, c in enumerate(CLASSES)}


def test_package_imports_nothing_from_calcvision():
    for path in (SCRIPTS / "other_simulator").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "import calcvision" not in text and "from calcvision" not in text, path.name


def test_one_render_per_class_is_finite_12_bit_with_its_box_inside(cases):
    lo_px, hi_px = CFG["detector"]["size_px"]["range"]
    s_lo, s_hi = CFG["detector"]["spacing_mm"]["range"]
    for label, (_, case) in cases.items():
        px = case["pixels"]
        assert px.ndim == 2 and px.dtype == np.uint16, label
        assert lo_px <= min(px.shape) and max(px.shape) <= hi_px, (label, px.shape)
        assert np.isfinite(px.astype(np.float64)).all() and int(px.max()) <= 4095, label
        assert px.std() > 0, label
        assert s_lo <= case["spacing"] <= s_hi, label
        box = case["box"]
        if label == "none":
            assert box is None
            continue
        assert box is not None, label
        x0, y0, x1, y1 = box
        h, w = px.shape
        assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h, (label, box, px.shape)


def test_same_seed_and_index_render_identically(cases):
    index, case = cases["tumoral_glob"]
    again = render_case(SEED, index, "tumoral_glob", CFG)
    np.testing.assert_array_equal(again["pixels"], case["pixels"])
    assert (again["box"], again["spacing"], again["mono1"], again["cr"]) == \
        (case["box"], case["spacing"], case["mono1"], case["cr"])


def test_dicom_reads_back_with_photometric_and_spacing(cases, tmp_path):
    for label, (index, case) in cases.items():
        path = tmp_path / f"{label}.dcm"
        uid = write_dicom(path, case, SEED, index)
        ds = pydicom.dcmread(path)
        assert ds.SOPInstanceUID == uid
        assert ds.Modality == ("CR" if case["cr"] else "DX")
        assert ds.PhotometricInterpretation == ("MONOCHROME1" if case["mono1"] else "MONOCHROME2"), label
        assert ds.BitsStored == 12
        assert [float(v) for v in ds.PixelSpacing] == pytest.approx([case["spacing"]] * 2, abs=1e-4)
        np.testing.assert_array_equal(ds.pixel_array, case["pixels"])
    assert {c["mono1"] for _, c in cases.values()} == {True, False}  # seed 5 writes both photometrics


def test_render_only_writes_a_local_dataset_that_calcvision_train_reads(tmp_path):
    """`--render-only` keeps the images and writes local_manifest.csv in calcvision's
    local-dataset format: every row scans, its ROI is the truth box, and no inference runs."""
    import bench_other_simulator as bench

    from calcvision.model.data import scan_local

    out = tmp_path / "os"
    assert bench.main(["--per-class", "1", "--seed", str(SEED), "--out", str(out), "--render-only",
                       "--workers", "1"]) == 0
    rows = scan_local(out / "local_manifest.csv")
    assert [r.label for r in rows] == CLASSES
    assert not (out / "results").exists()
    for i, (r, label) in enumerate(zip(rows, CLASSES)):
        box = render_case(SEED, i, label, CFG)["box"]
        assert r.roi == (tuple(box) if box else None), label
        assert r.path.is_file()


def test_kept_images_are_read_back_for_scoring_and_bad_folders_are_refused(tmp_path):
    """`--images DIR` scores a kept run without rendering: its rows (truth, box, SOP UID,
    photometric) come back from DIR/manifest.csv and the files; `--false-alarms` draws the
    lesion-free images called a lesion; a folder that is not a kept run, or an --out equal to
    it, exits 2 before any inference."""
    import bench_other_simulator as bench

    out = tmp_path / "kept"
    assert bench.main(["--per-class", "1", "--seed", str(SEED), "--out", str(out), "--render-only",
                       "--workers", "1"]) == 0
    rows = bench.read_kept_rows(out)
    assert [r["label"] for r in rows] == CLASSES
    for i, (r, label) in enumerate(zip(rows, CLASSES)):
        case = render_case(SEED, i, label, CFG)
        assert r["box"] == (tuple(case["box"]) if case["box"] else None), label
        assert r["uid"] == pydicom.dcmread(out / "images" / r["name"]).SOPInstanceUID
        assert r["mono1"] == case["mono1"]
    # the false-alarm sheet draws exactly the lesion-free images the results call a lesion
    none_row = rows[CLASSES.index("none")]
    found = {r["name"]: {"pattern": "none", "roi_x0": ""} for r in rows}
    found[none_row["name"]] = {"pattern": "sheet", "p_sheet": "0.8", "roi_x0": "10", "roi_y0": "20",
                               "roi_x1": "90", "roi_y1": "60"}
    png = tmp_path / "fa.png"
    assert bench.write_false_alarms(png, out / "images", rows, found) == 1 and png.stat().st_size > 0
    assert bench.main(["--images", str(out), "--out", str(out)]) == 2
    assert bench.main(["--images", str(tmp_path / "nothing"), "--out", str(tmp_path / "r")]) == 2
    assert not (tmp_path / "r").exists()
