"""The seven morphology classes: the one source of truth for their ids and order.

The ids are public interface (CLI, CSV columns ``p_<id>``, JSON, configs, folder names of
a local dataset); see ``shared/spec/patterns.md``. The order below is the order of the
model's output vector and must never change for a shipped model.
"""

from __future__ import annotations

from typing import Final

CLASSES: Final[tuple[str, ...]] = (
    "rice_grain",
    "phlebolith_ring",
    "sheet",
    "tumoral_glob",
    "chondrocalcinosis_line",
    "trabeculated_ossification",
    "none",
)
"""Class ids in model-output order."""

NONE: Final[str] = "none"
CLASS_INDEX: Final[dict[str, int]] = {c: i for i, c in enumerate(CLASSES)}

DESCRIPTIONS: Final[dict[str, str]] = {
    "rice_grain": "elongated fusiform dense foci parallel to the muscle fibres (3-12 mm long)",
    "phlebolith_ring": "round/oval calcification with a lucent centre, single or clustered (2-10 mm)",
    "sheet": "sheet-like, confluent or reticulated deposits in fat, muscle and fascial planes",
    "tumoral_glob": "large dense lobulated periarticular masses, sometimes fluid-calcium levels (10-200 mm)",
    "chondrocalcinosis_line": "fine line paralleling articular cartilage, punctate meniscal dots (0.3-1 mm thick)",
    "trabeculated_ossification": "ordered bone: peripheral cortex, internal trabeculae, lucent cleft (20-100 mm)",
    "none": "no soft-tissue calcification in view",
}


def class_index(name: str) -> int:
    """Index of class ``name`` in the model output; ValueError naming the valid ids otherwise."""
    try:
        return CLASS_INDEX[name]
    except KeyError:
        raise ValueError(f"unknown pattern {name!r}; expected one of: {', '.join(CLASSES)}") from None


def probability_columns() -> list[str]:
    """CSV column names ``p_<class>`` in model-output order."""
    return [f"p_{c}" for c in CLASSES]
