"""scripts/domain_probe.py: paired comparison and tile pooling from dumps of tile evidence."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

import domain_probe as dp  # noqa: E402

from calcvision.patterns import CLASSES, NONE  # noqa: E402

NI = CLASSES.index(NONE)


def _dump(path: Path, domains: list[str], labels: list[str], lesion_evidence: list[float], called: list[str],
          **extra) -> str:
    """A dump whose images have one tile each: evidence 1 - p_none and the rest on ``called``."""
    best = np.zeros((len(labels), len(CLASSES)))
    for i, (e, c) in enumerate(zip(lesion_evidence, called)):
        best[i, NI] = 1 - e
        best[i, CLASSES.index(c)] += e
    np.savez(path, domain=np.array(domains), label=np.array(labels), best=best,
             evidence=np.array(lesion_evidence, np.float32), n_tiles=np.ones(len(labels), int),
             image_calibration=np.array([1.0, 0.0, 0.0]), model_sha256="0" * 64, **extra)
    return str(path)


def test_compare_counts_images_right_for_one_model_only_in_shared_domains(tmp_path, capsys):
    labels = ["rice_grain", "sheet", NONE, NONE]
    a = _dump(tmp_path / "a.npz", ["x", "x", "x", "y"], labels, [0.9, 0.9, 0.8, 0.1],
              ["rice_grain", "sheet", "sheet", "sheet"])
    b = _dump(tmp_path / "b.npz", ["x", "x", "x"], labels[:3], [0.9, 0.2, 0.1], ["rice_grain", "sheet", "sheet"])
    dp.main(["compare", a, b])
    out = capsys.readouterr().out
    # domain y is only in A: left out; in x, A gets the sheet right and B the lesion-free image
    assert "pooled over x:" in out and "A 0.667 / 1 of 1 / 0 / " in out and "B 0.667 / 0 of 1 / 1 / " in out
    assert "right for A only 1, B only 1 (p 1)" in out and "recall" not in out
    dp.main(["compare", a, b, "--per-class"])
    assert "recall A / B: rice_grain 1.00 / 1.00, sheet 1.00 / 0.00, none 0.00 / 1.00" in capsys.readouterr().out


def test_a_dumps_image_temperature_softens_its_confidences_not_its_calls(tmp_path, capsys):
    """A dump made with a model that has an image temperature gives the images' probabilities as
    ``calcvision infer`` does: the same calls as without it, less sure; ``compare`` prints the
    ECE, the mean confidence and the NLL, which the softer model lowers on a wrong call."""
    labels, called = ["sheet", "rice_grain"], ["sheet", "sheet"]
    a = _dump(tmp_path / "a.npz", ["x", "x"], labels, [0.95, 0.95], called)
    b = _dump(tmp_path / "b.npz", ["x", "x"], labels, [0.95, 0.95], called, image_temperature=2.0)
    pa, pb = dp.image_probabilities(dp.load(a)), dp.image_probabilities(dp.load(b))
    assert np.array_equal(pa.argmax(1), pb.argmax(1)) and (pb.max(1) < pa.max(1)).all()
    dp.main(["compare", a, b])
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("x "))
    nll_a, nll_b = (float(cell.split(";")[0].split(" / ")[-1]) for cell in line.split("  B ")[0:2])
    assert "right for A only 0, B only 0" in line and nll_b < nll_a


def test_compare_refuses_dumps_of_other_images(tmp_path):
    a = _dump(tmp_path / "a.npz", ["x"], ["sheet"], [0.9], ["sheet"])
    b = _dump(tmp_path / "b.npz", ["x"], [NONE], [0.9], ["sheet"])
    with pytest.raises(SystemExit, match="different images"):
        dp.main(["compare", a, b])


def test_pooling_fits_on_the_named_domain_and_separates_a_separable_set(tmp_path, capsys):
    rng = np.random.default_rng(0)
    labels = ["sheet"] * 30 + [NONE] * 30
    evidence = list(np.r_[rng.uniform(0.6, 0.99, 30), rng.uniform(0.01, 0.4, 30)])
    d = _dump(tmp_path / "d.npz", ["fit"] * 60, labels, evidence, ["sheet"] * 60)
    dp.main(["pooling", d, "--fit", "fit"])
    base = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("base"))
    assert "fit 1.000 0/30 0" in base
    with pytest.raises(SystemExit, match="no domain"):
        dp.main(["pooling", d, "--fit", "other"])


def test_temperature_softens_an_over_confident_model_and_keeps_its_calls(tmp_path, capsys):
    """Right 60 % of the time at confidence 0.9: the fitted T > 1 brings the mean confidence
    towards 0.6 and the ECE down; the calls (and so the accuracy) stay."""
    n = 50
    labels = ["sheet"] * 30 + ["rice_grain"] * 20  # every image called sheet
    d = _dump(tmp_path / "d.npz", ["fit"] * n, labels, [0.9] * n, ["sheet"] * n)
    dp.main(["temperature", d, "--fit", "fit"])
    out = capsys.readouterr().out
    t = float(out.split("T = ")[1].split(",")[0])
    line = next(x for x in out.splitlines() if x.startswith("fit "))
    before, after = (float(v.split(" (")[0]) for v in line.split("accuracy 0.600  ")[1].split(" -> "))
    assert t > 1 and after < before


def test_shift_tells_images_far_from_the_fit_domain(tmp_path, capsys):
    """Features of a domain 3 standard deviations away are told from the fit domain's held-out
    half (AUC near 1); the fit domain's own held-out half shows no AUC against itself."""
    rng = np.random.default_rng(1)
    n = 60
    path = _dump(tmp_path / "d.npz", ["own"] * n + ["far"] * n, ["sheet"] * 2 * n, [0.9] * 2 * n, ["sheet"] * 2 * n)
    d = dict(np.load(path))
    d["features"] = np.r_[rng.normal(0, 1, (n, 8)), rng.normal(3, 1, (n, 8))]
    np.savez(path, **d)
    dp.main(["shift", path, "--fit", "own"])
    lines = {x.split()[0]: x for x in capsys.readouterr().out.splitlines()[1:]}
    assert float(lines["far"].split("vs own ")[1].split()[0]) > 0.95
    assert "vs own nan" in lines["own"]
    with pytest.raises(SystemExit, match="too few"):
        dp.main(["shift", path, "--fit", "nowhere"])
