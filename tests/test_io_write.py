"""The DICOM writer: files read back with pydicom give the written pixels and a valid header."""

import shutil
import subprocess

import numpy as np
import pydicom
import pytest

from calcvision.errors import UsageError
from calcvision.io.dicom_write import write_radiograph

LOSSLESS = [None, "rle", "jpeg-ls", "jpeg2000"]
TSYNTAX = {None: "1.2.840.10008.1.2.1", "rle": "1.2.840.10008.1.2.5", "jpeg-ls": "1.2.840.10008.1.2.4.80",
           "jpeg2000": "1.2.840.10008.1.2.4.90"}


def _image(signed=False, bits=12, shape=(70, 50), seed=0):
    rng = np.random.default_rng(seed)
    if signed:
        return rng.integers(-(1 << (bits - 1)), 1 << (bits - 1), shape).astype(np.int16)
    return rng.integers(0, 1 << bits, shape).astype(np.uint16)


@pytest.mark.parametrize("compression", LOSSLESS)
@pytest.mark.parametrize("signed", [False, True])
def test_round_trip_same_stored_pixels(tmp_path, compression, signed):
    stored = _image(signed)
    path = write_radiograph(tmp_path / "x.dcm", stored, spacing_mm=(0.1, 0.12), bits_stored=12,
                            modality="CR", compression=compression)
    ds = pydicom.dcmread(path)
    assert ds.file_meta.TransferSyntaxUID == TSYNTAX[compression]
    assert ds.pixel_array.dtype == stored.dtype
    assert np.array_equal(ds.pixel_array, stored)


@pytest.mark.parametrize("compression", LOSSLESS)
def test_multiframe_round_trip(tmp_path, compression):
    stored = _image(bits=10, shape=(3, 40, 33))
    path = write_radiograph(tmp_path / "m.dcm", stored, spacing_mm=(0.2, 0.2), bits_stored=10, compression=compression)
    ds = pydicom.dcmread(path)
    assert int(ds.NumberOfFrames) == 3
    assert np.array_equal(ds.pixel_array, stored)


def test_dx_header(tmp_path):
    stored = _image(bits=14)
    path = write_radiograph(tmp_path / "dx.dcm", stored, spacing_mm=(0.139, 0.14), bits_stored=14,
                            photometric="MONOCHROME1", window=(8000, 6000), patient_id="P7")
    ds = pydicom.dcmread(path)
    assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.1.1" == ds.file_meta.MediaStorageSOPClassUID
    assert ds.SOPInstanceUID == ds.file_meta.MediaStorageSOPInstanceUID
    assert ds.PresentationIntentType == "FOR PRESENTATION"
    assert (ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation) == (16, 14, 13, 0)
    assert ds.PhotometricInterpretation == "MONOCHROME1" and ds.PresentationLUTShape == "INVERSE"
    assert [float(v) for v in ds.ImagerPixelSpacing] == [0.139, 0.14] and "PixelSpacing" not in ds
    assert (float(ds.WindowCenter), float(ds.WindowWidth)) == (8000, 6000)
    assert (float(ds.RescaleSlope), float(ds.RescaleIntercept)) == (1, 0)
    assert ds.PatientID == "P7"


def test_cr_header_spacing_tags_and_optional_rescale(tmp_path):
    stored = _image()
    ds = pydicom.dcmread(write_radiograph(tmp_path / "a.dcm", stored, spacing_mm=(0.1, 0.1), bits_stored=12,
                                          modality="CR", spacing_tag="PixelSpacing"))
    assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.1"
    assert "ImagerPixelSpacing" not in ds and "RescaleSlope" not in ds and "WindowCenter" not in ds
    ds = pydicom.dcmread(write_radiograph(tmp_path / "b.dcm", stored, spacing_mm=(0.1, 0.1), bits_stored=12,
                                          modality="CR", spacing_tag="both", rescale=(0.5, -100)))
    assert "ImagerPixelSpacing" in ds and "PixelSpacing" in ds
    assert (float(ds.RescaleSlope), float(ds.RescaleIntercept)) == (0.5, -100)
    ds = pydicom.dcmread(write_radiograph(tmp_path / "c.dcm", stored, spacing_mm=(0.1, 0.1), bits_stored=12,
                                          modality="CR", spacing_tag="none"))
    assert "ImagerPixelSpacing" not in ds and "PixelSpacing" not in ds


def test_given_uids_give_identical_files(tmp_path):
    stored = _image()
    uids = dict(study_uid="1.2.3.4", series_uid="1.2.3.4.5", sop_uid="1.2.3.4.5.6")
    a = write_radiograph(tmp_path / "a.dcm", stored, spacing_mm=(0.1, 0.1), bits_stored=12, compression="rle", **uids)
    b = write_radiograph(tmp_path / "b.dcm", stored, spacing_mm=(0.1, 0.1), bits_stored=12, compression="rle", **uids)
    assert a.read_bytes() == b.read_bytes()
    assert pydicom.dcmread(a).SOPInstanceUID == "1.2.3.4.5.6"
    c = write_radiograph(tmp_path / "c.dcm", stored, spacing_mm=(0.1, 0.1), bits_stored=12)
    assert pydicom.dcmread(c).SOPInstanceUID != "1.2.3.4.5.6"


def test_extra_keywords_are_set(tmp_path):
    ds = pydicom.dcmread(write_radiograph(tmp_path / "e.dcm", _image(), spacing_mm=(0.1, 0.1), bits_stored=12,
                                          extra={"BodyPartExamined": "KNEE", "AccessionNumber": "A1"}))
    assert (ds.BodyPartExamined, ds.AccessionNumber) == ("KNEE", "A1")


def test_bad_arguments_raise_usage_error(tmp_path):
    stored = _image()
    with pytest.raises(UsageError, match="no encoder"):
        write_radiograph(tmp_path / "j.dcm", stored, spacing_mm=(0.1, 0.1), bits_stored=12, compression="jpeg-lossless")
    with pytest.raises(UsageError, match="at least 32"):
        write_radiograph(tmp_path / "k.dcm", stored[:, :31], spacing_mm=(0.1, 0.1), bits_stored=12, compression="jpeg2000")
    with pytest.raises(UsageError, match="do not fit 10"):
        write_radiograph(tmp_path / "b.dcm", stored, spacing_mm=(0.1, 0.1), bits_stored=10)
    with pytest.raises(UsageError, match="uint16/int16"):
        write_radiograph(tmp_path / "f.dcm", stored.astype(np.float32), spacing_mm=(0.1, 0.1), bits_stored=12)
    with pytest.raises(UsageError, match="spacing_mm"):
        write_radiograph(tmp_path / "s.dcm", stored, spacing_mm=(0.0, 0.1), bits_stored=12)
    assert not any(tmp_path.iterdir())


@pytest.mark.dicomtools
@pytest.mark.skipif(shutil.which("dciodvfy") is None, reason="dicom3tools' dciodvfy not installed")
@pytest.mark.parametrize("modality", ["DX", "CR"])
def test_dciodvfy_finds_no_errors(tmp_path, modality):
    path = write_radiograph(tmp_path / "v.dcm", _image(), spacing_mm=(0.1, 0.1), bits_stored=12, modality=modality,
                            photometric="MONOCHROME1", compression="jpeg-ls")
    out = subprocess.run(["dciodvfy", str(path)], capture_output=True, text=True)
    errors = [line for line in (out.stdout + out.stderr).splitlines() if line.startswith("Error")]
    assert errors == []
