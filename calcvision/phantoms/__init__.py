"""Synthetic radiograph phantoms: anatomy, lesion recipes, X-ray physics, display chain."""
