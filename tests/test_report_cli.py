"""`calcvision report` and the results.jsonl reader: outputs in the folder, names from hashes,
clear one-line errors for bad input."""

from __future__ import annotations

import subprocess
import sys

import pytest

from calcvision.errors import InputError, UsageError
from calcvision.report import parse_kinds
from calcvision.report.rows import load_results
from tests.report_helpers import DICOM_ROWS, make_batch, result_row, write_results


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "calcvision", "report", *args],
                          capture_output=True, text=True, timeout=300)


def test_cli_writes_html_sr_sc_into_the_output_folder(tmp_path):
    make_batch(tmp_path)
    before = {p: p.read_bytes() for p in (tmp_path / "src").iterdir()}
    proc = _cli(str(tmp_path), "--kinds", "html,sr,sc", "--no-saliency")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "report.html").is_file()
    assert len(list((tmp_path / "dicom_sr").glob("*.dcm"))) == len(DICOM_ROWS)
    assert len(list((tmp_path / "dicom_sc").glob("*.dcm"))) == len(DICOM_ROWS)
    assert "Traceback" not in proc.stderr
    assert {p: p.read_bytes() for p in (tmp_path / "src").iterdir()} == before  # inputs untouched


def test_cli_bad_kinds_and_missing_results_exit_2_one_line(tmp_path):
    proc = _cli(str(tmp_path), "--kinds", "html,pdf")
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1 and "pdf" in proc.stderr
    proc = _cli(str(tmp_path / "nowhere"))
    assert proc.returncode == 2 and "results.jsonl" in proc.stderr and "Traceback" not in proc.stderr


def test_parse_kinds():
    assert parse_kinds("html, SR") == {"html", "sr"}
    assert parse_kinds(["sc"]) == {"sc"}
    with pytest.raises(UsageError):
        parse_kinds("")


def test_resumed_rows_appear_once_and_bad_lines_name_the_line(tmp_path):
    a = result_row(tmp_path / "a.dcm", "sheet", (1, 2, 30, 40))
    b = result_row(tmp_path / "b.dcm", "none", None)
    a2 = {**a, "pattern": "tumoral_glob"}
    write_results(tmp_path, [a, b, a2])
    rows = load_results(tmp_path)
    assert [(r.path, r.pattern) for r in rows] == [(b["path"], "none"), (a["path"], "tumoral_glob")]
    assert [r.index for r in rows] == [0, 1]
    assert rows[1].differential[0]["name"] == "Tumoral calcinosis" and rows[1].next_questions
    assert rows[1].box == (1, 2, 30, 40) and rows[0].box is None
    with (tmp_path / "results.jsonl").open("a") as fh:
        fh.write("{not json\n")
    with pytest.raises(InputError, match=r"results.jsonl:4: not valid JSON"):
        load_results(tmp_path)
    write_results(tmp_path, [a, {**b, "p_sheet": "high"}])
    with pytest.raises(InputError, match=r"results.jsonl:2: field p_sheet"):
        load_results(tmp_path)
    write_results(tmp_path, [{**a, "pattern": "rice"}])
    with pytest.raises(InputError, match="rice"):
        load_results(tmp_path)


def test_missing_tool_skips_locally_and_fails_under_ci(monkeypatch):
    from tests import external_tools

    monkeypatch.setattr(external_tools.shutil, "which", lambda name: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="dicom3tools"):
        external_tools.require_tool("dciodvfy")
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        external_tools.require_tool("dciodvfy")


def test_phantoms_infer_report_end_to_end(tmp_path):
    """The issue's 'done when': a folder of phantoms through `calcvision infer` and the report
    gives report.html with every image, and one SR and one SC per image in its Study."""
    import pydicom

    from tests.report_helpers import untrained_model_file

    pytest.importorskip("calcvision.infer", reason="needs the infer package (issue 6)")
    pytest.importorskip("calcvision.cli.infer_cmd", reason="needs `calcvision infer` (issue 6)")

    model = untrained_model_file(tmp_path / "untrained.safetensors")
    run = [sys.executable, "-m", "calcvision"]
    ph, out = tmp_path / "phantoms", tmp_path / "out"
    subprocess.run([*run, "phantoms", "--out", str(ph), "--n", "7", "--seed", "3", "--shape", "384x384"],
                   check=True, capture_output=True, timeout=300)
    before = {p: p.read_bytes() for p in ph.rglob("*.dcm")}
    infer = subprocess.run([*run, "infer", str(ph), "--out", str(out), "--model", str(model), "--workers", "0",
                            "--no-progress"], capture_output=True, text=True, timeout=300)
    assert infer.returncode == 0, infer.stderr
    from calcvision.model import load_model
    from calcvision.report import write_reports

    write_reports(out, model=load_model(model), truth=ph / "manifest.csv")  # the CLI is tested above
    rows = [r for r in load_results(out) if r.ok]
    assert len(rows) == 7
    html = (out / "report.html").read_text(encoding="utf-8")
    assert all(f'id="row-{r.index}"' in html and f'id="img-{r.index}"' in html for r in rows)
    assert 'id="evaluation"' in html
    srs, scs = sorted((out / "dicom_sr").glob("*.dcm")), sorted((out / "dicom_sc").glob("*.dcm"))
    assert len(srs) == len(scs) == 7
    studies = {pydicom.dcmread(p, stop_before_pixels=True).StudyInstanceUID for p in before}
    assert {pydicom.dcmread(p, stop_before_pixels=True).StudyInstanceUID for p in srs + scs} == studies
    assert {p: p.read_bytes() for p in ph.rglob("*.dcm")} == before
