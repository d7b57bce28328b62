"""An independent X-ray radiograph simulator: layered material volumes of limb anatomy with
soft-tissue calcifications, projected polychromatically, degraded by scatter, noise and
detector blur, and processed like a vendor's 'for presentation' image.

Entry points: `params.load_cfg`, `case.render_case`, `dicom_files.write_dicom`.
"""
