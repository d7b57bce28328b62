"""Whole-radiograph inference: physical resampling, tiled prediction, localisation, batch runner."""
