"""Synthetic radiograph phantoms: anatomy, lesion recipes, X-ray physics, display chain.

``make_phantom(label, seed, index, shape=None, spacing_mm=None) -> PhantomSample`` is the
in-memory API for training; ``calcvision phantoms`` writes DICOM/PNG sets from it. Every
parameter range lives in ``ranges.yaml`` with its source."""

import hashlib as _hashlib
from pathlib import Path as _Path

from calcvision.phantoms.sample import PhantomSample, make_phantom


def _simulator_version() -> str:
    """Short hash of the simulator's code and ranges: changes whenever a sample could."""
    h = _hashlib.sha256()
    here = _Path(__file__).parent
    for p in sorted(here.glob("*.py")) + [here / "ranges.yaml"]:
        if p.name not in ("writer.py", "montage.py"):
            h.update(p.name.encode() + p.read_bytes())
    return h.hexdigest()[:12]


SIMULATOR_VERSION: str = _simulator_version()
__version__ = SIMULATOR_VERSION

__all__ = ["PhantomSample", "SIMULATOR_VERSION", "make_phantom"]
