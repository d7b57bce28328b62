"""`calcvision ddx`: JSON and table output, one-line errors with exit code 2."""

import json
import subprocess
import sys

import pytest

from calcvision import NOT_FOR_CLINICAL_USE
from calcvision.cli import ddx_cmd


def _run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "calcvision", "ddx", *args], capture_output=True,
                          text=True, cwd=cwd)


def test_json_output_matches_the_interface():
    r = _run("--pattern", "tumoral_glob", "--context", '{"dialysis": true, "phosphate_mg_dl": 8}', "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert set(out) == {"pattern", "differential", "next_questions"} and out["pattern"] == "tumoral_glob"
    assert out["differential"][0]["id"] == "secondary_hyperparathyroidism"
    assert all(set(q) == {"field", "why"} for q in out["next_questions"])


def test_table_output_and_context_file(tmp_path):
    f = tmp_path / "case.yaml"
    f.write_text("age_years: 9\nlimb_level: proximal\nsite: muscle\n")
    r = _run("--probs", '{"sheet": 0.9, "none": 0.1}', "--context", str(f))
    assert r.returncode == 0, r.stderr
    assert "Dermatomyositis" in r.stdout.splitlines()[2]
    assert NOT_FOR_CLINICAL_USE in r.stdout


def test_one_row_csv_is_accepted_and_many_rows_are_not(tmp_path):
    one = tmp_path / "one.csv"
    one.write_text("patient_id,site\nP1,pelvis\n")
    assert _run("--pattern", "phlebolith_ring", "--context", str(one), "--json").returncode == 0
    two = tmp_path / "two.csv"
    two.write_text("patient_id,site\nP1,pelvis\nP2,muscle\n")
    r = _run("--pattern", "phlebolith_ring", "--context", str(two))
    assert r.returncode == 2 and "2 cases" in r.stderr


@pytest.mark.parametrize("args,needle", [
    (["--pattern", "tumoral"], "unknown pattern"),
    ([], "exactly one of"),
    (["--pattern", "sheet", "--probs", '{"sheet": 1}'], "exactly one of"),
    (["--probs", '{"sheet": 2}'], "within 0-1"),
    (["--probs", "{sheet"], "invalid JSON"),
    (["--pattern", "sheet", "--context", '{"calcium_mg": 9}'], "calcium_mg"),
    (["--pattern", "sheet", "--context", '{"calcium_mg_dl": "9 mmol/l"}'], "calcium_mg_dl"),
    (["--pattern", "sheet", "--context", '{"calcium_mg_dl": 9, "calcium_mmol_l": 3}'], "disagree"),
    (["--pattern", "sheet", "--context", "no_such_file.yaml"], "no such file"),
])
def test_bad_input_exits_2_with_one_line(args, needle):
    r = _run(*args)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in r.stderr
    assert r.stdout == ""


def test_ddx_command_does_not_import_torch_or_image_modules():
    # runs the ddx subcommand module directly: the CLI registry itself imports every
    # subcommand module, whose own imports are their owners' business
    code = ("import sys, argparse; from calcvision.cli import ddx_cmd; p = argparse.ArgumentParser(); "
            "ddx_cmd.add_parser(p.add_subparsers()); "
            "ddx_cmd.run(p.parse_args(['ddx', '--pattern', 'sheet', '--json'])); "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('torch', 'PIL', 'cv2', 'skimage', 'pydicom') "
            "or m.startswith('calcvision.io') or m.startswith('calcvision.model')]; "
            "sys.stderr.write(repr(bad))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0 and r.stderr == "[]", r.stderr[-500:]


def test_parser_registers_flags():
    import argparse

    sub = argparse.ArgumentParser().add_subparsers()
    p = ddx_cmd.add_parser(sub)
    a = p.parse_args(["--pattern", "sheet", "--json", "--top", "3"])
    assert a.pattern == "sheet" and a.json and a.top == 3
