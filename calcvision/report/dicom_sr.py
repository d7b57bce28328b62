"""A DICOM Structured Report per image: TID 1500 Measurement Report built with highdicom.

Content tree (codes in ``sr_codes.yaml``, documented in docs/report.md)::

    Imaging Measurement Report (TID 1500)
     ├ language, observer = device "calcvision" (TID 1004), procedure = Plain radiography
     └ Imaging Measurements
        └ Measurement Group (TID 1410 with a box, TID 1501 without)
           ├ tracking id/uid, finding type (Abnormal calcifications | Ossification)
           ├ algorithm identification: calcvision, version, model_sha256=...
           ├ image region: SCOORD POLYLINE of the box on the source image (TID 1410)
           │   or the source image as evidence (TID 1501)
           ├ NUM  probability of each of the 7 classes, unit "1"
           ├ CODE Calcification Type = the predicted pattern
           └ TEXT Differential Diagnosis/Impression: "1. <name> (p=0.41; tier)" ...

The document is in the source's Study (highdicom copies patient and study from the
evidence), in a new Series, with VerificationFlag UNVERIFIED and PreliminaryFlag
PRELIMINARY; the source SOP Instance is listed in its evidence.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

import highdicom as hd
import numpy as np
import yaml
from pydicom.dataset import Dataset
from pydicom.sr.codedict import codes

from calcvision.patterns import CLASSES, NONE
from calcvision.report.dicom_common import (
    MANUFACTURER, SR_SERIES_NUMBER, UTF8, algorithm_fields, derived_uid, quiet_person_name_warnings,
    referenced_frames,
)
from calcvision.report.rows import ResultRow

TOP_DIAGNOSES = 3


@lru_cache(maxsize=1)
def sr_codes() -> dict:
    """The code table (``sr_codes.yaml``)."""
    text = resources.files("calcvision.report").joinpath("sr_codes.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def code(entry: dict) -> hd.sr.CodedConcept:
    return hd.sr.CodedConcept(value=str(entry["value"]), scheme_designator=entry["scheme"], meaning=entry["meaning"])


def _coding_scheme_item() -> Dataset:
    scheme = sr_codes()["private_scheme"]
    item = Dataset()
    item.CodingSchemeDesignator = scheme["designator"]
    item.CodingSchemeName = scheme["name"]
    item.CodingSchemeVersion = scheme["version"]
    item.CodingSchemeResponsibleOrganization = scheme["responsible_organization"]
    return item


def _diagnosis_text(rank: int, dx: dict) -> str:
    p = dx.get("probability")
    parts = [f"p={float(p):.2f}" if isinstance(p, (int, float)) else None, dx.get("tier")]
    detail = "; ".join(str(x) for x in parts if x)
    return f"{rank}. {dx.get('name') or dx.get('id') or '?'}" + (f" ({detail})" if detail else "")


def _measurement_group(source: Dataset, row: ResultRow, algorithm: hd.sr.AlgorithmIdentification) -> hd.sr.Template:
    """TID 1410 (region = the box on the source image) or, without a box, TID 1501 (the
    source image as a whole), holding the probabilities, the pattern and the top diagnoses."""
    table = sr_codes()
    pattern = row.pattern or NONE
    uid = derived_uid("sr-tracking", source.SOPInstanceUID, row.frame, row.model_sha256)
    tracking = hd.sr.TrackingIdentifier(uid=uid, identifier=f"calcvision finding, source frame {row.frame + 1}")
    unit = code(table["probability_unit"])
    measurements = [hd.sr.Measurement(name=code(table["probabilities"][c]), value=float(row.probs[c]), unit=unit)
                    for c in CLASSES if c in row.probs]
    evaluation = hd.sr.QualitativeEvaluation(name=code(table["pattern_concept"]),
                                             value=code(table["patterns"][pattern]))
    finding = None if pattern == NONE else code(
        table["finding_type_ossification" if pattern == "trabeculated_ossification" else "finding_type_calcification"])
    common = dict(tracking_identifier=tracking, finding_type=finding, algorithm_id=algorithm,
                  measurements=measurements, qualitative_evaluations=[evaluation])
    frames = referenced_frames(source, row.frame)
    if row.box is not None and pattern != NONE:
        x0, y0, x1, y1 = row.box
        region = hd.sr.ImageRegion(
            graphic_type=hd.sr.GraphicTypeValues.POLYLINE,
            graphic_data=np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]], dtype=float),
            source_image=hd.sr.SourceImageForRegion(source.SOPClassUID, source.SOPInstanceUID,
                                                    referenced_frame_numbers=frames))
        group = hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(referenced_region=region, **common)
    else:
        image = hd.sr.SourceImageForMeasurementGroup(source.SOPClassUID, source.SOPInstanceUID,
                                                     referenced_frame_numbers=frames)
        group = hd.sr.MeasurementsAndQualitativeEvaluations(source_images=[image], **common)
    for rank, dx in enumerate(row.differential[:TOP_DIAGNOSES], start=1):
        group[0].ContentSequence.append(hd.sr.TextContentItem(
            name=code(table["differential_concept"]), value=_diagnosis_text(rank, dx),
            relationship_type=hd.sr.RelationshipTypeValues.CONTAINS))
    return group


def build_sr(source: Dataset, row: ResultRow) -> hd.sr.Comprehensive3DSR:
    """The SR of ``row`` (an ``ok`` result) about the image whose header is ``source``."""
    name, version, params = algorithm_fields(row)
    algorithm = hd.sr.AlgorithmIdentification(name=name, version=version, parameters=params)
    observer = hd.sr.ObserverContext(
        observer_type=codes.DCM.Device,
        observer_identifying_attributes=hd.sr.DeviceObserverIdentifyingAttributes(
            uid=derived_uid("calcvision-device", name, version), name=name, manufacturer_name=MANUFACTURER,
            model_name=f"calcvision {version}"))
    report = hd.sr.MeasurementReport(
        observation_context=hd.sr.ObservationContext(observer_person_context=None, observer_device_context=observer),
        procedure_reported=code(sr_codes()["procedure_reported"]),
        imaging_measurements=[_measurement_group(source, row, algorithm)])
    with quiet_person_name_warnings():
        sr = _document(source, row, report[0])
    sr.CodingSchemeIdentificationSequence = [_coding_scheme_item()]
    sr.SpecificCharacterSet = UTF8
    return sr


def _document(source: Dataset, row: ResultRow, content: Dataset) -> hd.sr.Comprehensive3DSR:
    key = (source.SOPInstanceUID, row.frame, row.model_sha256)
    return hd.sr.Comprehensive3DSR(
        evidence=[source], content=content,
        series_instance_uid=derived_uid("sr-series", source.StudyInstanceUID, row.model_sha256),
        series_number=SR_SERIES_NUMBER,
        sop_instance_uid=derived_uid("sr", *key), instance_number=row.index + 1,
        manufacturer=MANUFACTURER, is_complete=True, is_final=False, is_verified=False,
        series_description="calcvision SR - research, not for clinical use",
    )


def write_sr(source: Dataset, row: ResultRow, path: Path) -> Path:
    """Build the SR of ``row`` and save it at ``path`` (a name the caller made, never from tags)."""
    build_sr(source, row).save_as(path, enforce_file_format=True)
    return path
