"""DICOM SR (TID 1500) and Secondary Capture: independent validators (dicom3tools dciodvfy,
dcmtk dsrdump/dcmdump) find no errors; they read back with pydicom and highdicom, join the
source's Study in a new Series and reference the source instance."""

from __future__ import annotations

import subprocess
from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
import pytest

from calcvision.patterns import CLASSES
from calcvision.report import write_reports
from calcvision.report.dicom_sr import sr_codes
from calcvision.report.rows import load_results
from tests.external_tools import require_tool
from tests.report_helpers import BATCH, DICOM_ROWS, BrightSpotModel, make_batch


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    out = tmp_path_factory.mktemp("report_dicom")
    make_batch(out)
    res = write_reports(out, {"sr", "sc"}, model=BrightSpotModel())
    return out, res


def _source(row) -> pydicom.Dataset:
    return pydicom.dcmread(row.path)


def _dicom_rows(out):
    return [r for r in load_results(out) if r.index in DICOM_ROWS]


def test_one_sr_and_one_sc_per_ok_dicom_image_named_by_hash(batch):
    out, res = batch
    assert len(res.sr) == len(res.sc) == len(DICOM_ROWS)
    png = BATCH.index(next(b for b in BATCH if b[0].endswith(".png")))
    assert "source is not a DICOM image: no SR or SC" in res.notes[png]
    for p in res.sr + res.sc:
        assert p.parent.parent == out and p.parent.name in ("dicom_sr", "dicom_sc")
        assert len(p.stem) == 16 and all(c in "0123456789abcdef" for c in p.stem)


def test_dciodvfy_reports_no_errors(batch):
    exe = require_tool("dciodvfy")
    _, res = batch
    for path in res.sr + res.sc:
        proc = subprocess.run([exe, str(path)], capture_output=True, text=True, timeout=60)
        errors = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.startswith("Error")]
        assert not errors, f"{path.name}: {errors}"


def test_dcmtk_reads_them(batch):
    dsrdump, dcmdump = require_tool("dsrdump"), require_tool("dcmdump")
    _, res = batch
    for path in res.sr:
        proc = subprocess.run([dsrdump, str(path)], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0 and "Verification Flag   : UNVERIFIED" in proc.stdout, proc.stderr
        assert "error" not in proc.stderr.lower(), proc.stderr
        assert "Calcification Type" in proc.stdout
    for path in res.sc:
        proc = subprocess.run([dcmdump, str(path)], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0 and "DERIVED\\SECONDARY" in proc.stdout, proc.stderr


def test_sr_reads_back_with_highdicom_in_the_source_study(batch):
    out, res = batch
    rows = _dicom_rows(out)
    series = set()
    for row, path in zip(rows, res.sr):
        src = _source(row)
        sr = hd.sr.srread(path)
        assert isinstance(sr, hd.sr.Comprehensive3DSR)
        assert sr.StudyInstanceUID == src.StudyInstanceUID and sr.PatientID == src.PatientID
        assert sr.SeriesInstanceUID != src.SeriesInstanceUID
        series.add(sr.SeriesInstanceUID)
        assert sr.VerificationFlag == "UNVERIFIED"
        evidence = [s.ReferencedSOPInstanceUID for e in sr.CurrentRequestedProcedureEvidenceSequence
                    for ser in e.ReferencedSeriesSequence for s in ser.ReferencedSOPSequence]
        assert evidence == [src.SOPInstanceUID]
        planar = sr.content.get_planar_roi_measurement_groups()
        if row.box is None:  # 'none': an image-level group (TID 1501) pointing at the source
            assert planar == []
            group = sr.content.get_image_measurement_groups()[0]
            assert group.source_images[0].referenced_sop_instance_uid == src.SOPInstanceUID
        else:
            group = planar[0]
            assert group.roi.value_type.value == "SCOORD"
            ref = group.roi.ContentSequence[0].ReferencedSOPSequence[0]
            assert ref.ReferencedSOPInstanceUID == src.SOPInstanceUID
            if row.frame:  # multi-frame source: the region names its frame (1-based)
                assert int(ref.ReferencedFrameNumber) == row.frame + 1
            x0, y0, x1, y1 = row.box
            assert np.allclose(group.roi.value, [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]])
        pattern_code = group.get_qualitative_evaluations()[0].value
        assert pattern_code.value == str(sr_codes()["patterns"][row.pattern]["value"])
        probs = {m.name.meaning: m.value for m in group.get_measurements()}
        for c in CLASSES:
            assert probs[sr_codes()["probabilities"][c]["meaning"]] == pytest.approx(row.probs[c])
        texts = [i.TextValue for i in group[0].ContentSequence if i.ValueType == "TEXT"]
        assert any(t.startswith("1. " + row.top_diagnosis) for t in texts)
        assert any(f"model_sha256={row.model_sha256}" in t for t in texts)
    assert len(series) == len(rows)  # one new series per source study (each source has its own)


def test_sc_reads_back_with_box_and_heat_burned_in(batch):
    out, res = batch
    rows = _dicom_rows(out)
    for row, path in zip(rows, res.sc):
        src = _source(row)
        sc = pydicom.dcmread(path)
        assert sc.StudyInstanceUID == src.StudyInstanceUID and sc.SeriesInstanceUID != src.SeriesInstanceUID
        assert list(sc.ImageType) == ["DERIVED", "SECONDARY"] and sc.BurnedInAnnotation == "YES"
        assert "NOT FOR CLINICAL USE" in sc.ImageComments and "not for diagnosis" in sc.DerivationDescription
        assert sc.SourceImageSequence[0].ReferencedSOPInstanceUID == src.SOPInstanceUID
        rgb = sc.pixel_array
        assert rgb.shape == (src.Rows, src.Columns, 3)
        if row.frame:
            assert sc.SourceImageSequence[0].ReferencedFrameNumber == row.frame + 1
        colour = np.abs(rgb.astype(int) - rgb.mean(axis=2, keepdims=True)).max(axis=2) > 25
        if row.box is None:
            assert not colour[60:].any()  # gray below the label band: no box, no heat
        else:
            x0, y0, x1, y1 = (int(v) for v in row.box)
            if row.pattern == "rice_grain":  # the class BrightSpotModel sees in bright tissue
                assert colour[y0 + 2:y1 - 2, x0 + 2:x1 - 2].mean() > 0.5  # heat map over the lesion
            assert colour[y0, x0:x1].mean() > 0.9  # box outline
        assert hd.imread(path).get_frame(1).shape == rgb.shape  # highdicom reads it too


def test_standard_codes_exist_in_dicom_part16_with_that_meaning():
    from pydicom.sr._concepts_dict import concepts

    table = sr_codes()
    entries = [v for k, v in table.items() if isinstance(v, dict) and "scheme" in v]
    entries += list(table["patterns"].values()) + list(table["probabilities"].values())
    assert set(table["patterns"]) == set(CLASSES) == set(table["probabilities"])
    checked = 0
    for e in entries:
        if e["scheme"] in ("SCT", "DCM"):
            meanings = {m for kw in concepts[e["scheme"]].values() for code, (m, _) in kw.items() if code == e["value"]}
            assert e["meaning"] in meanings, f"{e} not in DICOM PS3.16 as bundled by pydicom"
            checked += 1
        else:
            assert e["scheme"] in ("99CALCV", "UCUM")
    assert checked >= 6


def test_frames_are_named_only_for_multiframe_sop_classes():
    from pydicom import Dataset

    from calcvision.report.dicom_common import referenced_frames

    ds = Dataset()
    ds.SOPClassUID, ds.NumberOfFrames = "1.2.840.10008.5.1.4.1.1.1.1", 3  # a (non-conformant) 3-frame DX
    assert referenced_frames(ds, 2) is None
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7.3"
    assert referenced_frames(ds, 2) == [3]
    ds.NumberOfFrames = 1
    assert referenced_frames(ds, 0) is None


def test_source_without_patient_and_study_attributes_still_gives_valid_objects(tmp_path):
    from tests.report_helpers import phantom_pixels, result_row, write_results, write_source_dicom

    src = write_source_dicom(tmp_path / "bare.dcm", phantom_pixels((120, 160), (20, 30, 60, 70)))
    ds = pydicom.dcmread(src)
    for kw in ("PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyDate", "StudyTime",
               "AccessionNumber", "ReferringPhysicianName", "StudyID"):
        if kw in ds:
            delattr(ds, kw)
    ds.save_as(src)
    before = src.read_bytes()
    write_results(tmp_path, [result_row(src, "sheet", (20, 30, 60, 70), sop_uid=ds.SOPInstanceUID)])
    res = write_reports(tmp_path, {"sr", "sc"}, saliency=False)
    assert src.read_bytes() == before
    exe = require_tool("dciodvfy")
    for path in res.sr + res.sc:
        proc = subprocess.run([exe, str(path)], capture_output=True, text=True, timeout=60)
        assert not [ln for ln in proc.stderr.splitlines() if ln.startswith("Error")], proc.stderr
        assert pydicom.dcmread(path).StudyInstanceUID == ds.StudyInstanceUID
