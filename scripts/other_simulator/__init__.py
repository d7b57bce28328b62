"""An X-ray phantom simulator written independently of calcvision (imports nothing from it).

It renders radiographs of the seven morphology classes of shared/spec/patterns.md from physics
only: analytic parallel-beam projections of a body part (limb shaft, large joint, hand, or a
hip/shoulder-like trunk field) with hydroxyapatite (HA) lesions, then Beer-Lambert, scatter,
Poisson quanta, blur, a vendor-like display chain and 12-bit DX/CR DICOM. Parameter ranges, each
with its source, live in ranges.yaml. Entry points: case.render_case, dicom_files.write_dicom.
"""
