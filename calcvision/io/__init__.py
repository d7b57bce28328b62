"""Reading and writing radiographs: DICOM (pixel pipeline in the standard's order), PNG/TIFF/JPEG,
file discovery, and a DICOM writer for CR/DX images."""

from calcvision.io.radiograph import ASSUMED_SPACING_MM, Provenance, Radiograph

__all__ = ["ASSUMED_SPACING_MM", "Provenance", "Radiograph"]
