"""The result store: append + flush, torn-line repair, CSV rebuilt from the JSONL, lock."""

import csv
import json

import pytest

from calcvision.errors import InputError
from calcvision.infer.results import COLUMNS, ResultStore, row_key
from calcvision.patterns import probability_columns

SPEC_COLUMNS = (["path", "frame", "sop_instance_uid", "status", "reason", "pattern", "confidence"]
                + probability_columns() + ["roi_x0", "roi_y0", "roi_x1", "roi_y1", "top_diagnosis"])


def _row(i, status="ok"):
    return {"path": f"/data/f{i}.dcm", "frame": 0, "sop_instance_uid": f"1.2.{i}", "status": status,
            "reason": "", "pattern": "none", "confidence": 0.9, "model_sha256": "abc", "differential": None}


def test_csv_starts_with_the_interface_columns_in_order():
    assert COLUMNS[:len(SPEC_COLUMNS)] == SPEC_COLUMNS


def test_torn_last_line_is_cut_and_csv_rebuilt(tmp_path):
    with ResultStore(tmp_path) as store:
        for i in range(3):
            store.append(_row(i))
    jl = tmp_path / "results.jsonl"
    data = jl.read_bytes()
    jl.write_bytes(data + b'{"path": "/data/f3.dcm", "fra')            # killed while writing row 4
    with open(tmp_path / "results.csv", "a") as f:
        f.write("/data/f3.dcm,0,1.2.3,o")                                # and its CSV row never made it
    with ResultStore(tmp_path) as store:
        assert store.n_previous == 3
        assert row_key(_row(2)) in store.done and row_key(_row(3)) not in store.done
        store.append(_row(3))
    lines = jl.read_text().splitlines()
    assert [json.loads(l)["path"] for l in lines] == [f"/data/f{i}.dcm" for i in range(4)]
    rows = list(csv.DictReader(open(tmp_path / "results.csv")))
    assert [r["path"] for r in rows] == [f"/data/f{i}.dcm" for i in range(4)]
    assert rows[0]["confidence"] == "0.900000" and rows[0]["roi_x0"] == ""


def test_invalid_line_in_the_middle_refuses_to_resume(tmp_path):
    (tmp_path / "results.jsonl").write_text(json.dumps(_row(0)) + "\nnot json\n" + json.dumps(_row(1)) + "\n")
    with pytest.raises(InputError, match="line 2"):
        with ResultStore(tmp_path):
            pass


def test_second_writer_is_refused(tmp_path):
    with ResultStore(tmp_path):
        with pytest.raises(InputError, match="another calcvision infer"):
            with ResultStore(tmp_path):
                pass


def test_done_keys_are_per_model(tmp_path):
    with ResultStore(tmp_path) as store:
        store.append(_row(0))
        file_row = dict(_row(1, "error"), frame=None, sop_instance_uid="")
        store.append(file_row)
        done = store.done_by_path("abc")
        assert done["/data/f0.dcm"] == {(0, "1.2.0")} and done["/data/f1.dcm"] == {(None, "")}
        assert store.done_by_path("other-model") == {}
