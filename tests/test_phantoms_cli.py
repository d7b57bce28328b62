"""``calcvision phantoms`` and ``calcvision gallery`` end to end."""

from __future__ import annotations

import csv
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pydicom
import pytest

from calcvision.io import read_radiograph
from calcvision.patterns import CLASSES
from calcvision.phantoms import make_phantom


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "calcvision", *args], capture_output=True, text=True, timeout=300)


def _manifest(d: Path) -> list[dict]:
    with (d / "manifest.csv").open(newline="") as fh:
        return list(csv.DictReader(fh))


def _pixels(path: Path) -> bytes:
    return pydicom.dcmread(path).pixel_array.tobytes()


def test_seventy_dicom_files_balanced_readable_and_reproducible(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    out = _cli("phantoms", "--out", str(a), "--n", "70", "--seed", "1", "--workers", "2")
    assert out.returncode == 0, out.stderr
    rows = _manifest(a)
    assert len(rows) == 70 and len(list(a.rglob("*.dcm"))) == 70
    assert Counter(r["label"] for r in rows) == {c: 10 for c in CLASSES}
    for r in rows:
        ds = pydicom.dcmread(a / r["path"])
        assert ds.Rows == ds.Columns == 1024 and int(r["bits_stored"]) == ds.BitsStored
        assert ds.PhotometricInterpretation == r["photometric"]
        assert float(ds.ImagerPixelSpacing[0]) == pytest.approx(float(r["spacing_mm"]), abs=1e-6)
        if r["label"] == "none":
            assert r["roi_x0"] == ""
        else:
            x0, y0, x1, y1 = (int(r[k]) for k in ("roi_x0", "roi_y0", "roi_x1", "roi_y1"))
            assert 0 <= x0 < x1 <= 1024 and 0 <= y0 < y1 <= 1024
    # the project's reader gives back exactly the in-memory phantom (same pixel pipeline)
    for r in rows[:7]:
        (rad,) = read_radiograph(a / r["path"])
        mem = make_phantom(r["label"], 1, int(r["index"]))
        assert rad.spacing_mm[0] == pytest.approx(mem.radiograph.spacing_mm[0], rel=1e-6)
        assert rad.spacing_source == "ImagerPixelSpacing"
        assert np.array_equal(rad.pixels, mem.radiograph.pixels)
    # a second run with the same seed (one worker this time; the first 14 files, which sample i
    # being a function of (seed, i) makes the same): byte-identical files
    out = _cli("phantoms", "--out", str(b), "--n", "14", "--seed", "1")
    assert out.returncode == 0, out.stderr
    assert _manifest(b) == rows[:14]
    for r in rows[:14]:
        assert (a / r["path"]).read_bytes() == (b / r["path"]).read_bytes(), r["path"]


def test_refuses_non_empty_folder_and_resumes_an_interrupted_set(tmp_path):
    d = tmp_path / "set"
    args = ["phantoms", "--out", str(d), "--n", "9", "--seed", "3", "--shape", "160x160", "--spacing-mm", "0.2", "--mix-encodings",
            "--classes", "phlebolith_ring,none,sheet"]
    assert _cli(*args).returncode == 0
    rows = _manifest(d)
    assert Counter(r["label"] for r in rows) == {"phlebolith_ring": 3, "none": 3, "sheet": 3}
    assert len({r["compression"] for r in rows}) >= 2  # some compressed, some not
    ref = {r["path"]: _pixels(d / r["path"]) for r in rows}
    # another set into the same folder: refused with one line, exit 2, nothing touched
    other = _cli("phantoms", "--out", str(d), "--n", "9", "--seed", "4", "--shape", "160x160", "--spacing-mm", "0.2")
    assert other.returncode == 2 and "not empty" in other.stderr and "Traceback" not in other.stderr
    assert _manifest(d) == rows
    # simulate an interrupted run: the manifest gone, two files missing
    (d / "manifest.csv").unlink()
    for r in rows[:2]:
        (d / r["path"]).unlink()
    assert _cli(*args).returncode == 0
    assert _manifest(d) == rows
    assert {r["path"]: _pixels(d / r["path"]) for r in rows} == ref
    # the same set made larger: kept, extended
    args[args.index("--n") + 1] = "10"
    assert _cli(*args).returncode == 0
    assert _manifest(d)[:9] == rows and len(_manifest(d)) == 10


def test_png_format_and_bad_arguments(tmp_path):
    d = tmp_path / "png"
    assert _cli("phantoms", "--out", str(d), "--n", "2", "--format", "png", "--shape", "128x160", "--spacing-mm", "0.2").returncode == 0
    from PIL import Image

    img = np.asarray(Image.open(d / _manifest(d)[0]["path"]))
    assert img.shape == (128, 160) and img.dtype == np.uint16
    bad = _cli("phantoms", "--out", str(tmp_path / "x"), "--n", "2", "--classes", "rice")
    assert bad.returncode == 2 and "unknown class" in bad.stderr and "Traceback" not in bad.stderr
    small = _cli("phantoms", "--out", str(tmp_path / "y"), "--n", "2", "--shape", "100x100")
    assert small.returncode == 2 and "mm" in small.stderr and not (tmp_path / "y").exists()


def test_gallery_writes_a_montage(tmp_path):
    out = tmp_path / "m.png"
    res = _cli("gallery", "--out", str(out), "--per-class", "1", "--tile", "96")
    assert res.returncode == 0, res.stderr
    from PIL import Image

    im = Image.open(out)
    assert im.width > 96 * 2 and im.height > 96 * len(CLASSES)
    assert _cli("gallery", "--out", str(out)).returncode == 2  # no silent overwrite


def test_confuser_option_draws_metal_is_stored_with_the_set_and_rejects_bad_values(tmp_path):
    """--confuser hardware=1 gives the in-memory phantom with metal (not the default one); the
    set remembers it, so a rerun without it is another set; bad names or values: exit 2."""
    from calcvision.phantoms.sample import make_phantom_and_twin

    d = tmp_path / "metal"
    out = _cli("phantoms", "--out", str(d), "--n", "2", "--seed", "4", "--shape", "384x384",
               "--confuser", "hardware=1", "--classes", "none")
    assert out.returncode == 0, out.stderr
    (rad,) = read_radiograph(d / _manifest(d)[1]["path"])
    metal = make_phantom_and_twin("none", 4, 1, shape=(384, 384), twin=False, confuser_p={"hardware": 1.0})[0]
    plain = make_phantom("none", 4, 1, shape=(384, 384))
    assert np.array_equal(rad.pixels, metal.radiograph.pixels)
    assert not np.array_equal(rad.pixels, plain.radiograph.pixels)
    again = _cli("phantoms", "--out", str(d), "--n", "2", "--seed", "4", "--shape", "384x384", "--classes", "none")
    assert again.returncode == 2 and "confuser_p" in again.stderr, again.stderr
    for bad in ("metal=0.5", "hardware=1.5", "hardware"):
        res = _cli("phantoms", "--out", str(tmp_path / "x"), "--n", "1", "--confuser", bad)
        assert res.returncode == 2 and "--confuser" in res.stderr and "Traceback" not in res.stderr, (bad, res.stderr)


def test_gallery_draws_the_confusers_asked_for(tmp_path):
    from PIL import Image

    plain, metal = tmp_path / "plain.png", tmp_path / "metal.png"
    for out, extra in ((plain, []), (metal, ["--confuser", "hardware=1"])):
        res = _cli("gallery", "--out", str(out), "--seed", "7", "--per-class", "1", "--classes", "none", "--tile", "64",
                   *extra)
        assert res.returncode == 0, res.stderr
    assert not np.array_equal(np.asarray(Image.open(plain)), np.asarray(Image.open(metal)))
    bad = _cli("gallery", "--out", str(tmp_path / "x.png"), "--confuser", "hardware=2")
    assert bad.returncode == 2 and "--confuser" in bad.stderr
