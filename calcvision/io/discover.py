"""Find the images among files and folders and say, for every file, what it is:
``image`` (we read it), ``skipped`` (not a radiograph: SR, RTPLAN, DICOMDIR, text...) or
``error`` (corrupt, truncated, absurd), each with a reason. Decided from headers only."""

from __future__ import annotations

import os
import pathlib
import stat
import warnings
from dataclasses import dataclass
from typing import Iterable, Literal

from calcvision.errors import InputError
from calcvision.io.dicom_header import classify, read_header
from calcvision.io.formats import NotAnImage, one_line, sniff
from calcvision.io.raster_read import raster_frames, sidecar_spacing


@dataclass(frozen=True)
class Candidate:
    """One file found: ``status`` image / skipped / error, ``reason`` in words (empty for an
    image), ``n_frames`` the frames an image holds (0 otherwise), ``file_format`` dicom /
    png / tiff / jpeg ("" when not recognised)."""

    path: str
    status: Literal["image", "skipped", "error"]
    reason: str
    n_frames: int = 0
    file_format: str = ""


def classify_file(path: str) -> Candidate:
    """Classify one regular file from its header (pixel data is never decoded)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydicom warns about every malformed value
        return _classify_file(path)


def _classify_file(path: str) -> Candidate:
    try:
        kind = sniff(path)
    except OSError as exc:
        return Candidate(path, "error", f"cannot read ({exc.strerror or exc})")
    if kind is None:
        empty = os.path.getsize(path) == 0
        return Candidate(path, "skipped", "empty file" if empty else "not a DICOM, PNG, TIFF or JPEG file")
    if kind == "dicom":
        try:
            with open(path, "rb") as fh:
                ds, pixels = read_header(fh)
            verdict = classify(ds, pixel_keyword=pixels.keyword, pixel_bytes=pixels.native_bytes,
                               pixel_complete=pixels.complete)
        except Exception as exc:  # pydicom raises many types on garbage, some only when a value is used
            return Candidate(path, "error", f"corrupt DICOM header ({one_line(exc)})", 0, kind)
        return Candidate(path, verdict.status, verdict.reason, verdict.n_frames, kind)
    try:
        frames = raster_frames(path, kind)
        sidecar_spacing(pathlib.Path(path))
    except NotAnImage as exc:
        return Candidate(path, "skipped", _reason(exc, path), 0, kind)
    except InputError as exc:
        return Candidate(path, "error", _reason(exc, path), 0, kind)
    return Candidate(path, "image", "", len(frames), kind)


def _reason(exc: Exception, path: str) -> str:
    """The message without the leading path (the Candidate names the file already)."""
    text = one_line(exc)
    return text[len(path) + 2:] if text.startswith(f"{path}: ") else text


def _walk(folder: str, seen_dirs: set, found: list, problems: list) -> None:
    try:
        info = os.stat(folder)
    except OSError as exc:
        problems.append(Candidate(folder, "error", f"cannot open folder ({exc.strerror or exc})"))
        return
    key = (info.st_dev, info.st_ino)
    if key in seen_dirs:  # a symlink loop or a folder reached twice
        return
    seen_dirs.add(key)
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        problems.append(Candidate(folder, "error", f"cannot list folder ({exc.strerror or exc})"))
        return
    for entry in entries:
        try:
            is_dir = entry.is_dir(follow_symlinks=True)
        except OSError:
            is_dir = False
        if is_dir:
            _walk(entry.path, seen_dirs, found, problems)
        else:
            found.append(entry.path)


def _file_candidate(path: str) -> Candidate | None:
    """A candidate for paths that are not regular files; None for a regular file."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return Candidate(path, "error", "broken symbolic link" if os.path.islink(path) else "file vanished")
    except OSError as exc:
        return Candidate(path, "error", f"cannot read ({exc.strerror or exc})")
    if not stat.S_ISREG(mode):
        return Candidate(path, "skipped", "not a regular file")
    return None


def discover(inputs: str | os.PathLike | Iterable[str | os.PathLike]) -> list[Candidate]:
    """Every file under the given files and folders (recursively; symlinked folders are
    followed once, loops are cut), classified, sorted by path. A file reached twice (by
    two inputs or a link) is listed once. Sidecars ``<image>.json`` are not listed.
    Raises InputError when an input does not exist."""
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    found: list[str] = []
    problems: list[Candidate] = []
    seen_dirs: set = set()
    for item in inputs:
        path = os.fspath(item)
        if not os.path.lexists(path):
            raise InputError(f"{path}: no such file or folder")
        if os.path.isdir(path):
            _walk(path, seen_dirs, found, problems)
        else:
            found.append(path)
    candidates = list(problems)
    seen_files: set = set()
    names = set(found)
    for path in sorted(set(found)):
        special = _file_candidate(path)
        if special is not None:
            candidates.append(special)
            continue
        info = os.stat(path)
        if (info.st_dev, info.st_ino) in seen_files:
            continue
        seen_files.add((info.st_dev, info.st_ino))
        if path.endswith(".json") and path[:-5] in names:
            continue  # the spacing sidecar of an image
        candidates.append(classify_file(path))
    return sorted(candidates, key=lambda c: c.path)
