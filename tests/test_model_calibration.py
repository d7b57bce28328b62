"""Temperature and image-level (Platt) calibration."""

import numpy as np
import pytest
import torch

from calcvision.model.calibration import (domain_weights, expected_calibration_error, fit_image_calibration,
                                         fit_image_temperature, fit_temperature, image_probs, shift_lesion_prevalence,
                                         temper)


def test_temperature_recovers_an_overconfident_model():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(4000, 7, generator=g) * 2
    labels = torch.multinomial(torch.softmax(logits, 1), 1, generator=g)[:, 0]
    t = fit_temperature(logits * 3, labels)  # 3x overconfident
    assert abs(t - 3) < 0.3


def test_image_calibration_recovers_platt_parameters_and_lowers_ece():
    rng = np.random.default_rng(1)
    z = rng.normal(0, 2.5, 6000)                   # logit of the strongest tile's evidence
    evidence = 1 / (1 + np.exp(-z))
    a_true, b_true = 0.6, -1.5                     # the max over tiles overstates the lesion odds
    y = rng.random(6000) < 1 / (1 + np.exp(-(a_true * z + b_true)))
    a, b = fit_image_calibration(evidence, y)
    assert abs(a - a_true) < 0.1 and abs(b - b_true) < 0.15
    tile = np.stack([evidence, 1 - evidence], 1)   # two "classes": lesion, none
    before = expected_calibration_error(tile, (~y).astype(int))
    after = expected_calibration_error(image_probs(tile, 1, a, b), (~y).astype(int))
    assert after < before / 2


def test_image_calibration_recovers_the_tile_count_term():
    """A lesion-free image's strongest tile fires more often the more tiles it has: the fitted
    ``c`` takes that off the log-odds, and the two-number fit, blind to it, is worse."""
    rng = np.random.default_rng(2)
    n_tiles = rng.integers(4, 400, 8000)
    z = rng.normal(0, 2.5, 8000)
    evidence = 1 / (1 + np.exp(-z))
    a_true, b_true, c_true = 0.8, 1.0, 0.9
    y = rng.random(8000) < 1 / (1 + np.exp(-(a_true * z + b_true - c_true * np.log(n_tiles))))
    a, b, c = fit_image_calibration(evidence, y, n_tiles)
    assert abs(a - a_true) < 0.1 and abs(b - b_true) < 0.4 and abs(c - c_true) < 0.1
    tile = np.stack([evidence, 1 - evidence], 1)
    big = n_tiles > 200  # blind to the tile count, the fit overstates the lesion odds of large images
    labels = (~y[big]).astype(int)
    with_c = expected_calibration_error(image_probs(tile[big], 1, a, b, c, n_tiles=n_tiles[big]), labels)
    without = expected_calibration_error(image_probs(tile[big], 1, *fit_image_calibration(evidence, y)), labels)
    assert with_c < 0.015 and without > 3 * with_c
    assert fit_image_calibration(evidence, np.ones(8000, bool), n_tiles) == (1.0, 0.0, 0.0)


def test_temper_keeps_the_call_and_softens_the_confidence():
    p = np.array([[0.7, 0.2, 0.1], [0.05, 0.05, 0.9], [0.0, 1.0, 0.0]])
    assert np.array_equal(temper(p, 1.0), p)
    soft = temper(p, 2.0)
    assert np.allclose(soft.sum(1), 1) and np.array_equal(soft.argmax(1), p.argmax(1))
    assert (soft.max(1)[:2] < p.max(1)[:2]).all() and abs(soft[0, 0] / soft[0, 1] - np.sqrt(3.5)) < 1e-9
    assert (temper(p, 0.5).max(1) >= p.max(1)).all()


def test_image_temperature_weighs_every_source_the_same():
    """Two sources: a large one calibrated as it is, a small one three times over-confident.
    Pooled, the large source decides the temperature (near 1); weighted, each counts half and
    the temperature lies between the two sources' own fits; every source weighs the same."""
    g = torch.Generator().manual_seed(3)

    def source(n: int, overconfidence: float):
        logits = torch.randn(n, 7, generator=g) * 2
        labels = torch.multinomial(torch.softmax(logits, 1), 1, generator=g)[:, 0]
        return torch.softmax(logits * overconfidence, 1).numpy(), labels.numpy()

    (pa, ya), (pb, yb) = source(6000, 1.0), source(600, 3.0)
    probs, labels = np.concatenate([pa, pb]), np.concatenate([ya, yb])
    domains = ["own"] * len(ya) + ["other"] * len(yb)
    w = domain_weights(domains)
    assert w[:6000].sum() == pytest.approx(w[6000:].sum()) and w.sum() == pytest.approx(len(w))
    alone_a, alone_b = fit_image_temperature(pa, ya), fit_image_temperature(pb, yb)
    pooled, weighted = fit_image_temperature(probs, labels), fit_image_temperature(probs, labels, domains)
    assert abs(alone_a - 1) < 0.1 and abs(alone_b - 3) < 0.4
    assert pooled < 1.3 and alone_a + 0.4 < weighted < alone_b - 0.4


def test_image_probs_identity_shares_and_sum():
    p = np.array([[0.3, 0.1, 0.0, 0.0, 0.0, 0.0, 0.6], [0.0, 0, 0, 0, 0, 0, 1.0]])
    assert np.allclose(image_probs(p, 6), p)
    q = image_probs(p, 6, 2.0, -1.0)
    assert np.allclose(q.sum(1), 1) and abs(q[0, 0] / q[0, 1] - 3) < 1e-9 and q[1, 6] == 1.0
    assert fit_image_calibration(np.array([0.2, 0.9]), np.array([True, True])) == (1.0, 0.0)


def test_ece_floor_of_a_calibrated_model_matches_its_measured_ece_and_shrinks_with_n():
    """Labels drawn from the predicted probabilities: the measured ECE sits near the floor
    (it is that floor's sampling distribution), and the floor falls as the set grows."""
    from calcvision.model.calibration import ece_if_calibrated, expected_calibration_error

    rng = np.random.default_rng(7)

    def calibrated_set(n):
        logits = rng.normal(0, 2.5, (n, 7))
        p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
        labels = np.array([rng.choice(7, p=row) for row in p])
        return p, labels

    small_p, _ = calibrated_set(300)
    big_p, _ = calibrated_set(6000)
    small, big = ece_if_calibrated(small_p), ece_if_calibrated(big_p)
    assert 0.01 < small < 0.1 and big < 0.5 * small
    measured = [expected_calibration_error(*calibrated_set(300)) for _ in range(20)]
    assert 0.6 * small < np.mean(measured) < 1.5 * small
    # a miscalibrated set (confidence 0.9, right half the time) is far above its floor
    p = np.full((300, 7), 0.1 / 6)
    p[:, 0] = 0.9
    labels = np.where(rng.random(300) < 0.5, 0, 1)
    assert expected_calibration_error(p, labels) > 5 * ece_if_calibrated(p)


def test_wilson_interval_known_values_and_metrics_carry_it():
    """95 % Wilson intervals: 0 of 15 still has an upper bound (0.204), 8 of 10 is
    0.490-0.943 (textbook values), n = 0 has none; compute_metrics and the printed block
    carry the interval of the accuracy and of the `none` false-positive rate."""
    from calcvision.model.evaluate import compute_metrics, format_metrics, wilson_interval
    from calcvision.patterns import CLASSES

    lo, hi = wilson_interval(0, 15)
    assert lo == 0.0 and abs(hi - 0.2039) < 1e-3
    lo, hi = wilson_interval(8, 10)
    assert abs(lo - 0.4902) < 1e-3 and abs(hi - 0.9433) < 1e-3
    assert wilson_interval(0, 0) is None
    ni = CLASSES.index("none")
    labels = np.array([0] * 6 + [ni] * 4)
    probs = np.full((10, len(CLASSES)), 0.01)
    probs[np.arange(10), labels] = 0.9
    probs[9] = 0.01
    probs[9, 0] = 0.9  # one `none` tile called rice_grain
    m = compute_metrics(probs, labels)
    assert m["accuracy"] == 0.9 and m["accuracy_ci95"][0] < 0.9 < m["accuracy_ci95"][1]
    assert m["none_false_positive_rate"] == 0.25
    assert m["none_false_positive_rate_ci95"] == wilson_interval(1, 4)
    assert "accuracy: 0.9000 (95 % CI " in format_metrics(m)


def _images(rng: np.random.Generator, n: int, prevalence: float) -> tuple[np.ndarray, np.ndarray]:
    """Strongest-tile evidence of ``n`` images, a share ``prevalence`` of them lesions; each
    class's evidence is drawn the same way whatever the prevalence (label shift)."""
    y = rng.random(n) < prevalence
    z = np.where(y, rng.normal(1.0, 1.5, n), rng.normal(-1.5, 1.5, n))
    return 1 / (1 + np.exp(-z)), y


def test_prevalence_shift_keeps_images_calibrated_where_lesions_are_rarer():
    rng = np.random.default_rng(3)
    a, b = fit_image_calibration(*_images(rng, 20000, 6 / 7))     # fitted where 6 of 7 images hold a lesion
    evidence, y = _images(rng, 20000, 0.1)                         # used where 1 in 10 does
    tiles = np.stack([evidence, 1 - evidence], 1)
    labels = (~y).astype(int)
    as_fitted = image_probs(tiles, 1, a, b)
    shifted = image_probs(tiles, 1, a, shift_lesion_prevalence(b, 6 / 7, 0.1))
    assert abs(shifted[:, 0].mean() - y.mean()) < 0.02 < abs(as_fitted[:, 0].mean() - y.mean())
    assert expected_calibration_error(shifted, labels) < 0.02 < expected_calibration_error(as_fitted, labels) / 2
    assert shift_lesion_prevalence(b, 0.3, 0.3) == pytest.approx(b)
    for bad in (0.0, 1.0, -0.1):
        with pytest.raises(ValueError, match="strictly between 0 and 1"):
            shift_lesion_prevalence(b, 6 / 7, bad)
