"""read_radiograph on real files (pydicom's and pydicom-data's test data) and on files written
with our writer: every pitfall of the DICOM pixel pipeline is one test here."""

import json
import os

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.pixels import apply_modality_lut, apply_voi_lut

from calcvision.errors import InputError
from calcvision.io import ASSUMED_SPACING_MM, NotAnImage, read_radiograph
from calcvision.io.dicom_write import write_radiograph
from calcvision.io.pixel_pipeline import stored_to_unit
from calcvision.io.sample_data import pydicom_file


def _one(path):
    radiographs = read_radiograph(path)
    assert len(radiographs) == 1
    return radiographs[0]


def _stored(bits=12, shape=(64, 48), seed=0, signed=False):
    rng = np.random.default_rng(seed)
    if signed:
        return rng.integers(-(1 << (bits - 1)), 1 << (bits - 1), shape).astype(np.int16)
    return rng.integers(0, 1 << bits, shape).astype(np.uint16)


# --- real files -------------------------------------------------------------------------

@pytest.mark.parametrize("stem", ["RG1", "RG3"])
def test_cr_radiographs_decode_to_same_pixels_in_all_encodings(stem):
    """pydicom-data CR plates: explicit / implicit / JPEG 2000 lossless agree exactly; the lossy
    JPEG 2000 file equals its own uncompressed twin (_UNCI) and is close to the original."""
    uncr, unci, j2kr, j2ki = (_one(pydicom_file(f"{stem}_{enc}.dcm")) for enc in ("UNCR", "UNCI", "J2KR", "J2KI"))
    assert np.array_equal(uncr.pixels, j2kr.pixels)
    assert np.array_equal(unci.pixels, j2ki.pixels)
    assert np.abs(uncr.pixels - j2ki.pixels).mean() < 0.01
    assert uncr.provenance.photometric_interpretation == "MONOCHROME1" and uncr.extra["inverted"]
    assert j2kr.provenance.transfer_syntax_uid == "1.2.840.10008.1.2.4.90"


@pytest.mark.parametrize("name", ["RG3_UNCR.dcm", "RG1_UNCR.dcm"])
def test_cr_pipeline_matches_pydicom_windowing_then_inversion(name):
    path = pydicom_file(name)
    ds = pydicom.dcmread(path)
    bits = ds.BitsStored
    expected = 1.0 - apply_voi_lut(ds.pixel_array, ds).astype(np.float64) / (2 ** bits - 1)
    r = _one(path)
    assert r.pixels.dtype == np.float32 and 0.0 <= r.pixels.min() and r.pixels.max() <= 1.0
    assert np.allclose(r.pixels, expected, atol=1e-5)


def test_zero_pixel_spacing_is_ignored_and_spacing_assumed():
    r = _one(pydicom_file("RG1_UNCR.dcm"))  # carries PixelSpacing 0\0
    assert r.spacing_source == "assumed" and r.spacing_mm == (ASSUMED_SPACING_MM, ASSUMED_SPACING_MM)
    assert "PixelSpacing" in r.extra["spacing_ignored"][0]


def test_signed_ct_with_rescale_matches_pydicom_modality_lut():
    path = pydicom_file("CT_small.dcm")
    ds = pydicom.dcmread(path)
    hu = apply_modality_lut(ds.pixel_array, ds)
    lo, hi = -(2 ** 15) * float(ds.RescaleSlope) + float(ds.RescaleIntercept), (2 ** 15 - 1) * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    r = _one(path)
    assert ds.PixelRepresentation == 1 and r.extra["rescale"] == (1.0, -1024.0)
    assert np.allclose(r.pixels, (hu - lo) / (hi - lo), atol=1e-6)
    assert r.spacing_source == "PixelSpacing" and r.spacing_mm == tuple(float(v) for v in ds.PixelSpacing)
    assert r.provenance.modality == "CT" and r.provenance.sop_instance_uid == ds.SOPInstanceUID


def test_mr_small_same_pixels_in_all_encodings():
    names = ["MR_small.dcm", "MR_small_implicit.dcm", "MR_small_bigendian.dcm", "MR_small_expb.dcm",
             "MR_small_RLE.dcm", "MR_small_jp2klossless.dcm", "MR_small_jpeg_ls_lossless.dcm"]
    reference = _one(pydicom_file(names[0])).pixels
    for name in names[1:]:
        assert np.array_equal(_one(pydicom_file(name)).pixels, reference), name


def test_voi_lut_sequence_matches_pydicom():
    path = pydicom_file("vlut_04.dcm")
    ds = pydicom.dcmread(path)
    assert "VOILUTSequence" in ds
    bits = int(ds.VOILUTSequence[0].LUTDescriptor[2])
    expected = apply_voi_lut(ds.pixel_array, ds, prefer_lut=True) / (2 ** bits - 1)
    r = _one(path)
    assert r.extra["voi"] == "VOI LUT"
    assert np.allclose(r.pixels, np.clip(expected, 0, 1), atol=1e-6)


def test_modality_lut_sequence_matches_pydicom():
    path = pydicom_file("mlut_18.dcm")
    ds = pydicom.dcmread(path)
    mapped = apply_modality_lut(ds.pixel_array, ds).astype(np.float64)
    data = np.asarray(ds.ModalityLUTSequence[0].LUTData, dtype=np.float64)
    r = _one(path)
    assert r.extra["rescale"] == "modality LUT"
    assert np.allclose(r.pixels, (mapped - data.min()) / (data.max() - data.min()), atol=1e-6)


@pytest.mark.parametrize("name", ["emri_small.dcm", "emri_small_RLE.dcm", "emri_small_jpeg_ls_lossless.dcm"])
def test_multiframe_file_gives_one_radiograph_per_frame(name):
    frames = read_radiograph(pydicom_file(name))
    reference = read_radiograph(pydicom_file("emri_small.dcm"))
    assert [r.provenance.frame for r in frames] == list(range(10))
    assert all(r.provenance.n_frames == 10 for r in frames)
    for a, b in zip(frames, reference):
        assert np.array_equal(a.pixels, b.pixels)
    assert not np.array_equal(frames[0].pixels, frames[5].pixels)


def test_colour_dicom_becomes_luma_grey():
    path = pydicom_file("SC_rgb.dcm")
    rgb = pydicom.dcmread(path).pixel_array.astype(np.float64)
    r = _one(path)
    assert r.extra["colour_to_grey"] == "RGB"
    assert np.allclose(r.pixels, rgb @ [0.299, 0.587, 0.114] / 255, atol=1e-5)


@pytest.mark.parametrize("name, kind, words", [
    ("rtplan.dcm", NotAnImage, "RT Plan Storage"),
    ("test-SR.dcm", NotAnImage, "SR"),
    ("rtdose.dcm", NotAnImage, "dose"),
    ("MR_truncated.dcm", InputError, "truncated"),
    ("emri_small_jpeg_2k_lossless_too_short.dcm", InputError, "truncated"),
])
def test_non_images_and_broken_files_raise_with_reason(name, kind, words):
    path = pydicom_file(name)
    with pytest.raises(kind, match=words) as info:
        read_radiograph(path)
    assert str(path) in str(info.value)
    if kind is InputError:
        assert not isinstance(info.value, NotAnImage)


# --- files we write -----------------------------------------------------------------------

def test_monochrome1_and_monochrome2_of_the_same_image_agree(tmp_path):
    m2 = _stored(12)
    m1 = (4095 - m2).astype(np.uint16)
    for window in [None, (1500.0, 2000.0)]:
        w1 = None if window is None else (4096 - window[0], window[1])  # the same display, mirrored
        a = _one(write_radiograph(tmp_path / "m2.dcm", m2, spacing_mm=(0.1, 0.1), bits_stored=12, modality="CR",
                                  photometric="MONOCHROME2", window=window))
        b = _one(write_radiograph(tmp_path / "m1.dcm", m1, spacing_mm=(0.1, 0.1), bits_stored=12, modality="CR",
                                  photometric="MONOCHROME1", window=w1))
        assert np.allclose(a.pixels, b.pixels, atol=1e-6)
        assert (a.extra["inverted"], b.extra["inverted"]) == (False, True)


def test_dx_default_window_reads_like_no_window(tmp_path):
    stored = _stored(12)
    dx = _one(write_radiograph(tmp_path / "dx.dcm", stored, spacing_mm=(0.1, 0.1), bits_stored=12))
    cr = _one(write_radiograph(tmp_path / "cr.dcm", stored, spacing_mm=(0.1, 0.1), bits_stored=12, modality="CR"))
    assert dx.extra["voi"].startswith("window") and cr.extra["voi"].startswith("none")
    assert np.allclose(dx.pixels, cr.pixels, atol=1e-6)


@pytest.mark.parametrize("bits", [10, 12, 16])
def test_bits_stored_sets_the_range_not_the_dtype(tmp_path, bits):
    stored = _stored(bits)
    stored[0, 0], stored[0, 1] = 0, (1 << bits) - 1
    r = _one(write_radiograph(tmp_path / "b.dcm", stored, spacing_mm=(0.1, 0.1), bits_stored=bits, modality="CR"))
    assert np.allclose(r.pixels, stored / ((1 << bits) - 1), atol=1e-6)
    assert r.pixels[0, 0] == 0.0 and r.pixels[0, 1] == 1.0 and r.provenance.bits_stored == bits


def test_signed_pixels(tmp_path):
    stored = _stored(12, signed=True)
    r = _one(write_radiograph(tmp_path / "s.dcm", stored, spacing_mm=(0.1, 0.1), bits_stored=12, modality="CR",
                              window=(-100, 1500)))
    expected = stored_to_unit(stored, bits_stored=12, signed=True, photometric="MONOCHROME2",
                              window_center=-100, window_width=1500)
    assert np.array_equal(r.pixels, expected)
    assert r.pixels.min() == 0.0 and r.pixels.max() == 1.0  # the window clips both ends


def test_rescale_present_and_absent(tmp_path):
    stored = _stored(12)
    with_rescale = _one(write_radiograph(tmp_path / "r.dcm", stored, spacing_mm=(0.1, 0.1), bits_stored=12, modality="CR",
                                         rescale=(0.5, -100.0), window=(400.0, 1001.0)))
    modality = 0.5 * stored.astype(np.float64) - 100
    expected = np.clip((modality - 399.5) / 1000 + 0.5, 0, 1)  # the window acts on rescaled values
    assert np.allclose(with_rescale.pixels, expected, atol=1e-6)
    without = _one(write_radiograph(tmp_path / "n.dcm", stored, spacing_mm=(0.1, 0.1), bits_stored=12, modality="CR",
                                    window=(400.0, 1001.0)))
    assert "rescale" not in without.extra
    assert np.allclose(without.pixels, np.clip((stored - 399.5) / 1000 + 0.5, 0, 1), atol=1e-6)


@pytest.mark.parametrize("compression", ["rle", "jpeg-ls", "jpeg2000"])
def test_compressed_files_read_like_uncompressed(tmp_path, compression):
    stored = _stored(14, shape=(2, 64, 40))
    kwargs = dict(spacing_mm=(0.1, 0.1), bits_stored=14, photometric="MONOCHROME1", window=(9000, 9000))
    plain = read_radiograph(write_radiograph(tmp_path / "u.dcm", stored, **kwargs))
    packed = read_radiograph(write_radiograph(tmp_path / "c.dcm", stored, compression=compression, **kwargs))
    assert len(plain) == len(packed) == 2
    for a, b in zip(plain, packed):
        assert np.array_equal(a.pixels, b.pixels)


def test_high_bits_above_bits_stored_are_ignored(tmp_path):
    stored = _stored(10)
    path = write_radiograph(tmp_path / "h.dcm", stored, spacing_mm=(0.1, 0.1), bits_stored=10, modality="CR")
    clean = _one(path).pixels
    ds = pydicom.dcmread(path)
    ds.PixelData = (stored | np.uint16(0xA800)).tobytes()  # e.g. old overlay bits 11..15
    ds.save_as(tmp_path / "dirty.dcm")
    assert np.array_equal(_one(tmp_path / "dirty.dcm").pixels, clean)


def test_presentation_lut_shape_inverse_on_monochrome2_inverts(tmp_path):
    stored = _stored(8)
    plain = _one(write_radiograph(tmp_path / "a.dcm", stored, spacing_mm=(0.1, 0.1), bits_stored=8, modality="CR"))
    inverse = _one(write_radiograph(tmp_path / "b.dcm", stored, spacing_mm=(0.1, 0.1), bits_stored=8, modality="CR",
                                    extra={"PresentationLUTShape": "INVERSE"}))
    assert np.allclose(inverse.pixels, 1 - plain.pixels, atol=1e-6)


def test_spacing_precedence_and_magnification(tmp_path):
    stored = _stored()
    def read(**kw):
        return _one(write_radiograph(tmp_path / "sp.dcm", stored, bits_stored=12, modality="CR", **kw))
    r = read(spacing_mm=(0.1, 0.2), spacing_tag="ImagerPixelSpacing")
    assert (r.spacing_mm, r.spacing_source) == ((0.1, 0.2), "ImagerPixelSpacing")
    r = read(spacing_mm=(0.1, 0.2), spacing_tag="both", extra={"ImagerPixelSpacing": [0.3, 0.3]})
    assert (r.spacing_mm, r.spacing_source) == ((0.1, 0.2), "PixelSpacing")
    r = read(spacing_mm=(0.12, 0.12), extra={"EstimatedRadiographicMagnificationFactor": 1.2})
    assert np.allclose(r.spacing_mm, (0.1, 0.1)) and r.extra["magnification_factor"] == 1.2
    r = read(spacing_mm=(0.1, 0.1), spacing_tag="none")
    assert (r.spacing_mm, r.spacing_source) == ((ASSUMED_SPACING_MM,) * 2, "assumed")
    r = read(spacing_mm=(0.1, 0.1), spacing_tag="PixelSpacing", extra={"PixelSpacing": ["-1", "0.1"]})
    assert r.spacing_source == "assumed" and r.extra["spacing_ignored"]


def test_provenance_from_header(tmp_path):
    path = write_radiograph(tmp_path / "p.dcm", _stored(), spacing_mm=(0.1, 0.1), bits_stored=12, patient_id="P42",
                            study_uid="1.2.3", series_uid="1.2.3.4", sop_uid="1.2.3.4.5", compression="rle",
                            extra={"AccessionNumber": "ACC7"})
    p = _one(path).provenance
    assert (p.path, p.frame, p.n_frames) == (str(path), 0, 1)
    assert (p.study_instance_uid, p.series_instance_uid, p.sop_instance_uid) == ("1.2.3", "1.2.3.4", "1.2.3.4.5")
    assert (p.patient_id, p.accession, p.modality, p.bits_stored) == ("P42", "ACC7", "DX", 12)
    assert p.sop_class_uid == "1.2.840.10008.5.1.4.1.1.1.1" and p.transfer_syntax_uid == "1.2.840.10008.1.2.5"


def test_absurd_header_is_an_error_not_an_allocation(tmp_path):
    import tracemalloc
    path = write_radiograph(tmp_path / "big.dcm", _stored(shape=(4, 4)), spacing_mm=(0.1, 0.1), bits_stored=12,
                            modality="CR", extra={"Rows": 60000, "Columns": 60000})
    tracemalloc.start()
    with pytest.raises(InputError, match="absurd"):
        read_radiograph(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 50e6


def test_inputs_are_never_modified(tmp_path):
    path = write_radiograph(tmp_path / "x.dcm", _stored(), spacing_mm=(0.1, 0.1), bits_stored=12, compression="rle")
    before = path.read_bytes()
    read_radiograph(path)
    assert path.read_bytes() == before


# --- PNG / TIFF / JPEG ---------------------------------------------------------------------

def test_png_16_bit_keeps_all_levels(tmp_path):
    grey = (np.arange(64 * 48, dtype=np.uint32).reshape(64, 48) * 21).astype(np.uint16)
    Image.fromarray(grey).save(tmp_path / "a.png")
    r = _one(tmp_path / "a.png")
    assert r.provenance.file_format == "png" and r.provenance.bits_stored == 16
    assert np.allclose(r.pixels, grey / 65535, atol=1e-7)
    assert len(np.unique(r.pixels)) == 64 * 48  # no 8-bit quantisation
    assert r.spacing_source == "assumed"


def test_png_8_bit_colour_and_jpeg(tmp_path):
    grey = np.tile(np.arange(0, 256, 4, dtype=np.uint8), (32, 1))
    Image.fromarray(grey).save(tmp_path / "g.png")
    assert np.allclose(_one(tmp_path / "g.png").pixels, grey / 255)
    rgb = np.stack([grey, grey // 2, 255 - grey], axis=-1)
    Image.fromarray(rgb).save(tmp_path / "c.png")
    r = _one(tmp_path / "c.png")
    assert r.extra["colour_to_grey"] == "RGB"
    assert np.allclose(r.pixels, rgb.astype(float) @ [0.299, 0.587, 0.114] / 255, atol=1e-5)
    Image.fromarray(grey).save(tmp_path / "j.jpg", quality=95)
    r = _one(tmp_path / "j.jpg")
    assert r.provenance.file_format == "jpeg" and np.abs(r.pixels - grey / 255).mean() < 0.02


def test_tiff_pages_bit_depth_and_min_is_white(tmp_path):
    import tifffile
    from calcvision.io.raster_read import RasterFrame, to_unit
    pages = np.stack([_stored(16, seed=1), _stored(16, seed=2)])
    tifffile.imwrite(tmp_path / "t.tif", pages, photometric="minisblack", compression="zlib")
    frames = read_radiograph(tmp_path / "t.tif")
    assert len(frames) == 2 and frames[1].provenance.frame == 1
    assert np.allclose(frames[1].pixels, pages[1] / 65535, atol=1e-6)
    twelve = _stored(12)  # a 12-bit TIFF (BitsPerSample 12) is scaled by 4095, not 65535
    assert np.allclose(to_unit(twelve, RasterFrame(64, 48, "MONOCHROME2", 12, None)), twelve / 4095, atol=1e-6)
    tifffile.imwrite(tmp_path / "w.tif", pages[0], photometric="miniswhite")
    assert np.allclose(_one(tmp_path / "w.tif").pixels, 1 - pages[0] / 65535, atol=1e-6)


def test_raster_spacing_sidecar_and_trusted_dpi(tmp_path):
    grey = np.zeros((40, 40), np.uint8)
    Image.fromarray(grey).save(tmp_path / "scan.png", dpi=(254, 254))
    r = _one(tmp_path / "scan.png")
    assert r.spacing_source == "NominalScannedPixelSpacing" and np.allclose(r.spacing_mm, (0.1, 0.1), atol=1e-4)
    Image.fromarray(grey).save(tmp_path / "screen.png", dpi=(72, 72))
    assert _one(tmp_path / "screen.png").spacing_source == "assumed"
    (tmp_path / "screen.png.json").write_text(json.dumps({"spacing_mm": [0.14, 0.15]}))
    r = _one(tmp_path / "screen.png")
    assert (r.spacing_mm, r.spacing_source) == ((0.14, 0.15), "user")
    (tmp_path / "screen.png.json").write_text(json.dumps({"spacing_mm": "wide"}))
    with pytest.raises(InputError, match="spacing_mm"):
        read_radiograph(tmp_path / "screen.png")


def test_other_files_and_folders(tmp_path):
    (tmp_path / "notes.txt").write_text("not an image")
    with pytest.raises(NotAnImage, match="not a DICOM"):
        read_radiograph(tmp_path / "notes.txt")
    with pytest.raises(InputError, match="folder"):
        read_radiograph(tmp_path)
    with pytest.raises(InputError, match="No such file"):
        read_radiograph(tmp_path / "missing.dcm")
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(NotAnImage, match="not a regular file"):
        read_radiograph(tmp_path / "pipe")  # must not block
    (tmp_path / "bad.dcm").write_bytes(b"\0" * 128 + b"DICM" + b"\x02\x00\x10\x00UI\xff\x7f" + b"x" * 40)
    with pytest.raises(InputError):
        read_radiograph(tmp_path / "bad.dcm")


def test_phantom_written_and_read_back_equals_the_in_memory_radiograph(tmp_path):
    """Training data travels the path real images travel: make_phantom's Radiograph (built with
    stored_to_unit) equals what read_radiograph makes of the same phantom written as DICOM."""
    phantoms = pytest.importorskip("calcvision.phantoms")
    for index, label in enumerate(("rice_grain", "chondrocalcinosis_line", "none")):
        sample = phantoms.make_phantom(label, 5, index, shape=(128, 128))
        h = sample.header
        window = None if h["window_center"] is None else (h["window_center"], h["window_width"])
        rescale = None if h["slope"] is None else (h["slope"], h["intercept"])
        path = write_radiograph(tmp_path / f"{label}.dcm", sample.stored, spacing_mm=h["spacing_mm"],
                                spacing_tag=h["spacing_tag"], photometric=h["photometric"],
                                bits_stored=h["bits_stored"], modality=h["modality"], window=window,
                                rescale=rescale, compression="rle")
        r = _one(path)
        assert np.array_equal(r.pixels, sample.radiograph.pixels), label
        assert np.allclose(r.spacing_mm, sample.radiograph.spacing_mm, rtol=1e-8)
