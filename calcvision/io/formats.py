"""What kind of file is this? Decided from its first bytes, never its name or its pixels."""

from __future__ import annotations

import pathlib

from calcvision.errors import InputError

RASTER_FORMATS = ("png", "tiff", "jpeg")

# Limits that keep a lying header from becoming a huge allocation. The largest radiographs
# (stitched long-leg / full-spine DX, mammograms) stay well under 16384 pixels a side.
MAX_SIDE = 16384
MAX_TOTAL_PIXELS = 1 << 30  # all frames together


def sniff(path: str | pathlib.Path) -> str | None:
    """``"dicom"``, ``"png"``, ``"tiff"``, ``"jpeg"``, or None for anything else.

    DICOM is a Part 10 file ("DICM" at byte 128) or a bare dataset that starts with a group
    0002 / 0008 element in either byte order (old files written without the preamble).
    """
    with open(path, "rb") as fh:
        head = fh.read(132)
    if head[128:132] == b"DICM":
        return "dicom"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if len(head) >= 8 and head[:2] in (b"\x02\x00", b"\x08\x00", b"\x00\x02", b"\x00\x08"):
        return "dicom"
    return None


def check_size(rows: int, cols: int, frames: int = 1) -> str | None:
    """A reason why these dimensions cannot be read, or None when they are sane."""
    if rows <= 0 or cols <= 0 or frames <= 0:
        return f"empty or negative dimensions {rows} x {cols} x {frames} frames"
    if rows > MAX_SIDE or cols > MAX_SIDE:
        return f"absurd dimensions {rows} x {cols} (limit {MAX_SIDE} pixels a side)"
    if rows * cols * frames > MAX_TOTAL_PIXELS:
        return f"absurd size {rows} x {cols} x {frames} frames (limit {MAX_TOTAL_PIXELS} pixels)"
    return None


def one_line(exc: BaseException) -> str:
    """An exception's message on one line (decoders list one failure per plugin)."""
    text = " ".join(part.strip() for part in str(exc).splitlines() if part.strip())
    return text or type(exc).__name__


class NotAnImage(InputError):
    """The file is readable but not an image we read as a radiograph (SR, RTPLAN, DICOMDIR,
    a text file...): callers report it as ``skipped``, not ``error``."""
