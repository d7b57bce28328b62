"""Locate the DICOM test files shipped inside the installed ``pydicom`` and ``pydicom-data``
packages, without pydicom's downloader (which hangs for minutes with no network)."""

from __future__ import annotations

import importlib.util
import pathlib


def _package_dir(name: str) -> pathlib.Path | None:
    spec = importlib.util.find_spec(name)
    return pathlib.Path(spec.origin).parent if spec and spec.origin else None


def pydicom_file(name: str) -> pathlib.Path:
    """Path of a file such as ``CT_small.dcm`` (pydicom) or ``RG1_UNCR.dcm`` (pydicom-data).
    Raises FileNotFoundError at once when neither installed package holds it."""
    roots = []
    pydicom_dir = _package_dir("pydicom")
    if pydicom_dir:
        roots.append(pydicom_dir / "data" / "test_files")
    store = _package_dir("data_store")  # the pydicom-data package
    if store:
        roots.append(store / "data")
    for root in roots:
        if (root / name).is_file():
            return root / name
    raise FileNotFoundError(f"{name}: not in the installed pydicom / pydicom-data packages "
                            f"(looked in {', '.join(map(str, roots)) or 'nothing installed'})")
