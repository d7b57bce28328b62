"""``read_radiograph``: any supported file -> Radiographs (one per frame)."""

from __future__ import annotations

import os
import pathlib
import stat

from calcvision.errors import InputError
from calcvision.io.dicom_read import read_dicom
from calcvision.io.formats import NotAnImage, sniff
from calcvision.io.radiograph import Radiograph
from calcvision.io.raster_read import read_raster


def read_radiograph(path: str | os.PathLike) -> list[Radiograph]:
    """Read a DICOM, PNG, TIFF or JPEG file: one Radiograph per frame, pixels float32 0..1
    (MONOCHROME2 sense), spacing in mm with its source.

    Raises NotAnImage (an InputError) for files that are not images we read and InputError
    for missing, corrupt, truncated or absurd files; the message names the file.
    """
    p = pathlib.Path(path)
    try:
        mode = p.stat().st_mode
        if stat.S_ISDIR(mode):
            raise InputError(f"{path}: is a folder; use calcvision.io.discover to list its images")
        if not stat.S_ISREG(mode):  # a pipe or device would block or never end
            raise NotAnImage(f"{path}: not a regular file")
        kind = sniff(p)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if kind is None:
        raise NotAnImage(f"{path}: not a DICOM, PNG, TIFF or JPEG file")
    return read_dicom(p) if kind == "dicom" else read_raster(p, kind)
