"""The pixel pipeline (stored values -> 0..1, MONOCHROME2 sense) against the standard's formulas."""

import doctest

import numpy as np
import pytest

import calcvision.io.pixel_pipeline as pp
from calcvision.io.pixel_pipeline import Lut, stored_to_unit


def _linear_window_reference(x, c, w):
    """PS3.3 C.11.2.1.2.1, written out piecewise, output 0..1."""
    x = np.asarray(x, np.float64)
    y = ((x - (c - 0.5)) / (w - 1) + 0.5)
    y = np.where(x <= c - 0.5 - (w - 1) / 2, 0.0, y)
    y = np.where(x > c - 0.5 + (w - 1) / 2, 1.0, y)
    return y


def test_doctests():
    assert doctest.testmod(pp).failed == 0


def test_no_window_uses_bits_stored_range_not_dtype():
    x = np.array([[0, 511, 1023]], np.uint16)
    out = stored_to_unit(x, bits_stored=10, signed=False, photometric="MONOCHROME2")
    assert out.dtype == np.float32
    assert np.allclose(out, [[0, 511 / 1023, 1]])


def test_linear_window_matches_standard_formula():
    x = np.arange(0, 4096, dtype=np.uint16).reshape(64, 64)
    out = stored_to_unit(x, bits_stored=12, signed=False, photometric="MONOCHROME2",
                         window_center=1500, window_width=801)
    assert np.allclose(out, _linear_window_reference(x, 1500, 801), atol=1e-6)


def test_monochrome1_inverted_after_voi():
    rng = np.random.default_rng(0)
    m2 = rng.integers(0, 4096, (50, 60)).astype(np.uint16)
    m1 = (4095 - m2).astype(np.uint16)
    c, w = 1000.0, 1200.0
    a = stored_to_unit(m2, bits_stored=12, signed=False, photometric="MONOCHROME2", window_center=c, window_width=w)
    # the same display: centre mirrored about the stored range (+1 for LINEAR's half-pixel offset)
    b = stored_to_unit(m1, bits_stored=12, signed=False, photometric="MONOCHROME1",
                       window_center=4095 + 1 - c, window_width=w)
    assert np.allclose(a, b, atol=1e-6)
    # inverting the stored values before applying the file's window gives another (wrong) image
    wrong = _linear_window_reference(4095 - m1.astype(float), 4095 + 1 - c, w)
    assert not np.allclose(b, wrong, atol=1e-3)


def test_rescale_then_window_in_modality_units():
    x = np.arange(0, 1024, dtype=np.uint16)
    out = stored_to_unit(x, bits_stored=10, signed=False, photometric="MONOCHROME2",
                         slope=2.0, intercept=-1024, window_center=0, window_width=1001)
    assert np.allclose(out, _linear_window_reference(2.0 * x - 1024, 0, 1001), atol=1e-6)
    # absent rescale == identity rescale
    a = stored_to_unit(x, bits_stored=10, signed=False, photometric="MONOCHROME2")
    b = stored_to_unit(x, bits_stored=10, signed=False, photometric="MONOCHROME2", slope=1, intercept=0)
    assert np.array_equal(a, b)


def test_negative_slope_keeps_range():
    x = np.array([0, 1023], np.uint16)
    out = stored_to_unit(x, bits_stored=10, signed=False, photometric="MONOCHROME2", slope=-1.0, intercept=0)
    assert np.allclose(out, [1.0, 0.0])


def test_signed_values_and_sign_extension_of_raw_words():
    x = np.array([-2048, -1, 0, 2047], np.int16)
    out = stored_to_unit(x, bits_stored=12, signed=True, photometric="MONOCHROME2")
    assert np.allclose(out, (x + 2048) / 4095)
    # the same values as raw 16-bit words with only 12 significant bits: sign-extended from bit 11
    raw = (x.view(np.uint16) & 0x0FFF).view(np.int16)
    assert np.allclose(stored_to_unit(raw, bits_stored=12, signed=True, photometric="MONOCHROME2"), out)


def test_high_bits_are_masked_and_input_untouched():
    x = np.array([5, 1000], np.uint16)
    dirty = x | np.uint16(0xF000)  # e.g. overlay bits above BitsStored
    before = dirty.copy()
    out = stored_to_unit(dirty, bits_stored=12, signed=False, photometric="MONOCHROME2", window_center=600, window_width=1000)
    assert np.array_equal(dirty, before)
    assert np.allclose(out, stored_to_unit(x, bits_stored=12, signed=False, photometric="MONOCHROME2",
                                           window_center=600, window_width=1000))


def test_voi_lut_sequence_and_modality_lut():
    data = (np.linspace(0, 1, 256) ** 2 * 255).astype(np.uint16)
    voi = Lut(first_mapped=100, bits=8, data=data)
    x = np.array([0, 100, 227, 355, 1000], np.uint16)
    out = stored_to_unit(x, bits_stored=10, signed=False, photometric="MONOCHROME2", voi_lut=voi,
                         window_center=5, window_width=10)  # a VOI LUT wins over the window
    assert np.allclose(out, data[[0, 0, 127, 255, 255]] / 255.0, atol=1e-6)
    inv = stored_to_unit(x, bits_stored=10, signed=False, photometric="MONOCHROME1", voi_lut=voi)
    assert np.allclose(inv, 1 - out, atol=1e-6)
    mod = Lut(first_mapped=0, bits=16, data=np.arange(1024)[::-1].astype(np.uint16))
    out = stored_to_unit(x, bits_stored=10, signed=False, photometric="MONOCHROME2", modality_lut=mod)
    assert np.allclose(out, (1023 - x) / 1023, atol=1e-6)


@pytest.mark.parametrize("function", ["LINEAR", "LINEAR_EXACT", "SIGMOID"])
def test_lut_and_affine_paths_agree(function):
    """The folded affine pass and the full lookup table are two implementations of one chain."""
    rng = np.random.default_rng(3)
    x = rng.integers(-512, 512, (40, 40)).astype(np.int16)
    params = dict(bits_stored=10, signed=True, photometric="MONOCHROME1", slope=0.5, intercept=20,
                  window_center=30.0, window_width=200.0, voi_function=function)
    fast = stored_to_unit(x, **params)
    table = pp._apply_lut(x, pp._chain(**params), 10, True)
    assert np.allclose(fast, table, atol=1e-6)
    if function == "SIGMOID":
        m = 0.5 * x + 20
        assert np.allclose(fast, 1 - 1 / (1 + np.exp(-4 * (m - 30) / 200)), atol=1e-6)


def test_width_one_is_a_step_and_bad_arguments_raise():
    x = np.array([9, 10, 11], np.uint16)
    out = stored_to_unit(x, bits_stored=8, signed=False, photometric="MONOCHROME2", window_center=10.5, window_width=1)
    assert out.tolist() == [0.0, 0.0, 1.0]
    with pytest.raises(ValueError, match="MONOCHROME"):
        stored_to_unit(x, bits_stored=8, signed=False, photometric="RGB")
    with pytest.raises(ValueError, match="width"):
        stored_to_unit(x, bits_stored=8, signed=False, photometric="MONOCHROME2", window_center=1, window_width=0)


def test_frames_keep_their_shape():
    x = np.random.default_rng(1).integers(0, 256, (3, 8, 9)).astype(np.uint8)
    out = stored_to_unit(x, bits_stored=8, signed=False, photometric="MONOCHROME2")
    assert out.shape == (3, 8, 9) and np.allclose(out, x / 255)
