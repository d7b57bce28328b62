"""discover(): every file under the inputs gets the right status and reason, from headers only."""

import os
import shutil

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from calcvision.errors import InputError
from calcvision.io import Candidate, discover
from calcvision.io.dicom_write import write_radiograph
from calcvision.io.sample_data import pydicom_file


def _non_image(path, sop_class, **elements):
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = sop_class
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID, ds.SOPInstanceUID = sop_class, ds.file_meta.MediaStorageSOPInstanceUID
    for keyword, value in elements.items():
        setattr(ds, keyword, value)
    ds.save_as(path, enforce_file_format=True)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("archive")
    sub = root / "study" / "series"
    sub.mkdir(parents=True)
    stored = np.random.default_rng(0).integers(0, 4096, (64, 64)).astype(np.uint16)
    write_radiograph(sub / "dx.dcm", stored, spacing_mm=(0.1, 0.1), bits_stored=12)
    write_radiograph(sub / "multi.dcm", np.stack([stored] * 3), spacing_mm=(0.1, 0.1), bits_stored=12, compression="rle")
    write_radiograph(root / "rle.dcm", stored, spacing_mm=(0.1, 0.1), bits_stored=12, compression="rle")
    whole = (root / "rle.dcm").read_bytes()
    (root / "rle_cut.dcm").write_bytes(whole[: len(whole) - 200])
    whole = (sub / "dx.dcm").read_bytes()
    (root / "dx_cut.dcm").write_bytes(whole[: len(whole) // 2])
    write_radiograph(root / "huge.dcm", stored[:4, :4], spacing_mm=(0.1, 0.1), bits_stored=12,
                     extra={"Rows": 60000, "Columns": 60000})
    for name in ("rtplan.dcm", "test-SR.dcm", "rtdose.dcm", "examples_palette.dcm"):
        shutil.copy(pydicom_file(name), root / name)
    shutil.copy(pydicom_file("dicomdirtests/DICOMDIR"), root / "DICOMDIR")
    _non_image(root / "gsps.dcm", "1.2.840.10008.5.1.4.1.1.11.1", Modality="PR")
    _non_image(root / "report.dcm", "1.2.840.10008.5.1.4.1.1.104.1", Modality="DOC",
               MIMETypeOfEncapsulatedDocument="application/pdf", EncapsulatedDocument=b"%PDF-1.4 fake\n")
    (root / "notes.txt").write_text("not an image\n")
    (root / "empty.dcm").write_bytes(b"")
    (root / "garbage.dcm").write_bytes(b"\0" * 128 + b"DICM" + b"\x02\x00\x10\x00UI\xff\x7f" + b"x" * 40)
    Image.fromarray(stored).save(root / "knee.png")
    (root / "knee.png.json").write_text('{"spacing_mm": 0.1}')
    os.symlink("..", sub / "loop")  # a loop back up the tree
    os.symlink(root / "nowhere.dcm", root / "broken.dcm")
    os.symlink(sub / "dx.dcm", root / "link_to_dx.dcm")  # the same file twice: listed once
    os.mkfifo(root / "pipe")
    return root


EXPECTED = {  # relative path: (status, words in the reason, n_frames)
    "DICOMDIR": ("skipped", "DICOMDIR", 0),
    "broken.dcm": ("error", "broken symbolic link", 0),
    "dx_cut.dcm": ("error", "truncated", 0),
    "empty.dcm": ("skipped", "empty file", 0),
    "examples_palette.dcm": ("skipped", "palette", 0),
    "garbage.dcm": ("error", "corrupt DICOM", 0),
    "gsps.dcm": ("skipped", "Presentation State Storage: not an image", 0),
    "huge.dcm": ("error", "absurd dimensions 60000 x 60000", 0),
    "knee.png": ("image", "", 1),
    "link_to_dx.dcm": ("image", "", 1),
    "notes.txt": ("skipped", "not a DICOM, PNG, TIFF or JPEG file", 0),
    "pipe": ("skipped", "not a regular file", 0),
    "report.dcm": ("skipped", "Encapsulated PDF Storage: not an image", 0),
    "rle.dcm": ("image", "", 1),
    "rle_cut.dcm": ("error", "truncated", 0),
    "rtdose.dcm": ("skipped", "RT Dose Storage", 0),
    "rtplan.dcm": ("skipped", "RT Plan Storage: not an image", 0),
    "study/series/multi.dcm": ("image", "", 3),
    "test-SR.dcm": ("skipped", "SR Storage: not an image", 0),
}


def test_every_file_gets_status_and_reason(folder):
    found = discover([folder])
    by_path = {os.path.relpath(c.path, folder): c for c in found}
    assert set(by_path) == set(EXPECTED)  # dx.dcm is reached first through link_to_dx.dcm
    for rel, (status, words, frames) in EXPECTED.items():
        cand = by_path[rel]
        assert isinstance(cand, Candidate)
        assert (cand.status, cand.n_frames) == (status, frames), (rel, cand)
        assert words in cand.reason if words else cand.reason == "", (rel, cand.reason)
    assert [c.path for c in found] == sorted(c.path for c in found)


def test_same_answer_every_time_and_for_overlapping_inputs(folder):
    once = discover(folder)
    assert discover([folder]) == once
    assert discover([folder, folder / "study", folder / "rle.dcm"]) == once


def test_pixel_data_is_never_loaded(folder, monkeypatch):
    real = pydicom.dcmread

    def header_only(*args, **kwargs):
        assert kwargs.get("stop_before_pixels"), "discover must read headers only"
        return real(*args, **kwargs)

    def no_pixels(self):
        raise AssertionError("pixel data decoded during discovery")

    monkeypatch.setattr(pydicom, "dcmread", header_only)
    monkeypatch.setattr(pydicom.dataset.Dataset, "pixel_array", property(no_pixels))
    assert len(discover(folder)) == len(EXPECTED)


def test_single_files_and_missing_inputs(folder, tmp_path):
    (single,) = discover(folder / "study" / "series" / "multi.dcm")
    assert (single.status, single.n_frames, single.file_format) == ("image", 3, "dicom")
    with pytest.raises(InputError, match="no such file"):
        discover([folder, tmp_path / "missing"])


def test_damaged_files_give_a_status_never_a_crash(tmp_path):
    """Random byte damage in the header or truncation: discover always answers, read_radiograph
    raises only InputError, and a file discovery calls an error is never read as an image."""
    from calcvision.io import read_radiograph

    rng = np.random.default_rng(7)
    stored = rng.integers(0, 4096, (48, 40)).astype(np.uint16)
    originals = [write_radiograph(tmp_path / f"o{c}.dcm", stored, spacing_mm=(0.1, 0.1), bits_stored=12,
                                  compression=c).read_bytes() for c in (None, "rle")]
    statuses = set()
    for i in range(80):
        data = bytearray(originals[i % 2])
        for _ in range(rng.integers(1, 4)):
            data[rng.integers(128, 900)] = rng.integers(0, 256)
        if i % 5 == 0:
            data = data[: rng.integers(132, len(data))]
        path = tmp_path / "damaged.dcm"
        path.write_bytes(bytes(data))
        (cand,) = discover(path)
        statuses.add(cand.status)
        try:
            read_radiograph(path)
            assert cand.status == "image", cand
        except InputError:
            pass
    assert statuses == {"image", "skipped", "error"}
