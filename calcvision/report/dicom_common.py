"""What the DICOM outputs (SR and SC) share: the source header, derived UIDs, the notice."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.uid import generate_uid

from calcvision import __version__
from calcvision.report.rows import ResultRow

MANUFACTURER = "calcvision (open-source research software)"
NOT_FOR_DIAGNOSIS = "UNVERIFIED machine output of calcvision research software: NOT FOR CLINICAL USE, not for diagnosis"
UTF8 = "ISO_IR 192"
"""Outputs are written in UTF-8: header text is decoded from the source's own character set
by pydicom, and diagnosis names may hold characters outside ASCII."""
SR_SERIES_NUMBER = 9901
SC_SERIES_NUMBER = 9902


TYPE2_PATIENT_STUDY = ("PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyDate", "StudyTime",
                       "AccessionNumber", "ReferringPhysicianName", "StudyID")
"""Patient/study attributes that SR and SC copy from the source and must carry (Type 2)."""


def read_source_header(path: Path) -> Dataset | None:
    """The source file's DICOM header (no pixel data, in memory only), or None when it is not
    DICOM (PNG/TIFF/JPEG inputs have no study to join, so they get no SR or SC). Patient and
    study attributes the source lacks are added empty (unknown) to this copy."""
    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True)
    except (InvalidDicomError, OSError, EOFError, ValueError):
        return None
    needed = ("StudyInstanceUID", "SOPInstanceUID", "SOPClassUID")
    if not all(getattr(ds, k, None) for k in needed):
        return None
    for keyword in TYPE2_PATIENT_STUDY:  # absent = unknown: present but empty, as the IODs want
        if keyword not in ds:
            setattr(ds, keyword, "")
    return ds


SINGLE_FRAME_CLASSES = frozenset({
    "1.2.840.10008.5.1.4.1.1.1",      # CR
    "1.2.840.10008.5.1.4.1.1.1.1",    # DX for presentation
    "1.2.840.10008.5.1.4.1.1.1.1.1",  # DX for processing
    "1.2.840.10008.5.1.4.1.1.1.2",    # MG for presentation
    "1.2.840.10008.5.1.4.1.1.1.2.1",  # MG for processing
    "1.2.840.10008.5.1.4.1.1.1.3",    # IO for presentation
    "1.2.840.10008.5.1.4.1.1.1.3.1",  # IO for processing
    "1.2.840.10008.5.1.4.1.1.7",      # Secondary Capture
})
"""Image SOP classes whose IOD has no frames: a reference to them must not name a frame."""


def referenced_frames(source: Dataset, frame: int) -> list[int] | None:
    """[frame + 1] (DICOM frame numbers are 1-based) when the source is a multi-frame image
    of a multi-frame SOP class; None otherwise (a non-conformant multi-frame CR/DX cannot be
    referenced by frame, the frame is then named in the text)."""
    if int(source.get("NumberOfFrames", 1) or 1) > 1 and source.SOPClassUID not in SINGLE_FRAME_CLASSES:
        return [frame + 1]
    return None


@contextmanager
def quiet_person_name_warnings() -> Iterator[None]:
    """Silence highdicom's "unlikely to represent the intended person name" warning: the names
    are the source's own, copied unchanged, and it would otherwise print once per image."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*unlikely to represent the intended person name",
                                category=UserWarning)
        yield


def derived_uid(*parts: object) -> str:
    """A UID that is a pure function of ``parts`` (a rerun rewrites the same objects instead
    of adding duplicates to the PACS study)."""
    return generate_uid(entropy_srcs=[repr(p) for p in parts])


def algorithm_fields(row: ResultRow) -> tuple[str, str, list[str]]:
    """(name, version, parameters) identifying the algorithm that produced ``row``."""
    version = row.calcvision_version or __version__
    params = [f"model_sha256={row.model_sha256 or 'not recorded'}"]
    model_version = row.raw.get("model_version") or (row.raw.get("provenance") or {}).get("model_version")
    if model_version:
        params.append(f"model_version={model_version}")
    return "calcvision", version, params
