"""scripts/compare_bench_runs.py: paired counts and the exact McNemar test of two benchmark runs."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import compare_bench_runs as cmp

LABELS = ["sheet", "none", "rice_grain", "none"]


def _run(root: Path, preds: list[str]) -> Path:
    (root / "results").mkdir(parents=True)
    with open(root / "manifest.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "label"])
        w.writerows([f"images/img_{i:05d}.dcm", lab] for i, lab in enumerate(LABELS))
    with open(root / "results" / "results.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "pattern"])
        w.writerows([f"/x/images/img_{i:05d}.dcm", p] for i, p in enumerate(preds))
    return root


def test_mcnemar_exact_matches_the_binomial_tail():
    assert cmp.mcnemar_exact(0, 0) == 1.0
    assert cmp.mcnemar_exact(5, 0) == pytest.approx(2 / 32)
    assert cmp.mcnemar_exact(1, 4) == pytest.approx(2 * 6 / 32)
    assert cmp.mcnemar_exact(3, 3) == 1.0


def test_pairs_count_images_right_for_one_model_only(tmp_path, capsys):
    a = _run(tmp_path / "a", ["sheet", "none", "sheet", "none"])       # 3 right
    b = _run(tmp_path / "b", ["rice_grain", "none", "rice_grain", "sheet"])  # 2 right
    assert cmp.main([str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert "3/4" in out and "2/4" in out and "right only for A 2, only for B 1" in out


def test_a_missing_result_or_folder_is_a_one_line_error(tmp_path, capsys):
    a = _run(tmp_path / "a", ["sheet", "none", "sheet", "none"])
    short = _run(tmp_path / "c", ["sheet", "none", "sheet"])
    assert cmp.main([str(a), str(short)]) == 2
    assert "no result for 1 image" in capsys.readouterr().err
    assert cmp.main([str(a), str(tmp_path / "nowhere")]) == 2
    assert "nowhere" in capsys.readouterr().err


def test_boxes_are_paired_on_the_lesions_both_models_classify_right(tmp_path, capsys):
    """Box columns present: of the lesions both get right, whose box fits (IoU >= 0.3) for one only."""
    def run(root: Path, rows: list[tuple[str, tuple | None]]) -> Path:
        (root / "results").mkdir(parents=True)
        truth = [("sheet", (0, 0, 10, 10)), ("rice_grain", (0, 0, 10, 10)), ("tumoral_glob", (0, 0, 10, 10)),
                 ("none", None)]
        with open(root / "manifest.csv", "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["path", "label", "x0", "y0", "x1", "y1"])
            w.writerows([f"images/img_{i:05d}.dcm", lab, *(box or ("", "", "", ""))] for i, (lab, box) in enumerate(truth))
        with open(root / "results" / "results.csv", "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["path", "pattern", "roi_x0", "roi_y0", "roi_x1", "roi_y1"])
            w.writerows([f"/x/images/img_{i:05d}.dcm", p, *(box or ("", "", "", ""))] for i, (p, box) in enumerate(rows))
        return root

    fit, off = (1, 1, 10, 10), (50, 50, 60, 60)
    a = run(tmp_path / "a", [("sheet", fit), ("rice_grain", fit), ("tumoral_glob", off), ("none", None)])
    b = run(tmp_path / "b", [("sheet", off), ("rice_grain", fit), ("sheet", fit), ("none", None)])
    assert cmp.main([str(a), str(b)]) == 0
    out = capsys.readouterr().out
    # the glob is right for A only, so only the sheet and the rice grain are paired
    assert "on the 2 lesions both classify right: A 2, B 1; fit only for A 1, only for B 0" in out, out
