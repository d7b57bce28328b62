"""Synthetic radiograph phantoms: anatomy, lesion recipes, X-ray physics, display chain.

``make_phantom(label, seed, index, shape=None, spacing_mm=None) -> PhantomSample`` is the
in-memory API for training; ``calcvision phantoms`` writes DICOM/PNG sets from it. Every
parameter range lives in ``ranges.yaml`` with its source."""

from calcvision.phantoms.sample import PhantomSample, make_phantom

__all__ = ["PhantomSample", "make_phantom"]
