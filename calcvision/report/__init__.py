"""Outputs people look at: HTML report, saliency overlays, DICOM SR and Secondary Capture."""
