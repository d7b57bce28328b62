"""Read a DICOM radiograph into :class:`Radiograph` objects (one per frame).

VOI policy: the first VOI LUT Sequence item when present, else the first Window Center /
Width pair (with VOI LUT Function LINEAR, LINEAR_EXACT or SIGMOID), else no VOI (the full
range the stored bits can hold maps to 0..1). Inversion: MONOCHROME1, or a MONOCHROME2 image
whose Presentation LUT Shape is INVERSE; a MONOCHROME1 image with INVERSE is inverted once
(the two say the same thing, PS3.3 C.8.11.3.1.2). Colour images (RGB, YBR) become grey by
ITU-R BT.601 luma over the stored range, without VOI; palette colour is skipped.
"""

from __future__ import annotations

import pathlib
import warnings

import numpy as np
import pydicom
from pydicom.dataset import Dataset

from calcvision.errors import InputError
from calcvision.io.dicom_header import (COLOUR, PIXEL_KEYWORDS, classify, encoding_kind, read_header,
                                        sop_class_name, spacing)
from calcvision.io.formats import NotAnImage, one_line
from calcvision.io.pixel_pipeline import LUMA, VOI_FUNCTIONS, Lut, stored_to_unit_in_range
from calcvision.io.radiograph import ASSUMED_SPACING_MM, Provenance, Radiograph

def _first(value):
    """First value of a possibly multi-valued element."""
    if isinstance(value, (list, tuple, pydicom.multival.MultiValue)):
        return value[0] if len(value) else None
    return value


def _float(ds: Dataset, keyword: str) -> float | None:
    try:
        value = float(_first(ds.get(keyword)))
    except (TypeError, ValueError):
        return None
    return value if np.isfinite(value) else None


def pixel_parameters(ds: Dataset) -> tuple[dict, dict]:
    """Keyword arguments for the pixel pipeline from a grey-scale header, and notes on what
    was used or ignored (for ``Radiograph.extra``)."""
    signed = int(ds.get("PixelRepresentation", 0) or 0) == 1
    photometric = str(ds.PhotometricInterpretation).strip()
    shape = str(ds.get("PresentationLUTShape", "") or "").strip().upper()
    inverted = photometric == "MONOCHROME1" or shape == "INVERSE"
    params: dict = dict(bits_stored=int(ds.get("BitsStored") or ds.BitsAllocated), signed=signed,
                        photometric="MONOCHROME1" if inverted else "MONOCHROME2")
    notes: dict = {"inverted": inverted}
    if shape:
        notes["presentation_lut_shape"] = shape

    slope, intercept = _float(ds, "RescaleSlope"), _float(ds, "RescaleIntercept")
    if slope is not None and slope != 0:
        params.update(slope=slope, intercept=intercept or 0.0)
        notes["rescale"] = (slope, intercept or 0.0)
    elif "ModalityLUTSequence" in ds and len(ds.ModalityLUTSequence):
        try:
            params["modality_lut"] = Lut.from_item(ds.ModalityLUTSequence[0], signed=signed)
            notes["rescale"] = "modality LUT"
        except (AttributeError, ValueError) as exc:
            notes["modality_lut_ignored"] = str(exc)

    if "VOILUTSequence" in ds and len(ds.VOILUTSequence):
        try:
            params["voi_lut"] = Lut.from_item(ds.VOILUTSequence[0], signed=signed)
            notes["voi"] = "VOI LUT"
            return params, notes
        except (AttributeError, ValueError) as exc:
            notes["voi_lut_ignored"] = str(exc)
    center, width = _float(ds, "WindowCenter"), _float(ds, "WindowWidth")
    function = str(_first(ds.get("VOILUTFunction")) or "LINEAR").strip().upper()
    if function not in VOI_FUNCTIONS:
        notes["voi_function_ignored"] = function
        function = "LINEAR"
    if center is not None and width is not None:
        if width >= 1 or (width > 0 and function != "LINEAR"):
            params.update(window_center=center, window_width=width, voi_function=function)
            notes["voi"] = f"window {center:g}/{width:g} {function}"
            return params, notes
        notes["window_ignored"] = f"width {width:g}"
    notes["voi"] = "none (full stored range)"
    return params, notes


def _decode(ds: Dataset, path: str) -> np.ndarray:
    try:
        return ds.pixel_array
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # decoders raise many types (Rust plugins even panic): the file is the problem
        tsyntax = getattr(ds, "file_meta", Dataset()).get("TransferSyntaxUID")
        name = getattr(tsyntax, "name", tsyntax) or "no transfer syntax"
        raise InputError(f"{path}: cannot decode pixel data ({name}): {one_line(exc)}") from exc


def _provenance(ds: Dataset, path: str, frame: int, n_frames: int) -> Provenance:
    def text(keyword: str) -> str | None:
        value = ds.get(keyword)
        return None if value is None or str(value) == "" else str(value)

    tsyntax = getattr(ds, "file_meta", Dataset()).get("TransferSyntaxUID")
    return Provenance(
        path=path, frame=frame, n_frames=n_frames,
        sop_instance_uid=text("SOPInstanceUID"), sop_class_uid=text("SOPClassUID"),
        study_instance_uid=text("StudyInstanceUID"), series_instance_uid=text("SeriesInstanceUID"),
        patient_id=text("PatientID"), patient_name=text("PatientName"), accession=text("AccessionNumber"),
        modality=text("Modality"), photometric_interpretation=text("PhotometricInterpretation"),
        transfer_syntax_uid=None if tsyntax is None else str(tsyntax),
        bits_stored=int(ds.get("BitsStored") or ds.BitsAllocated), file_format="dicom",
    )


def read_dicom(path: str | pathlib.Path) -> list[Radiograph]:
    """All frames of a DICOM image as Radiographs (pixels 0..1, MONOCHROME2 sense).

    Raises :class:`NotAnImage` (an InputError) for files that are not images we read (SR,
    RTPLAN, DICOMDIR, ...) and InputError for corrupt, truncated or undecodable files.
    pydicom's warnings about malformed values are silenced: the file is read as it is.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return _read_dicom(str(path))
        except InputError:
            raise
        except (ValueError, TypeError, AttributeError, KeyError, IndexError, OverflowError,
                NotImplementedError) as exc:  # pydicom parses values lazily: garbage surfaces here
            raise InputError(f"{path}: invalid DICOM header value ({one_line(exc)})") from exc


def _read_dicom(where: str) -> list[Radiograph]:
    try:
        ds = pydicom.dcmread(where, force=True)
    except Exception as exc:
        raise InputError(f"{where}: corrupt DICOM ({one_line(exc)})") from exc
    keyword = next((kw for kw in PIXEL_KEYWORDS.values() if kw in ds), None)
    if keyword is None and "Rows" not in ds:
        # pydicom drops everything when encapsulated pixel data ends early: ask the header alone
        with open(where, "rb") as fh:
            header, _ = read_header(fh)
        if "Rows" in header:
            raise InputError(f"{where}: {sop_class_name(header)}: truncated: the Pixel Data ends early")
    pixel_bytes = None
    if keyword and encoding_kind(ds) == "native" and ds[keyword].value is not None:
        pixel_bytes = len(ds[keyword].value)
    verdict = classify(ds, pixel_keyword=keyword, pixel_bytes=pixel_bytes)
    if verdict.status == "skipped":
        raise NotAnImage(f"{where}: {verdict.reason}")
    if verdict.status == "error":
        raise InputError(f"{where}: {verdict.reason}")
    n_frames = verdict.n_frames

    photometric = str(ds.PhotometricInterpretation).strip()
    stored = _decode(ds, where)
    if photometric in COLOUR:
        stored = stored.reshape((n_frames, *stored.shape[-3:]))
        maximum = float((1 << int(ds.get("BitsStored") or ds.BitsAllocated)) - 1)
        unit = np.clip(stored.astype(np.float32) @ (LUMA / maximum), 0.0, 1.0)
        notes: dict = {"colour_to_grey": photometric, "voi": "none (colour)"}
    else:
        params, notes = pixel_parameters(ds)
        unit = stored_to_unit_in_range(stored, **params).reshape((n_frames, *stored.shape[-2:]))

    spacing_mm, source, spacing_notes = spacing(ds)
    notes.update(spacing_notes)
    if spacing_mm is None:
        spacing_mm = (ASSUMED_SPACING_MM, ASSUMED_SPACING_MM)
    return [
        Radiograph(pixels=unit[i], spacing_mm=spacing_mm, spacing_source=source,  # type: ignore[arg-type]
                   provenance=_provenance(ds, where, i, n_frames), extra=dict(notes))
        for i in range(n_frames)
    ]
