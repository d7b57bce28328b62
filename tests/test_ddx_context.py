"""Clinical context: units, derived values, unknown stays unknown, one-line rejections."""

import json

import pytest

from calcvision.ddx.context import Context, load_contexts, parse_context
from calcvision.ddx.findings import findings, mineral_state
from calcvision.errors import InputError


def test_calcium_converts_both_ways():
    a = parse_context({"calcium_mmol_l": 2.5})
    assert a.calcium_mg_dl == pytest.approx(2.5 * 4.008)
    b = parse_context({"calcium_mg_dl": 10.02})
    assert b.calcium_mmol_l == pytest.approx(10.02 / 4.008)


def test_phosphate_converts_both_ways():
    a = parse_context({"phosphate_mmol_l": 1.0})
    assert a.phosphate_mg_dl == pytest.approx(3.097)
    b = parse_context({"phosphate_mg_dl": 6.194})
    assert b.phosphate_mmol_l == pytest.approx(2.0)


def test_both_units_must_agree_within_5_percent():
    ok = parse_context({"calcium_mg_dl": 10.0, "calcium_mmol_l": 2.45})  # 9.82 mg/dL, 1.8 % apart
    assert ok.calcium_mg_dl == 10.0
    with pytest.raises(InputError, match="calcium_mg_dl.*calcium_mmol_l.*disagree"):
        parse_context({"calcium_mg_dl": 10.0, "calcium_mmol_l": 2.2})  # 8.8 mg/dL, 12 % apart
    with pytest.raises(InputError, match="phosphate"):
        parse_context({"phosphate_mg_dl": 3.0, "phosphate_mmol_l": 2.0})


def test_statuses_and_product_are_derived_from_numbers():
    c = parse_context({"calcium_mg_dl": 11.0, "phosphate_mmol_l": 0.7})
    assert c.calcium_level == "high" and c.phosphate_level == "low"
    assert c.ca_p_product == pytest.approx(11.0 * 0.7 * 3.097)
    assert parse_context({"calcium_status": "low"}).calcium_level == "low"
    assert parse_context({"calcium_mg_dl": 9}).ca_p_product is None
    with pytest.raises(InputError, match="calcium_status"):
        parse_context({"calcium_mg_dl": 12, "calcium_status": "normal"})


def test_absent_or_empty_fields_are_unknown_not_normal():
    c = parse_context({"age_years": "", "dialysis": None, "conditions": "", "site": " "})
    assert c.known() == {}
    assert findings(c.model_dump()) == {}
    assert mineral_state(Context().model_dump()) is None
    assert parse_context({"conditions": []}).conditions == ()  # [] = none known, not unknown


@pytest.mark.parametrize("obj,field", [
    ({"calcium_mg": 9}, "calcium_mg"),
    ({"calcium_mg_dl": "9 mmol/l"}, "calcium_mg_dl"),
    ({"calcium_mg_dl": "nine"}, "calcium_mg_dl"),
    ({"calcium_mg_dl": -3}, "calcium_mg_dl"),
    ({"phosphate_mmol_l": 99}, "phosphate_mmol_l"),
    ({"age_years": 130}, "age_years"),
    ({"sex": "f"}, "sex"),
    ({"dialysis": "maybe"}, "dialysis"),
    ({"site": "knee"}, "site"),
    ({"conditions": ["lupus"]}, "conditions"),
    ({"weeks_since_onset": -1}, "weeks_since_onset"),
    ({"limb_level": "middle"}, "limb_level"),
])
def test_bad_values_are_rejected_in_one_line_naming_the_field(obj, field):
    with pytest.raises(InputError) as exc:
        parse_context(obj, "case.json")
    msg = str(exc.value)
    assert field in msg and msg.startswith("case.json") and "\n" not in msg


def test_strings_from_csv_cells_are_read():
    c = parse_context({"age_years": "54", "dialysis": "yes", "trauma": "0", "calcium_mg_dl": "9.1 mg/dL",
                       "conditions": "scleroderma; crest", "sex": "Female"})
    assert c.age_years == 54 and c.dialysis is True and c.trauma is False
    assert c.calcium_mg_dl == 9.1 and c.conditions == ("scleroderma", "crest") and c.sex == "female"


def test_load_contexts_json_string_yaml_and_json_files(tmp_path):
    src = load_contexts('{"age_years": 45, "site": "pinna"}')
    assert not src.is_table and src.for_image("any").age_years == 45
    y = tmp_path / "case.yaml"
    y.write_text("age_years: 12\nconditions: [dermatomyositis]\n")
    assert load_contexts(str(y)).default.conditions == ("dermatomyositis",)
    j = tmp_path / "case.json"
    j.write_text(json.dumps({"dialysis": True}))
    assert load_contexts(str(j)).default.dialysis is True
    with pytest.raises(InputError, match="no such file"):
        load_contexts(str(tmp_path / "missing.json"))
    with pytest.raises(InputError, match="invalid JSON"):
        load_contexts('{"age_years": }')


def test_csv_of_cases_joins_by_keys_and_reports_unmatched_rows(tmp_path):
    f = tmp_path / "cases.csv"
    f.write_text("patient_id,study_uid,accession,age_years,dialysis\n"
                 "P1,,,60,true\n"
                 "P1,1.2.3,,61,\n"
                 ",,ACC9,8,false\n"
                 "P7,,,30,\n")
    before = f.read_bytes()
    src = load_contexts(str(f))
    assert src.is_table and len(src.rows) == 4
    assert src.lookup("P1", "1.2.3", None) == (src.rows[1], 2)  # most specific row wins
    assert src.for_image("P1", "9.9", None).age_years == 60
    assert src.for_image(None, None, "ACC9").age_years == 8
    assert src.for_image("P404").known() == {}  # no row: everything unknown
    assert src.unmatched_rows() == [4]
    assert f.read_bytes() == before


@pytest.mark.parametrize("body,where", [
    ("patient_id,age_years\nP1,50\nP2,abc\n", "row 2"),
    ("patient_id,calcium_mg\nP1,9\n", "calcium_mg"),
    ("age_years\n50\n", "row 1"),
    ("patient_id,age_years\nP1,50\nP1,51\n", "row 2"),
])
def test_invalid_csv_rows_name_the_row_and_field(tmp_path, body, where):
    f = tmp_path / "cases.csv"
    f.write_text(body)
    with pytest.raises(InputError) as exc:
        load_contexts(str(f))
    assert where in str(exc.value) and "\n" not in str(exc.value)
