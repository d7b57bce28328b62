"""calcvision: soft-tissue calcification patterns on radiographs, with a cited differential.

Research software trained on synthetic phantoms only. Not for clinical use.
"""

__version__ = "0.1.0"

NOT_FOR_CLINICAL_USE = "Research software, trained on synthetic phantoms only: not for clinical use."
