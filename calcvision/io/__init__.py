"""Reading and writing radiographs: DICOM (pixel pipeline in the standard's order), PNG/TIFF/JPEG,
file discovery, and a DICOM writer for CR/DX images."""

from calcvision.io.discover import Candidate, discover
from calcvision.io.formats import NotAnImage
from calcvision.io.radiograph import ASSUMED_SPACING_MM, Provenance, Radiograph
from calcvision.io.read import read_radiograph

__all__ = ["ASSUMED_SPACING_MM", "Candidate", "NotAnImage", "Provenance", "Radiograph", "discover", "read_radiograph"]
