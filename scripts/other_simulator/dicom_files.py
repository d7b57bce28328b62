"""The DICOM files written: names, deterministic UIDs, DX/CR datasets, and the ledger of the
files written under images/ (so a rerun replaces only its own files)."""

from __future__ import annotations

from pathlib import Path

UID_SALT = "calcvision-bench-other-simulator-v1"
LEDGER_NAME = ".bench_other_simulator_images.txt"  # beside images/: names of the files written there
CR_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.1"  # Computed Radiography Image Storage
DX_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.1.1"  # Digital X-Ray Image Storage - For Presentation


def image_name(index: int) -> str:
    """File name of image `index`."""
    return f"img_{index:05d}.dcm"


def make_uid(seed: int, index: int, what: str) -> str:
    """Deterministic UID from (seed, index, what) under pydicom's root."""
    from pydicom.uid import generate_uid
    return str(generate_uid(entropy_srcs=[UID_SALT, str(seed), str(index), what]))


def write_dicom(path: Path, case: dict, seed: int, index: int) -> str:
    """Write a rendered case (case.render_case) as a minimal DX (For Presentation) or CR DICOM,
    Explicit VR Little Endian, 12 bits stored, spacing in mm. Returns the SOP Instance UID."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian

    cr = case["cr"]
    sop_class = CR_SOP_CLASS if cr else DX_SOP_CLASS
    sop_uid = make_uid(seed, index, "sop")
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = sop_class, sop_uid
    ds.StudyInstanceUID = make_uid(seed, index, "study")
    ds.SeriesInstanceUID = make_uid(seed, index, "series")
    ds.Modality = "CR" if cr else "DX"
    ds.PatientName = f"OTHERSIM^{seed}^{index}"
    ds.PatientID = f"OSIM-{seed}-{index:05d}"
    ds.PatientBirthDate, ds.PatientSex = "", ""
    ds.StudyDate, ds.StudyTime, ds.StudyID, ds.AccessionNumber = "", "", "", ""
    ds.ReferringPhysicianName = ""
    ds.SeriesNumber, ds.InstanceNumber = 1, index + 1
    ds.Manufacturer = "bench_other_simulator"
    ds.PatientOrientation = ""
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.BurnedInAnnotation = "NO"
    mono1 = case["mono1"]
    px_arr = case["pixels"]
    ds.Rows, ds.Columns = px_arr.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME1" if mono1 else "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    sp = f"{case['spacing']:.4f}".rstrip("0").rstrip(".")
    ds.PixelSpacing = [sp, sp]
    ds.ImagerPixelSpacing = [sp, sp]
    if not cr:
        ds.PresentationIntentType = "FOR PRESENTATION"
        ds.PixelIntensityRelationship = "LOG"
        ds.PixelIntensityRelationshipSign = 1 if mono1 else -1
        ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType = 0, 1, "US"
    ds.PixelData = px_arr.astype("<u2").tobytes()
    ds.save_as(path, enforce_file_format=True)
    return sop_uid


def prepare_images_dir(images: Path, ledger: Path) -> None:
    """Remove the files a previous run left in images/ (per the ledger); raise
    FileExistsError, touching nothing, if images/ holds anything else."""
    if not images.exists():
        return
    ours = set(ledger.read_text().split()) if ledger.is_file() else set()
    foreign = sorted(p.name for p in images.iterdir() if p.name not in ours or not p.is_file())
    if foreign:
        raise FileExistsError(f"{images} already holds files not written by this script (e.g. {foreign[0]})")
    for name in ours:
        (images / name).unlink(missing_ok=True)
    ledger.unlink(missing_ok=True)


def cleanup_images(images: Path, ledger: Path, names: list[str]) -> None:
    """Delete the files this run wrote under images/, the ledger, and images/ if now empty."""
    for name in names:
        (images / name).unlink(missing_ok=True)
    ledger.unlink(missing_ok=True)
    try:
        images.rmdir()
    except OSError:
        pass
