"""Decide from a DICOM header alone (no pixel decoding) whether a file is a radiograph we read,
something to skip, or an error; and read its pixel spacing."""

from __future__ import annotations

import math
import os
import struct
from dataclasses import dataclass
from typing import BinaryIO, Literal

import pydicom
from pydicom.dataset import Dataset
from pydicom.uid import UID

from calcvision.io.formats import check_size

Status = Literal["image", "skipped", "error"]

DICOMDIR_SOP_CLASS = "1.2.840.10008.1.3.10"
# SOP classes that carry pixels but are not radiographs we should classify
NOT_RADIOGRAPH = {
    "1.2.840.10008.5.1.4.1.1.481.2": "a radiotherapy dose grid, not a radiograph",
    "1.2.840.10008.5.1.4.1.1.66.4": "a label map, not a radiograph",
    "1.2.840.10008.5.1.4.1.1.1.1.1": "raw detector data (For Processing), not a presentation image",
    "1.2.840.10008.5.1.4.1.1.1.2.1": "raw detector data (For Processing), not a presentation image",
    "1.2.840.10008.5.1.4.1.1.1.3.1": "raw detector data (For Processing), not a presentation image",
}
GREY = ("MONOCHROME1", "MONOCHROME2")
COLOUR = ("RGB", "YBR_FULL", "YBR_FULL_422", "YBR_ICT", "YBR_RCT", "YBR_PARTIAL_420", "YBR_PARTIAL_422")
PIXEL_KEYWORDS = {0x7FE00010: "PixelData", 0x7FE00008: "FloatPixelData", 0x7FE00009: "DoubleFloatPixelData"}


@dataclass(frozen=True)
class Verdict:
    status: Status
    reason: str
    n_frames: int = 0


def _sop_class(ds: Dataset) -> str:
    uid = ds.get("SOPClassUID") or getattr(ds, "file_meta", Dataset()).get("MediaStorageSOPClassUID")
    return str(uid or "")


def sop_class_name(ds: Dataset) -> str:
    """The SOP class in words (for reasons), e.g. 'RT Plan Storage'."""
    uid = UID(_sop_class(ds))
    if not uid:
        return "DICOM object without SOP Class UID"
    return uid.name if uid.is_valid and uid.name != str(uid) else f"SOP class {uid}"


def _int(ds: Dataset, keyword: str, default: int | None = None) -> int:
    value = ds.get(keyword, default)
    if value is None or value == "":
        if default is None:
            raise ValueError(f"missing {keyword}")
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValueError(f"invalid {keyword} {value!r}") from None


def classify(ds: Dataset, *, pixel_keyword: str | None, pixel_bytes: int | None,
             pixel_complete: bool = True) -> Verdict:
    """Classify a header. ``pixel_keyword``: the pixel element present (None if none);
    ``pixel_bytes``: the bytes of native pixel data really in the file (None when
    encapsulated or unknown); ``pixel_complete``: False when encapsulated pixel data ends
    before its sequence delimiter."""
    if len(ds) == 0:
        return Verdict("error", "corrupt DICOM: no data set could be read after the file meta")
    sop = _sop_class(ds)
    name = sop_class_name(ds)
    if sop == DICOMDIR_SOP_CLASS or "DirectoryRecordSequence" in ds:
        return Verdict("skipped", "DICOMDIR: a media directory, not an image")
    if sop in NOT_RADIOGRAPH:
        return Verdict("skipped", f"{name}: {NOT_RADIOGRAPH[sop]}")
    if pixel_keyword is None and "Rows" not in ds:
        return Verdict("skipped", f"{name}: not an image (no pixel data)")
    if pixel_keyword in ("FloatPixelData", "DoubleFloatPixelData"):
        return Verdict("skipped", f"{name}: floating-point pixel data (a parametric map, not a radiograph)")
    if pixel_keyword is None:
        return Verdict("error", f"{name}: header describes an image but the file has no Pixel Data (truncated?)")
    try:
        rows, cols = _int(ds, "Rows"), _int(ds, "Columns")
        frames = _int(ds, "NumberOfFrames", 1)
        samples = _int(ds, "SamplesPerPixel", 1)
        allocated = _int(ds, "BitsAllocated")
        stored = _int(ds, "BitsStored", allocated)
    except ValueError as exc:
        return Verdict("error", f"{name}: {exc}")
    photometric = str(ds.get("PhotometricInterpretation", "")).strip()
    problem = check_size(rows, cols, frames)
    if problem:
        return Verdict("error", f"{name}: {problem}")
    if allocated not in (8, 16, 32):
        if allocated == 1:
            return Verdict("skipped", f"{name}: 1-bit image (a mask or overlay), not a radiograph")
        return Verdict("error", f"{name}: unsupported BitsAllocated {allocated}")
    if not 1 <= stored <= allocated:
        return Verdict("error", f"{name}: BitsStored {stored} does not fit BitsAllocated {allocated}")
    if photometric == "PALETTE COLOR":
        return Verdict("skipped", f"{name}: palette (pseudo-colour) image, not a radiograph")
    if not photometric:
        return Verdict("error", f"{name}: missing PhotometricInterpretation")
    if photometric not in GREY + COLOUR:
        return Verdict("skipped", f"{name}: unsupported photometric interpretation {photometric!r}")
    if samples != (1 if photometric in GREY else 3):
        return Verdict("error", f"{name}: {samples} samples per pixel do not match {photometric}")
    if not pixel_complete:
        return Verdict("error", f"{name}: truncated: the encapsulated Pixel Data ends before its end marker")
    if photometric in ("YBR_FULL_422", "YBR_PARTIAL_422"):
        samples = 2  # native 4:2:2 keeps two samples per pixel
    expected = rows * cols * frames * samples * allocated // 8
    if pixel_bytes is not None and pixel_bytes < expected:
        return Verdict("error", f"{name}: truncated: Pixel Data holds {pixel_bytes} bytes, the header needs {expected}")
    return Verdict("image", "", frames)


def encoding_kind(ds: Dataset) -> str:
    """``native``, ``encapsulated`` (compressed), ``deflated`` or ``unknown`` (a private or
    invalid transfer syntax). A file without one is read as native implicit VR."""
    tsyntax = getattr(ds, "file_meta", Dataset()).get("TransferSyntaxUID")
    if tsyntax is None:
        return "native"
    uid = UID(str(tsyntax))
    if not uid.is_transfer_syntax:
        return "unknown"
    if uid.is_deflated:
        return "deflated"
    return "encapsulated" if uid.is_compressed else "native"


@dataclass(frozen=True)
class PixelElement:
    """What the file says about its pixel element, learnt without reading its value."""

    keyword: str | None = None  # None: no pixel element
    native_bytes: int | None = None  # bytes of native data present; None when encapsulated
    complete: bool = True  # False: encapsulated fragments run past the end of the file


def _walk_fragments(fh: BinaryIO, endian: str, size: int) -> bool:
    """Hop over the items of encapsulated pixel data (reading 8-byte item headers only);
    True when the sequence delimiter is reached inside the file."""
    while True:
        head = fh.read(8)
        if len(head) < 8:
            return False
        group, elem, length = struct.unpack(endian + "HHL", head)
        if (group, elem) == (0xFFFE, 0xE0DD):
            return True
        if (group, elem) != (0xFFFE, 0xE000) or fh.tell() + length > size:
            return False
        fh.seek(length, os.SEEK_CUR)


def read_header(fh: BinaryIO) -> tuple[Dataset, PixelElement]:
    """Read a header up to the pixel data from an open file, then look at the pixel element's
    own header (tag, length, fragment item headers) to learn whether it is there and whether
    the file holds all of it, without reading pixel values."""
    ds = pydicom.dcmread(fh, stop_before_pixels=True, force=True)
    kind = encoding_kind(ds)
    if kind in ("deflated", "unknown"):  # positions refer to an inflated stream / cannot be parsed
        return ds, PixelElement("PixelData" if "Rows" in ds else None)
    little = ds.original_encoding[1] is not False
    endian = "<" if little else ">"
    pos = fh.tell()
    head = fh.read(12)
    size = os.fstat(fh.fileno()).st_size
    if len(head) < 8:
        return ds, PixelElement()
    group, elem = struct.unpack(endian + "HH", head[:4])
    keyword = PIXEL_KEYWORDS.get((group << 16) | elem)
    if keyword is None:
        return ds, PixelElement()
    if head[4:6] in (b"OB", b"OW", b"OF", b"OD", b"OL", b"OV", b"UN"):  # explicit VR (files lie about it)
        length, header = (struct.unpack(endian + "L", head[8:12])[0], 12) if len(head) == 12 else (0, 12)
    else:
        length, header = struct.unpack(endian + "L", head[4:8])[0], 8
    if length == 0xFFFFFFFF:
        fh.seek(pos + header)
        return ds, PixelElement(keyword, None, _walk_fragments(fh, endian, size))
    if kind == "encapsulated":
        return ds, PixelElement(keyword, None, pos + header + length <= size)
    return ds, PixelElement(keyword, max(0, min(length, size - pos - header)))


def _positive_pair(value) -> tuple[float, float] | None:
    try:
        pair = tuple(float(v) for v in value)
    except (TypeError, ValueError):
        return None
    if len(pair) != 2 or not all(math.isfinite(v) and v > 0 for v in pair):
        return None
    return pair  # type: ignore[return-value]


def spacing(ds: Dataset) -> tuple[tuple[float, float] | None, str, dict]:
    """Pixel spacing (row, col) in mm at the patient, its source keyword, and notes.

    Precedence: PixelSpacing (the modality's statement of spacing in the patient plane; in
    an enhanced object from the shared, else the first frame's, Pixel Measures) >
    ImagerPixelSpacing (at the detector; divided by EstimatedRadiographicMagnificationFactor
    when that is given, as PS3.3 10.7.1.3 describes) > NominalScannedPixelSpacing (digitised
    film). Zero, negative or malformed values are ignored (and noted). Returns (None, "assumed", notes) when none is
    usable.
    """
    notes: dict = {}
    pixel_spacing = ds.get("PixelSpacing")
    for groups in ("SharedFunctionalGroupsSequence", "PerFrameFunctionalGroupsSequence"):
        if pixel_spacing is not None:
            break
        try:  # enhanced objects keep it in the Pixel Measures functional group
            pixel_spacing = ds[groups][0].PixelMeasuresSequence[0].PixelSpacing
        except (AttributeError, IndexError, KeyError, TypeError):
            pixel_spacing = None
    candidates = [("PixelSpacing", pixel_spacing), ("ImagerPixelSpacing", ds.get("ImagerPixelSpacing")),
                  ("NominalScannedPixelSpacing", ds.get("NominalScannedPixelSpacing"))]
    for keyword, value in candidates:
        if value is None or value == "":
            continue
        pair = _positive_pair(value)
        if pair is None:
            notes.setdefault("spacing_ignored", []).append(f"{keyword}={value}")
            continue
        if keyword == "ImagerPixelSpacing":
            try:
                magnification = float(ds.get("EstimatedRadiographicMagnificationFactor") or 1.0)
            except (TypeError, ValueError):
                magnification = 1.0
            if math.isfinite(magnification) and magnification > 0 and magnification != 1.0:
                notes["magnification_factor"] = magnification
                pair = (pair[0] / magnification, pair[1] / magnification)
        return pair, keyword, notes
    return None, "assumed", notes
