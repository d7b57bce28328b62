"""Read PNG (8/16-bit), TIFF and JPEG radiographs into :class:`Radiograph` objects.

Grey levels: unsigned integers are divided by the largest value their bit depth holds
(TIFF BitsPerSample, e.g. 12; 8/16 for PNG and JPEG), signed integers are shifted into that
range, floats already in 0..1 are kept and other floats are min-max scaled. A raster is
taken as displayed (higher = whiter) except a TIFF marked MinIsWhite, which is inverted.
Colour images become grey by ITU-R BT.601 luma; palette TIFFs are skipped.

Spacing: a sidecar ``<file>.json`` holding ``{"spacing_mm": [row, col]}`` (or one number)
wins (source ``user``). Otherwise the file's resolution is trusted only when it states a
unit (TIFF inch/cm, PNG pHYs in metres, JPEG JFIF dpi), is not 72 or 96 dpi (screen
defaults that say nothing about the film) and gives 0.02-1 mm per pixel (source
``NominalScannedPixelSpacing``, the DICOM name for a digitised film's spacing). Else the
spacing is ``assumed`` (ASSUMED_SPACING_MM).
"""

from __future__ import annotations

import json
import math
import pathlib
import warnings
from dataclasses import dataclass

import numpy as np

from calcvision.errors import InputError
from calcvision.io.formats import NotAnImage, check_size, one_line
from calcvision.io.pixel_pipeline import LUMA
from calcvision.io.radiograph import ASSUMED_SPACING_MM, Provenance, Radiograph

SCREEN_DPI = (72, 96)
TRUSTED_SPACING_MM = (0.02, 1.0)
GREY_MODES = ("1", "L", "LA", "I;16", "I;16B", "I;16L", "I;16N", "I", "F")
COLOUR_MODES = ("P", "PA", "RGB", "RGBA", "RGBX", "CMYK", "YCbCr", "LAB", "HSV")


@dataclass(frozen=True)
class RasterFrame:
    """Header facts of one raster page, known without decoding it."""

    rows: int
    cols: int
    photometric: str  # MONOCHROME1 / MONOCHROME2 / RGB
    bits: int
    dpi: tuple[float, float] | None  # (row direction, column direction), with a unit stated
    mode: str = ""  # Pillow's mode for PNG / JPEG


def sidecar_spacing(path: pathlib.Path) -> tuple[float, float] | None:
    """(row, col) mm from ``<path>.json``, None when there is no sidecar."""
    sidecar = path.with_name(path.name + ".json")
    if not sidecar.is_file():
        return None
    try:
        value = json.loads(sidecar.read_text())["spacing_mm"]
        pair = (float(value), float(value)) if isinstance(value, (int, float)) else tuple(float(v) for v in value)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{sidecar}: field spacing_mm: expected a number or [row, col] in mm ({exc})") from None
    if len(pair) != 2 or not all(math.isfinite(v) and v > 0 for v in pair):
        raise InputError(f"{sidecar}: field spacing_mm: expected positive numbers, got {value}")
    return pair  # type: ignore[return-value]


def dpi_spacing(dpi: tuple[float, float] | None) -> tuple[float, float] | None:
    """(row, col) mm from a resolution in dots per inch, when it is trustworthy (see module doc)."""
    if not dpi or any(not (v and math.isfinite(v) and v > 0) for v in dpi):
        return None
    if any(round(v) in SCREEN_DPI for v in dpi):
        return None
    pair = (25.4 / dpi[0], 25.4 / dpi[1])
    lo, hi = TRUSTED_SPACING_MM
    return pair if all(lo <= v <= hi for v in pair) else None


def _pil_frames(path: pathlib.Path) -> list[RasterFrame]:
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # DecompressionBombWarning: our own limits apply
            with Image.open(path) as im:
                cols, rows = im.size
                mode = im.mode
                dpi = im.info.get("dpi")
    except Image.DecompressionBombError as exc:
        raise InputError(f"{path}: absurd dimensions ({exc})") from None
    if mode in GREY_MODES:
        photometric = "MONOCHROME2"
    elif mode in COLOUR_MODES:
        photometric = "RGB"
    else:
        raise NotAnImage(f"{path}: unsupported image mode {mode}")
    bits = 16 if mode.startswith("I;16") or mode == "I" else 32 if mode == "F" else 8
    return [RasterFrame(rows, cols, photometric, bits, (float(dpi[1]), float(dpi[0])) if dpi else None, mode)]


def _pil_pixels(path: pathlib.Path, mode: str) -> np.ndarray:
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        im = Image.open(path)
    with im:
        if mode in ("I;16", "I;16B", "I;16L", "I;16N"):
            return np.asarray(im).astype(np.uint16)
        if mode in ("I", "F"):
            return np.asarray(im)
        if mode in ("1", "L", "LA"):
            return np.asarray(im.convert("L"))
        return np.asarray(im.convert("RGB"))


TIFF_PHOTOMETRIC = {0: "MONOCHROME1", 1: "MONOCHROME2", 2: "RGB", 6: "RGB"}


def _tiff_frames(path: pathlib.Path) -> list[RasterFrame]:
    import tifffile

    frames = []
    with tifffile.TiffFile(path) as tif:
        for page in tif.pages:
            if page.is_reduced:  # thumbnails / pyramid levels
                continue
            photometric = TIFF_PHOTOMETRIC.get(int(page.photometric))
            if photometric is None:
                raise NotAnImage(f"{path}: TIFF photometric {page.photometric.name} is not a radiograph")
            unit = int(page.resolutionunit)
            dpi = None
            if unit in (2, 3):
                xres, yres = page.resolution
                scale = 2.54 if unit == 3 else 1.0
                dpi = (yres * scale, xres * scale)
            frames.append(RasterFrame(int(page.imagelength), int(page.imagewidth), photometric,
                                      int(page.bitspersample), dpi))
    return frames


def _tiff_pixels(path: pathlib.Path) -> list[np.ndarray]:
    import tifffile

    pages = []
    with tifffile.TiffFile(path) as tif:
        for page in tif.pages:
            if page.is_reduced:
                continue
            arr = page.asarray()
            if arr.ndim == 3 and int(page.planarconfig) == 2:  # separate planes -> samples last
                arr = np.moveaxis(arr, 0, -1)
            pages.append(arr)
    return pages


def raster_frames(path: str | pathlib.Path, kind: str) -> list[RasterFrame]:
    """Header facts of every page, checking sizes; raises NotAnImage / InputError."""
    path = pathlib.Path(path)
    try:
        frames = _tiff_frames(path) if kind == "tiff" else _pil_frames(path)
    except (NotAnImage, InputError):
        raise
    except Exception as exc:
        raise InputError(f"{path}: corrupt {kind.upper()} ({one_line(exc)})") from exc
    if not frames:
        raise NotAnImage(f"{path}: TIFF without a full-resolution page")
    for frame in frames:
        problem = check_size(frame.rows, frame.cols, len(frames))  # pages of a TIFF may differ in size
        if problem:
            raise InputError(f"{path}: {problem}")
    return frames


def to_unit(arr: np.ndarray, frame: RasterFrame) -> np.ndarray:
    """Decoded raster pixels -> float32 0..1 grey, higher = whiter."""
    if np.issubdtype(arr.dtype, np.floating):
        out = np.nan_to_num(arr.astype(np.float32), nan=0.0)
        lo, hi = float(out.min()), float(out.max())
        if lo < 0 or hi > 1:
            out = (out - lo) / ((hi - lo) or 1.0)
    else:
        bits = frame.bits if 1 <= frame.bits <= 8 * arr.dtype.itemsize else 8 * arr.dtype.itemsize
        offset = float(1 << (bits - 1)) if np.issubdtype(arr.dtype, np.signedinteger) else 0.0
        out = (arr.astype(np.float32) + offset) / float((1 << bits) - 1)
    if out.ndim == 3:  # samples last: colour -> luma; grey + alpha -> grey
        out = out[..., :3] @ LUMA if out.shape[-1] >= 3 else out[..., 0]
    out = np.clip(out, 0.0, 1.0)
    if frame.photometric == "MONOCHROME1":
        out = 1.0 - out
    return np.ascontiguousarray(out, dtype=np.float32)


def read_raster(path: str | pathlib.Path, kind: str) -> list[Radiograph]:
    """Every page of a PNG / TIFF / JPEG file (``kind`` from :func:`formats.sniff`) as Radiographs."""
    path = pathlib.Path(path)
    frames = raster_frames(path, kind)
    spacing_mm, source = sidecar_spacing(path), "user"
    if spacing_mm is None:
        spacing_mm, source = dpi_spacing(frames[0].dpi), "NominalScannedPixelSpacing"
    if spacing_mm is None:
        spacing_mm, source = (ASSUMED_SPACING_MM, ASSUMED_SPACING_MM), "assumed"
    try:
        pixels = _tiff_pixels(path) if kind == "tiff" else [_pil_pixels(path, frames[0].mode)]
    except Exception as exc:
        raise InputError(f"{path}: cannot decode {kind.upper()} pixels ({one_line(exc)})") from exc
    out = []
    for index, (frame, arr) in enumerate(zip(frames, pixels, strict=True)):
        if arr.shape[:2] != (frame.rows, frame.cols):
            raise InputError(f"{path}: decoded shape {arr.shape} does not match the header {frame.rows} x {frame.cols}")
        extra = {"colour_to_grey": frame.photometric} if frame.photometric == "RGB" else {}
        provenance = Provenance(path=str(path), frame=index, n_frames=len(frames), photometric_interpretation=frame.photometric,
                                bits_stored=frame.bits, file_format=kind)
        out.append(Radiograph(pixels=to_unit(arr, frame), spacing_mm=spacing_mm, spacing_source=source,  # type: ignore[arg-type]
                              provenance=provenance, extra=extra))
    return out
