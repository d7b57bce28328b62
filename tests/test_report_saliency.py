"""Layer-CAM saliency (calcvision.model.cam) computed at the model's scale and returned on the
original image's pixel grid."""

from __future__ import annotations

import numpy as np
import pytest

from calcvision.io.radiograph import Provenance, Radiograph
from calcvision.report.overlay import render
from calcvision.report.saliency import saliency_map
from tests.report_helpers import BrightSpotModel, phantom_pixels

BOX = (300, 120, 340, 160)  # x0, y0, x1, y1


@pytest.fixture(scope="module")
def radiograph() -> Radiograph:
    # anisotropic spacing: the model-scale image is not a uniform zoom of the original
    return Radiograph(phantom_pixels((400, 500), BOX), (0.2, 0.3), "ImagerPixelSpacing", Provenance("mem"))


@pytest.mark.parametrize("box", [BOX, None], ids=["around-box", "whole-image"])
def test_saliency_is_on_the_original_grid_and_peaks_on_the_lesion(radiograph, box):
    heat = saliency_map(BrightSpotModel(), radiograph, "rice_grain", box=box)
    assert heat.shape == radiograph.shape and heat.dtype == np.float32
    assert 0.0 <= heat.min() and heat.max() <= 1.0
    x0, y0, x1, y1 = BOX
    inside = heat[y0:y1, x0:x1]
    outside = heat.copy()
    outside[max(0, y0 - 20):y1 + 20, max(0, x0 - 20):x1 + 20] = 0
    assert inside.mean() > 0.5
    assert outside.max() < 0.3 * inside.max() and outside.mean() < 0.05 * inside.mean()
    peak_y, peak_x = np.unravel_index(np.argmax(heat), heat.shape)
    assert y0 - 4 <= peak_y < y1 + 4 and x0 - 4 <= peak_x < x1 + 4


def test_class_the_model_does_not_see_gets_no_heat(radiograph):
    # BrightSpotModel never raises 'sheet': its tiles' probability and gradient for it are ~0
    heat = saliency_map(BrightSpotModel(), radiograph, "sheet", box=BOX)
    assert heat.max() < 0.2


def test_overlay_draws_box_and_heat_at_thumbnail_size(radiograph):
    heat = saliency_map(BrightSpotModel(), radiograph, "rice_grain", box=BOX)
    plain = np.asarray(render(radiograph.pixels, max_side=250))
    img = np.asarray(render(radiograph.pixels, heat=heat, box=BOX, label="rice_grain", max_side=250))
    assert img.shape == plain.shape == (200, 250, 3)
    f = 250 / 500
    x0, y0, x1, y1 = (int(v * f) for v in BOX)
    assert (img[y0 + 3:y1 - 3, x0 + 3:x1 - 3] != plain[y0 + 3:y1 - 3, x0 + 3:x1 - 3]).any(axis=2).mean() > 0.8
    assert (img[150:, :100] == plain[150:, :100]).all()  # far from the lesion: untouched
