"""Write radiographs as DICOM CR / DX "For Presentation" objects (used by the phantom
generator and the tests).

The files carry what a reader needs to give back exactly the written pixels: the SOP class,
file meta, pixel spacing in the tag asked for, Bits Stored / High Bit / Pixel Representation,
the photometric interpretation with its Presentation LUT Shape, optional rescale and window,
and optional lossless compression through pydicom's encoders.
"""

from __future__ import annotations

import pathlib

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (
    PYDICOM_IMPLEMENTATION_UID,
    UID,
    ExplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGLosslessSV1,
    JPEGLSLossless,
    RLELossless,
    generate_uid,
)

from calcvision import __version__
from calcvision.errors import UsageError
from calcvision.io.pixel_pipeline import stored_range

SOP_CLASS = {
    "DX": UID("1.2.840.10008.5.1.4.1.1.1.1"),  # Digital X-Ray Image Storage - For Presentation
    "CR": UID("1.2.840.10008.5.1.4.1.1.1"),  # Computed Radiography Image Storage
}
COMPRESSION = {
    None: ExplicitVRLittleEndian,
    "rle": RLELossless,
    "jpeg-ls": JPEGLSLossless,
    "jpeg2000": JPEG2000Lossless,
    "jpeg-lossless": JPEGLosslessSV1,
}
SPACING_TAGS = ("ImagerPixelSpacing", "PixelSpacing", "both", "none")


def _ds(value: float) -> str:
    """A Decimal String of at most 16 characters."""
    text = f"{value:.10g}"
    return text if len(text) <= 16 else f"{value:.6g}"


def write_radiograph(
    path: str | pathlib.Path,
    stored: np.ndarray,
    *,
    spacing_mm: tuple[float, float],
    spacing_tag: str = "ImagerPixelSpacing",
    photometric: str = "MONOCHROME2",
    bits_stored: int,
    modality: str = "DX",
    compression: str | None = None,
    patient_id: str = "PHANTOM",
    study_uid: str | None = None,
    series_uid: str | None = None,
    sop_uid: str | None = None,
    window: tuple[float, float] | None = None,
    rescale: tuple[float, float] | None = None,
    extra: dict | None = None,
) -> pathlib.Path:
    """Write ``stored`` (uint16 / int16, (rows, cols) or (frames, rows, cols)) to ``path``.

    ``spacing_mm`` is (row, col) in mm, written to ``spacing_tag`` (``ImagerPixelSpacing``,
    ``PixelSpacing``, ``both`` or ``none``). ``window`` is (center, width) and ``rescale``
    (slope, intercept). A DX object without a window gets the window that spans the full
    modality range, which reads back exactly as no window; DX also always carries Rescale
    (identity unless given), as its IOD requires. ``compression``: ``rle``, ``jpeg-ls``,
    ``jpeg2000`` (all lossless) or None; ``jpeg-lossless`` raises UsageError here because pydicom
    has no encoder for it. UIDs not given are generated at random; give all three for
    byte-identical files. ``extra`` maps DICOM keywords to values, set last.
    Returns the path written.
    """
    path = pathlib.Path(path)
    stored = np.asarray(stored)
    if modality not in SOP_CLASS:
        raise UsageError(f"modality must be one of {sorted(SOP_CLASS)}, got {modality!r}")
    if compression not in COMPRESSION:
        raise UsageError(f"compression must be one of {[k for k in COMPRESSION if k]} or None, got {compression!r}")
    if spacing_tag not in SPACING_TAGS:
        raise UsageError(f"spacing_tag must be one of {SPACING_TAGS}, got {spacing_tag!r}")
    if photometric not in ("MONOCHROME1", "MONOCHROME2"):
        raise UsageError(f"photometric must be MONOCHROME1 or MONOCHROME2, got {photometric!r}")
    if stored.dtype not in (np.uint16, np.int16) or stored.ndim not in (2, 3):
        raise UsageError(f"stored must be a 2-D or 3-D uint16/int16 array, got {stored.dtype} {stored.shape}")
    if not 1 <= bits_stored <= 16:
        raise UsageError(f"bits_stored must be 1..16, got {bits_stored}")
    signed = stored.dtype == np.int16
    lo, hi = stored_range(bits_stored, signed)
    if stored.size and (stored.min() < lo or stored.max() > hi):
        raise UsageError(f"stored values {stored.min()}..{stored.max()} do not fit {bits_stored} "
                         f"{'signed' if signed else 'unsigned'} bits")
    if not all(s > 0 for s in spacing_mm) or len(spacing_mm) != 2:
        raise UsageError(f"spacing_mm must be two positive numbers, got {spacing_mm}")

    sop_class = SOP_CLASS[modality]
    sop_uid = sop_uid or generate_uid()
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = sop_class
    ds.file_meta.MediaStorageSOPInstanceUID = sop_uid
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    ds.file_meta.ImplementationVersionName = f"CALCVISION_{__version__}"[:16]

    # SOP Common, Patient, General Study / Series / Equipment (type 2 left empty: the files
    # must not change with the date, so that a seed gives identical files)
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_uid
    ds.PatientID = patient_id
    ds.PatientName = patient_id
    ds.PatientBirthDate = ""
    ds.PatientSex = ""
    ds.StudyInstanceUID = study_uid or generate_uid()
    ds.StudyDate = ""
    ds.StudyTime = ""
    ds.ReferringPhysicianName = ""
    ds.StudyID = ""
    ds.AccessionNumber = ""
    ds.SeriesInstanceUID = series_uid or generate_uid()
    ds.Modality = modality
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.Manufacturer = "calcvision"
    ds.SoftwareVersions = __version__
    ds.ContentDate = ""
    ds.ContentTime = ""
    ds.BurnedInAnnotation = "NO"
    ds.ImageType = ["DERIVED", "PRIMARY"]
    ds.LossyImageCompression = "00"

    # Image Pixel
    frames = stored.shape[0] if stored.ndim == 3 else 1
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.Rows, ds.Columns = stored.shape[-2:]
    ds.BitsAllocated = 16
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = int(signed)
    if stored.ndim == 3:
        ds.NumberOfFrames = frames
        ds.FrameIncrementPointer = pydicom.tag.Tag("FrameTime")
        ds.FrameTime = 0
    # Presentation LUT Shape follows the photometric interpretation (PS3.3 C.8.11.3.1.2)
    ds.PresentationLUTShape = "INVERSE" if photometric == "MONOCHROME1" else "IDENTITY"

    if rescale is not None or modality == "DX":
        slope, intercept = rescale if rescale is not None else (1.0, 0.0)
        ds.RescaleSlope = _ds(slope)
        ds.RescaleIntercept = _ds(intercept)
        ds.RescaleType = "US"
    if window is None and modality == "DX":
        slope, intercept = rescale if rescale is not None else (1.0, 0.0)
        m_lo, m_hi = sorted((lo * slope + intercept, hi * slope + intercept))
        window = ((m_lo + m_hi) / 2 + 0.5, m_hi - m_lo + 1)
    if window is not None:
        ds.WindowCenter = _ds(window[0])
        ds.WindowWidth = _ds(window[1])

    # DX Series / Anatomy / Detector; CR Series
    if modality == "DX":
        ds.PresentationIntentType = "FOR PRESENTATION"
        ds.ImageLaterality = "U"
        ds.PatientOrientation = ["L", "F"]  # a nominal AP view; override through ``extra``
        ds.PixelIntensityRelationship = "LIN"
        ds.PixelIntensityRelationshipSign = 1 if photometric == "MONOCHROME1" else -1
        ds.DetectorType = ""
        ds.AcquisitionContextSequence = []
        ds.AnatomicRegionSequence = []
    else:
        ds.BodyPartExamined = ""
        ds.ViewPosition = ""
        ds.Laterality = ""  # unknown (type 2C)
        ds.PatientOrientation = ""
    row_mm, col_mm = (float(s) for s in spacing_mm)
    if spacing_tag in ("ImagerPixelSpacing", "both"):
        ds.ImagerPixelSpacing = [_ds(row_mm), _ds(col_mm)]
    if spacing_tag in ("PixelSpacing", "both"):
        ds.PixelSpacing = [_ds(row_mm), _ds(col_mm)]

    for keyword, value in (extra or {}).items():
        setattr(ds, keyword, value)

    data = np.ascontiguousarray(stored, dtype=stored.dtype.newbyteorder("<"))
    if compression is None:
        ds.PixelData = data.tobytes()
    else:
        _compress(ds, COMPRESSION[compression], data, compression)
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path


def _compress(ds: Dataset, tsyntax: UID, data: np.ndarray, name: str) -> None:
    from pydicom.pixels import get_encoder

    try:
        encoder = get_encoder(tsyntax)
    except NotImplementedError:
        raise UsageError(f"compression {name!r}: pydicom has no encoder for {tsyntax.name}; "
                         "use rle, jpeg-ls or jpeg2000") from None
    if not encoder.is_available:
        missing = "; ".join(encoder.missing_dependencies) or "no plugin installed"
        raise UsageError(f"compression {name!r}: encoder unavailable ({missing})")
    if name == "jpeg2000" and min(data.shape[-2:]) < 32:
        # openjpeg always uses 6 DWT resolutions, which needs 2**5 pixels each side
        raise UsageError(f"compression 'jpeg2000' needs at least 32 x 32 pixels, got {data.shape[-2:]}")
    ds.compress(tsyntax, data, generate_instance_uid=False)
