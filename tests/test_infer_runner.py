"""The batch runner and ``calcvision infer`` end to end, with the project's real reader,
discovery, model class and differential engine: a mixed folder, interruption + resume,
context tables, output invariants. The model is a real ``CalcModel`` file (untrained weights:
these tests check the plumbing, the benchmarks check accuracy)."""

import csv
import importlib.util
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pydicom.data
import pytest

from calcvision.infer.results import SUMMARY_NAME
from calcvision.io.dicom_write import write_radiograph
from calcvision.patterns import CLASSES, probability_columns

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}


def pydicom_file(name: str) -> Path:
    """A file shipped with pydicom or pydicom-data, located directly (never downloaded)."""
    spec = importlib.util.find_spec("data_store")
    dirs = [Path(pydicom.data.__file__).parent / "test_files"]
    if spec is not None and spec.origin:
        dirs.append(Path(spec.origin).parent / "data")
    for d in dirs:
        if (d / name).is_file():
            return d / name
    pytest.fail(f"{name} is not installed with pydicom / pydicom-data")


@pytest.fixture(scope="module")
def model_file(tmp_path_factory) -> Path:
    """A real, small, untrained calcvision model file (coarse scale so the tests run fast)."""
    import torch

    from calcvision.model.checkpoint import make_meta, save_model
    from calcvision.model.network import build_network

    torch.manual_seed(0)
    kwargs = {"width_mult": 0.25}
    net = build_network("mobilenet_v3_small", len(CLASSES), **kwargs)
    meta = make_meta(mm_per_pixel=0.8, tile_px=64, arch="mobilenet_v3_small", arch_kwargs=kwargs,
                     model_version="test-untrained")
    return save_model(tmp_path_factory.mktemp("model") / "m.safetensors", net, meta)


def _plate(path: Path, seed: int, shape=(300, 260), frames: int = 0, spacing=(0.2, 0.2), **kw) -> Path:
    rng = np.random.default_rng(seed)
    size = (frames, *shape) if frames else shape
    stored = (rng.random(size) * 3000 + 500).astype(np.uint16)
    return write_radiograph(path, stored, spacing_mm=spacing, bits_stored=12, sop_uid=f"2.25.{1000 + seed}", **kw)


def _mixed_folder(root: Path) -> Path:
    d = root / "in"
    (d / "sub").mkdir(parents=True)
    shutil.copy(pydicom_file("RG1_UNCR.dcm"), d / "RG1_UNCR.dcm")        # real CR, MONOCHROME1
    shutil.copy(pydicom_file("RG3_J2KR.dcm"), d / "sub" / "RG3_J2KR.dcm")  # real CR, JPEG 2000
    shutil.copy(pydicom_file("rtplan.dcm"), d / "rtplan.dcm")            # not an image
    _plate(d / "plate.dcm", 1, photometric="MONOCHROME1", compression="rle")
    _plate(d / "sub" / "multi.dcm", 2, frames=3)
    good = _plate(root / "whole.dcm", 3).read_bytes()
    (d / "truncated.dcm").write_bytes(good[: len(good) // 2])
    broken = bytearray(_plate(root / "rle.dcm", 4, compression="rle").read_bytes())
    broken[-2000:-1000] = np.random.default_rng(0).integers(0, 256, 1000, dtype=np.uint8).tobytes()
    (d / "broken.dcm").write_bytes(bytes(broken))  # header fine, RLE pixel data corrupt
    (d / "notes.txt").write_text("not an image\n")
    return d


def _rows(out: Path) -> list[dict]:
    return list(csv.DictReader(open(out / "results.csv", newline="")))


def _infer(capsys, *args) -> tuple[int, str, str]:
    """``calcvision infer ARGS`` in this process (the CLI's own entry point): (exit code, stdout, stderr)."""
    from calcvision.cli import main

    capsys.readouterr()
    code = main(["infer", *map(str, args), "--no-progress"])
    out, err = capsys.readouterr()
    return code, out, err


def test_mixed_folder_one_row_per_image_or_file(tmp_path, model_file, capsys):
    src = _mixed_folder(tmp_path)
    before = {p: p.read_bytes() for p in src.rglob("*") if p.is_file()}
    out = tmp_path / "out"
    code, stdout, err = _infer(capsys, src, "--out", out, "--model", model_file, "--workers", "1")
    assert code == 0, err
    assert "Traceback" not in err
    rows = _rows(out)
    by = {}
    for row in rows:
        by.setdefault(Path(row["path"]).name, []).append(row)
    assert sorted(by) == ["RG1_UNCR.dcm", "RG3_J2KR.dcm", "broken.dcm", "multi.dcm", "notes.txt", "plate.dcm",
                          "rtplan.dcm", "truncated.dcm"]
    assert {n: [r["status"] for r in rs] for n, rs in by.items()} == {
        "RG1_UNCR.dcm": ["ok"], "RG3_J2KR.dcm": ["ok"], "plate.dcm": ["ok"], "multi.dcm": ["ok"] * 3,
        "rtplan.dcm": ["skipped"], "notes.txt": ["skipped"], "broken.dcm": ["error"], "truncated.dcm": ["error"]}
    assert [r["frame"] for r in by["multi.dcm"]] == ["0", "1", "2"]
    for name in ("rtplan.dcm", "notes.txt", "broken.dcm", "truncated.dcm"):
        assert by[name][0]["reason"], name
    assert "plan" in by["rtplan.dcm"][0]["reason"].lower() or "rt" in by["rtplan.dcm"][0]["reason"].lower()
    assert "assumed" in by["RG1_UNCR.dcm"][0]["reason"]                 # its PixelSpacing is 0\0
    ok = [r for r in rows if r["status"] == "ok"]
    for row in ok:
        p = np.array([float(row[c]) for c in probability_columns()])
        assert abs(p.sum() - 1) < 1e-4 and row["pattern"] in CLASSES
        assert float(row["confidence"]) == pytest.approx(p[CLASSES.index(row["pattern"])], abs=1e-6)
        assert row["model_sha256"] and row["sop_instance_uid"]
    # the jsonl holds the same rows plus differential, spacing and provenance
    recs = [json.loads(l) for l in open(out / "results.jsonl")]
    assert [(r["path"], r["frame"]) for r in recs] == [(r["path"], None if r["frame"] == "" else int(r["frame"])) for r in rows]
    rec = next(r for r in recs if r["status"] == "ok" and r["path"].endswith("plate.dcm"))
    assert rec["spacing_mm"] == [0.2, 0.2] and rec["spacing_source"] == "ImagerPixelSpacing"
    assert rec["provenance"]["model_sha256"] == rows[0]["model_sha256"] and rec["provenance"]["calcvision_version"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == {"ok": 6, "skipped": 2, "error": 2}
    assert "status:" in stdout
    # inputs untouched, nothing written next to them
    assert {p: p.read_bytes() for p in src.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in out.iterdir()) == sorted([".calcvision-infer.lock", "results.csv", "results.jsonl",
                                                             "summary.json"])
    # a second run with the same --out adds nothing
    code, stdout, err = _infer(capsys, src, "--out", out, "--model", model_file, "--workers", "0")
    assert code == 0, err
    assert _rows(out) == rows and "10 already done" in stdout


def test_killed_run_resumes_with_every_image_exactly_once(tmp_path, model_file, capsys):
    src = tmp_path / "in"
    src.mkdir()
    n = 14
    for i in range(n):
        _plate(src / f"p{i:02d}.dcm", 100 + i, shape=(900, 900), spacing=(0.1, 0.1))
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "calcvision", "infer", str(src), "--out", str(out), "--model", str(model_file),
           "--workers", "0"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    jl = out / "results.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if jl.exists() and jl.read_bytes().count(b"\n") >= 3:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.005)
    proc.wait(timeout=30)
    done_first = jl.read_bytes().count(b"\n")
    assert proc.returncode == -signal.SIGKILL and 3 <= done_first < n, "the first run was not interrupted midway"
    code, _, err = _infer(capsys, src, "--out", out, "--model", model_file, "--workers", "0")
    assert code == 0, err
    paths = [row["path"] for row in _rows(out)]
    assert sorted(paths) == sorted(str(p) for p in src.glob("*.dcm"))      # every image exactly once
    assert len([json.loads(l) for l in open(jl)]) == n
    assert json.loads((out / "summary.json").read_text())["already_done"] == done_first


def test_progress_writes_to_the_stderr_of_the_call_not_of_the_import(monkeypatch):
    # A default bound at import kept the stream of whichever test imported the runner first;
    # once pytest closed it, a run slower than 10 s died on "I/O operation on closed file".
    from calcvision.infer.runner import Progress

    now = io.StringIO()
    monkeypatch.setattr(sys, "stderr", now)
    progress = Progress(3, enabled=False, every_s=0.0)
    progress.update(1, 2)
    assert "[infer] 1/3 files, 2 images" in now.getvalue()


def test_roi_box_in_original_pixels_and_single_image_only(tmp_path, model_file, capsys):
    src = tmp_path / "in"
    src.mkdir()
    img = _plate(src / "a.dcm", 7, shape=(400, 500))
    out = tmp_path / "out"
    code, _, err = _infer(capsys, img, "--out", out, "--model", model_file, "--roi", "100,50,400,350", "--workers", "0")
    assert code == 0, err
    (row,) = _rows(out)
    if row["pattern"] != "none":
        x0, y0, x1, y1 = (int(row[f"roi_{k}"]) for k in ("x0", "y0", "x1", "y1"))
        assert 100 <= x0 < x1 <= 400 and 50 <= y0 < y1 <= 350
    _plate(src / "b.dcm", 8)
    code, _, err = _infer(capsys, src, "--out", tmp_path / "out2", "--model", model_file, "--roi", "0,0,10,10")
    assert code == 2 and "single image" in err and len(err.strip().splitlines()) == 1
    code, _, err = _infer(capsys, img, "--out", tmp_path / "out3", "--model", model_file, "--roi", "5,5,1")
    assert code == 2 and "--roi" in err


def test_spacing_option_applies_only_to_files_that_state_none(tmp_path, model_file, capsys):
    """``--spacing-mm``: a PNG (no spacing) is read at the given 0.1 mm instead of the assumed
    0.15 mm, so at the model's 0.8 mm/pixel it has fewer tiles; a DICOM keeps its own 0.2 mm."""
    from PIL import Image

    src = tmp_path / "in"
    src.mkdir()
    Image.fromarray(np.random.default_rng(0).integers(60, 200, (1200, 1200), dtype=np.uint8)).save(src / "p.png")
    _plate(src / "d.dcm", 9)
    recs, says = {}, {}
    for name, extra in (("assumed", []), ("given", ["--spacing-mm", "0.1"])):
        code, stdout, err = _infer(capsys, src, "--out", tmp_path / name, "--model", model_file, "--workers", "0", *extra)
        assert code == 0, err
        recs[name] = {Path(r["path"]).suffix: r for r in map(json.loads, open(tmp_path / name / "results.jsonl"))}
        says[name] = "1 image(s) state no pixel spacing" in stdout
    assert says == {"assumed": True, "given": False}  # the summary asks for --spacing-mm only when it was not given
    assert json.loads((tmp_path / "given" / "summary.json").read_text())["spacing_source"] == {
        "option": 1, "ImagerPixelSpacing": 1}
    png, dcm = recs["given"][".png"], recs["given"][".dcm"]
    assert (png["spacing_mm"], png["spacing_source"]) == ([0.1, 0.1], "option") and "--spacing-mm" in png["reason"]
    assert recs["assumed"][".png"]["spacing_mm"] == [0.15, 0.15] and "assumed" in recs["assumed"][".png"]["reason"]
    assert png["n_tiles"] < recs["assumed"][".png"]["n_tiles"]
    assert (dcm["spacing_mm"], dcm["spacing_source"], dcm["reason"]) == ([0.2, 0.2], "ImagerPixelSpacing", "")
    code, _, err = _infer(capsys, src, "--out", tmp_path / "bad", "--model", model_file, "--spacing-mm", "0")
    assert code == 2 and "--spacing-mm" in err and len(err.strip().splitlines()) == 1


def test_usage_errors_exit_2_with_one_line(tmp_path, model_file, capsys):
    code, _, err = _infer(capsys, tmp_path / "missing", "--out", tmp_path / "o", "--model", model_file)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "missing" in err
    code, _, err = _infer(capsys, tmp_path, "--out", tmp_path / "o", "--model", tmp_path / "nope.safetensors")
    assert code == 2 and "nope.safetensors" in err


def test_context_table_joined_and_reported(tmp_path, model_file, capsys):
    src = tmp_path / "in"
    src.mkdir()
    _plate(src / "a.dcm", 11, patient_id="P1", study_uid="2.25.111")
    _plate(src / "b.dcm", 12, patient_id="P2", study_uid="2.25.222")
    _plate(src / "c.dcm", 13, patient_id="P3", study_uid="2.25.333")
    table = tmp_path / "cases.csv"
    table.write_text("patient_id,study_uid,age_years,dialysis\n"
                     "P1,,54,true\n"
                     ",2.25.222,30,\n"
                     "NOBODY,,40,false\n")
    out = tmp_path / "out"
    code, stdout, err = _infer(capsys, src, "--out", out, "--model", model_file, "--context", table, "--workers", "0")
    assert code == 0, err
    recs = {Path(r["path"]).name: r for r in map(json.loads, open(out / "results.jsonl"))}
    assert (recs["a.dcm"]["context_row"], recs["b.dcm"]["context_row"], recs["c.dcm"]["context_row"]) == (1, 2, None)
    ctx = json.loads((out / "summary.json").read_text())["context"]
    assert ctx == {"mode": "table", "unmatched_rows": [3], "images_without_row": 1}
    assert "1 CSV row(s) matched no image (rows 3); 1 image(s) matched no row" in stdout


def test_invalid_context_row_rejected_before_any_image(tmp_path, model_file, capsys):
    src = tmp_path / "in"
    src.mkdir()
    _plate(src / "a.dcm", 21)
    table = tmp_path / "cases.csv"
    table.write_text("patient_id,age_years,sex\nP1,54,female\nP2,500,male\n")
    out = tmp_path / "out"
    code, _, err = _infer(capsys, src, "--out", out, "--model", model_file, "--context", table)
    assert code == 2 and "row 2" in err and "age_years" in err and len(err.strip().splitlines()) == 1
    assert not out.exists()
    code, _, err = _infer(capsys, src, "--out", out, "--model", model_file, "--context", '{"sex": "robot"}')
    assert code == 2 and "sex" in err and not out.exists()


def test_optimised_tile_scorer_matches_the_model(model_file):
    import torch

    from calcvision.infer.predict import TileScorer
    from calcvision.model import load_model

    model = load_model(model_file)
    scorer = TileScorer(model)
    assert scorer.net is not None  # BN folded, channels-last copy in use
    x = torch.randn(5, 1, 64, 64).clamp(-4, 4)
    with torch.inference_mode():
        assert torch.allclose(scorer(x), model.tile_probs(x), atol=1e-5)


def test_lightning_trainer_path_gives_the_same_rows(tmp_path, model_file, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # Lightning must not write logs or checkpoints here either
    src = tmp_path / "in"
    src.mkdir()
    _plate(src / "a.dcm", 31)
    _plate(src / "b.dcm", 32, frames=2)
    (src / "c.txt").write_text("x")
    rows = {}
    for name, extra in (("plain", []), ("lightning", ["--accelerator", "cpu"])):
        code, _, err = _infer(capsys, src, "--out", tmp_path / name, "--model", model_file, "--workers", "0", *extra)
        assert code == 0, err
        rows[name] = _rows(tmp_path / name)
        assert sorted(p.name for p in (tmp_path / name).iterdir()) == sorted(
            [".calcvision-infer.lock", "results.csv", "results.jsonl", "summary.json"])
    assert [(r["path"], r["frame"], r["status"], r["pattern"]) for r in rows["plain"]] == \
        [(r["path"], r["frame"], r["status"], r["pattern"]) for r in rows["lightning"]]
    for a, b in zip(rows["plain"], rows["lightning"]):
        for c in probability_columns():
            assert (a[c] == b[c] == "") or abs(float(a[c]) - float(b[c])) < 1e-4
    code, _, err = _infer(capsys, src, "--out", tmp_path / "x", "--model", model_file, "--accelerator", "cpu",
                          "--devices", "2")
    assert code == 2 and "--devices" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "lightning", "plain"]


def test_shipped_model_on_a_real_cr_with_context(tmp_path, capsys):
    """The default model (no --model), a real CR from pydicom-data, a single context: the
    differential of a finding is the ddx engine's, with the context applied."""
    out = tmp_path / "out"
    code, stdout, err = _infer(capsys, pydicom_file("RG1_UNCR.dcm"), "--out", out, "--workers", "0",
                               "--context", '{"age_years": 60, "dialysis": true}')
    assert code == 0, err
    (rec,) = [json.loads(l) for l in open(out / "results.jsonl")]
    assert rec["status"] == "ok" and rec["provenance"]["model_version"]
    summary = json.loads((out / SUMMARY_NAME).read_text())
    assert summary["lesion_prevalence_assumed"] == pytest.approx(6 / 7)  # stated, with the way to change it
    assert "86% of images hold a calcification" in stdout + err and "calcvision recalibrate" in stdout + err
    assert abs(sum(rec[c] for c in probability_columns()) - 1) < 1e-6
    if rec["pattern"] == "none":
        assert rec["differential"] is None and rec["roi_x0"] is None
    else:
        assert rec["top_diagnosis"] == rec["differential"]["differential"][0]["name"]
        assert rec["differential"]["pattern"] == rec["pattern"]
        assert 0 <= rec["roi_x0"] < rec["roi_x1"] <= 1841 and 0 <= rec["roi_y0"] < rec["roi_y1"] <= 1955
