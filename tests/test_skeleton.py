import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest

from calcvision import __version__
from calcvision.model.preprocess import normalise_tile, resample_to_scale, tile_grid
from calcvision.patterns import CLASSES, class_index, probability_columns


def test_seven_classes_in_fixed_order():
    assert CLASSES == ("rice_grain", "phlebolith_ring", "sheet", "tumoral_glob",
                       "chondrocalcinosis_line", "trabeculated_ossification", "none")
    assert probability_columns()[0] == "p_rice_grain"
    with pytest.raises(ValueError, match="unknown pattern"):
        class_index("rice")


def test_cli_version():
    out = subprocess.run([sys.executable, "-m", "calcvision", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and __version__ in out.stdout


def test_cli_bad_usage_exit_2_one_line():
    out = subprocess.run([sys.executable, "-m", "calcvision", "no-such-command"], capture_output=True, text=True)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr


def test_resample_preserves_physical_size_and_mean():
    img = np.random.default_rng(0).random((300, 200), dtype=np.float32)
    out = resample_to_scale(img, (0.1, 0.15), 0.3)
    assert out.shape == (100, 100)
    assert abs(out.mean() - img.mean()) < 1e-3


def test_tile_grid_covers_image():
    cover = np.zeros((300, 200), bool)
    for y, x in tile_grid(300, 200, 128, 96):
        assert y + 128 <= 300 and x + 128 <= 200
        cover[y:y + 128, x:x + 128] = True
    assert cover.all()


def test_evaluation_tiles_a_plate_as_infer_does_at_any_overlap():
    """``evaluate.plate_tiles`` cuts at the stride ``calcvision infer --overlap`` uses."""
    from calcvision.infer.predict import prepare, scale_params
    from calcvision.io.radiograph import Provenance, Radiograph
    from calcvision.model.evaluate import plate_tiles
    from calcvision.model.preprocess import DEFAULT_OVERLAP, quantise, tile_stride

    assert tile_stride(128) == 96 and tile_stride(128, 0.5) == 64 and DEFAULT_OVERLAP == 0.25

    model = SimpleNamespace(meta={"mm_per_pixel": 0.3, "tile_px": 64})
    img = np.random.default_rng(1).random((300, 200), dtype=np.float32)
    for overlap in (0.25, 0.5):
        prep = prepare(Radiograph(img, (0.3, 0.3), "PixelSpacing", Provenance("mem")), scale_params(model, overlap))
        tiles = plate_tiles(quantise(resample_to_scale(img, (0.3, 0.3), 0.3)), 64, overlap)
        assert tiles.shape == prep.tiles.shape and np.allclose(tiles.numpy(), prep.tiles)
    assert len(plate_tiles(quantise(img), 64, 0.5)) > len(plate_tiles(quantise(img), 64))


def test_normalise_tile_invariant_to_window_and_offset():
    rng = np.random.default_rng(1)
    tile = rng.random((64, 64), dtype=np.float32)
    a = normalise_tile(tile)
    b = normalise_tile(tile * 0.3 + 0.5)
    assert np.allclose(a.numpy(), b.numpy(), atol=1e-4)
