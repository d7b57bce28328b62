"""The CNN: network, checkpoint format, training (Lightning), calibration, export.

Public: ``load_model(path=None) -> CalcModel`` (the shipped default when ``path`` is None).
Training and evaluation modules import Lightning and are loaded only when used.
"""

from calcvision.model.checkpoint import DEFAULT_MODEL, CalcModel, load_model, read_meta, save_model

__all__ = ["CalcModel", "DEFAULT_MODEL", "load_model", "read_meta", "save_model"]
