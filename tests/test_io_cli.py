"""``calcvision read``: one line per image frame or other file, errors as one line with exit 2."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

from calcvision.cli import main
from calcvision.io.dicom_write import write_radiograph
from calcvision.io.sample_data import pydicom_file

ROOT = Path(__file__).resolve().parents[1]


def test_read_prints_one_line_per_frame_and_per_other_file(tmp_path, capsys):
    stored = np.random.default_rng(0).integers(0, 1024, (2, 40, 30)).astype(np.uint16)
    write_radiograph(tmp_path / "a.dcm", stored[0], spacing_mm=(0.1, 0.12), bits_stored=10, photometric="MONOCHROME1")
    write_radiograph(tmp_path / "m.dcm", stored, spacing_mm=(0.2, 0.2), bits_stored=10, modality="CR", spacing_tag="none")
    shutil.copy(pydicom_file("rtplan.dcm"), tmp_path / "plan.dcm")
    shutil.copy(pydicom_file("MR_truncated.dcm"), tmp_path / "cut.dcm")
    assert main(["read", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    lines = [line.split("\t") for line in out.splitlines()]
    assert lines[0] == ["path", "frame", "status", "shape", "spacing_mm", "spacing_source", "photometric", "reason"]
    rows = {(os.path.basename(r[0]), r[1]): r[2:] for r in lines[1:]}
    assert rows[("a.dcm", "0")] == ["ok", "40x30", "0.1x0.12", "ImagerPixelSpacing", "MONOCHROME1", ""]
    assert rows[("m.dcm", "1")] == ["ok", "40x30", "0.15x0.15", "assumed", "MONOCHROME2", ""]
    assert rows[("plan.dcm", "")][0] == "skipped" and "RT Plan" in rows[("plan.dcm", "")][-1]
    assert rows[("cut.dcm", "")][0] == "error" and "truncated" in rows[("cut.dcm", "")][-1]
    assert len(lines) == 1 + 5
    assert "3 image frame(s) read, 1 skipped, 1 error(s)" in err


def test_read_missing_input_is_one_line_exit_2():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-m", "calcvision", "read", "/no/such/file.dcm"],
                         capture_output=True, text=True, env=env, cwd=ROOT)
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "no such file" in out.stderr
    assert "Traceback" not in out.stderr
