"""Whole-radiograph prediction geometry: resampling, tiling, roi and the box in original pixels,
checked with a transparent bright-spot model (tests/infer_fakes.py) whose answer is known."""

import numpy as np
import pytest
import torch

from calcvision.errors import InputError
from calcvision.infer.predict import aggregate, finding_region, predict_radiograph
from calcvision.io.radiograph import Provenance, Radiograph
from calcvision.patterns import CLASSES
from infer_fakes import SpotModel


def _plate(shape, spot=None, spacing=(0.2, 0.2), seed=0):
    rng = np.random.default_rng(seed)
    px = (0.3 + 0.01 * rng.standard_normal(shape)).astype(np.float32)
    if spot is not None:
        x0, y0, x1, y1 = spot
        px[y0:y1, x0:x1] = 0.9
    return Radiograph(px, spacing, "PixelSpacing", Provenance("mem"))


@pytest.mark.parametrize("spacing", [(0.2, 0.2), (0.1, 0.2), (0.4, 0.4)])
def test_box_is_in_original_pixels(spacing):
    spot = (250, 100, 270, 116)
    pred = predict_radiograph(_plate((300, 420), spot, spacing), SpotModel(mm_per_pixel=0.4, tile_px=32))
    assert pred.pattern == "rice_grain"
    # one model pixel (0.4 mm) is 0.4 / spacing original pixels: the box may be off by that much
    tol_x, tol_y = 0.4 / spacing[1] + 1, 0.4 / spacing[0] + 1
    for got, want, tol in zip(pred.box, spot, (tol_x, tol_y, tol_x, tol_y)):
        assert abs(got - want) <= tol, (pred.box, spot)


def test_roi_restricts_the_search_and_keeps_original_coordinates():
    spot_a, spot_b = (40, 40, 56, 52), (300, 200, 316, 212)
    rad = _plate((300, 400), spot_a)
    rad.pixels[200:212, 300:316] = 0.9
    model = SpotModel(mm_per_pixel=0.4, tile_px=32)
    pred = predict_radiograph(rad, model, roi=(250, 150, 400, 300))
    assert pred.pattern == "rice_grain"
    assert all(abs(g - w) <= 3 for g, w in zip(pred.box, spot_b)), pred.box
    assert predict_radiograph(rad, model, roi=(0, 0, 120, 120)).box[0] < 60
    with pytest.raises(InputError, match="outside the image"):
        predict_radiograph(rad, model, roi=(500, 500, 600, 600))


def test_flat_image_is_none_without_box_and_probabilities_sum_to_one():
    pred = predict_radiograph(_plate((200, 260)), SpotModel(tile_px=32))
    assert pred.pattern == "none" and pred.box is None
    assert abs(sum(pred.probs.values()) - 1.0) < 1e-9
    assert list(pred.probs) == list(CLASSES)
    assert pred.confidence == max(pred.probs.values())


def test_image_smaller_than_a_tile_is_padded():
    pred = predict_radiograph(_plate((40, 30), (10, 10, 18, 18)), SpotModel(mm_per_pixel=0.2, tile_px=64))
    assert pred.n_tiles == 1 and pred.pattern == "rice_grain"
    assert pred.box[2] <= 30 and pred.box[3] <= 40


def test_strongest_tile_rule():
    probs = torch.tensor([[0.0, 0, 0, 0, 0, 0.1, 0.9],   # lesion evidence 0.1
                          [0.5, 0, 0, 0.2, 0, 0, 0.3],   # 0.7: the winner
                          [0.0, 0, 0, 0, 0, 0.4, 0.6]])
    best, p = aggregate(probs)
    assert best == 1 and np.argmax(p) == 0 and abs(p.sum() - 1) < 1e-12
    assert np.allclose(p, probs[1].double().numpy())  # identity image calibration: the winner's own
    # an image calibration that discounts the maximum over tiles turns weak evidence into `none`
    best, p = aggregate(probs, (1.0, -2.0))
    assert best == 1 and np.argmax(p) == 6 and abs(p.sum() - 1) < 1e-12
    assert abs(p[0] / p[3] - 0.5 / 0.2) < 1e-6  # lesion classes keep their shares (float32 input)


def test_finding_region_joins_foci_across_one_tile_but_not_far_ones_or_other_classes():
    """A scattered cluster: tiles 0 and 2 see rice grains, tile 1 between them sees none, so
    the region joins them only when its steps may reach past one tile; tile 3 (a sheet) and the
    distant tile 4 never join."""
    class Prep:  # what finding_region reads: tile size and tile origins (y, x), stride 24 px
        tiles = np.zeros((5, 1, 32, 32), np.float32)
        origins = [(0, 0), (0, 24), (0, 48), (0, 72), (0, 300)]
    rice, sheet, none = CLASSES.index("rice_grain"), CLASSES.index("sheet"), CLASSES.index("none")
    probs = torch.zeros(5, len(CLASSES))
    for j, (cls, p) in enumerate([(rice, 0.9), (none, 0.9), (rice, 0.5), (sheet, 0.9), (rice, 0.9)]):
        probs[j, cls] = p
        probs[j, none] += 1 - p
    assert finding_region(Prep(), probs, 0, rice, reach=1.0) == [0]
    assert finding_region(Prep(), probs, 0, rice, reach=2.0) == [0, 2]  # most suspicious first
    assert finding_region(Prep(), probs, 0, rice, support=0.6, reach=2.0) == [0]  # 0.5 < 0.6 x 0.9


def test_fast_tile_normalisation_equals_the_shared_normalise_tile():
    from calcvision.model.preprocess import normalise_uint16_tiles
    from calcvision.model.preprocess import normalise_tile

    rng = np.random.default_rng(3)
    tiles = (rng.random((5, 48, 48)) ** 3 * 65535).astype(np.uint16)
    tiles[1] = 1000  # flat tile: spread clamped
    tiles[2, :10] = 65535
    want = normalise_tile(torch.from_numpy(tiles.astype(np.float32) / 65535.0)).numpy()
    got = normalise_uint16_tiles(tiles)
    assert got.dtype == np.float32 and np.abs(got - want).max() < 1e-4


def test_whole_image_prediction_applies_the_models_image_calibration():
    """``calcvision infer`` reads (a, b) from the model: the same tiles, a calibration that
    discounts the strongest tile much more, and the image's lesion probability drops."""
    plate = _plate((200, 200), (90, 90, 98, 98))
    model = SpotModel(mm_per_pixel=0.2, tile_px=64)
    plain = predict_radiograph(plate, model)
    model.image_calibration = (1.0, -30.0, 0.0)
    discounted = predict_radiograph(plate, model)
    assert plain.pattern == "rice_grain" and discounted.pattern == "none" and discounted.box is None
    assert discounted.probs["none"] > plain.probs["none"]
    model.image_calibration, model.image_temperature = (1.0, 0.0, 0.0), 3.0
    softened = predict_radiograph(plate, model)  # the same call and box, less sure
    assert softened.pattern == plain.pattern and softened.box == plain.box
    assert softened.confidence < plain.confidence and sum(softened.probs.values()) == pytest.approx(1)
