"""The ranking: prior + pattern + known context, mineral status once, clamps, remainder."""

import shutil

import numpy as np
import pytest

from calcvision.ddx import rank
from calcvision.ddx.engine import REMAINDER_ID
from calcvision.ddx.kb import KB_DIR, load_kb
from calcvision.errors import InputError
from calcvision.patterns import CLASSES

KB = load_kb()
METASTATIC_GROUPS = {"metastatic", "tumoral_calcinosis"}  # Dalinka & Melchior Table I A


def _p(d):
    return {x.id: x.probability for x in d.diagnoses}


def _group_p(d, groups):
    return sum(x.probability for x in d.diagnoses if x.id in KB.index and KB.entries[KB.index[x.id]].group in groups)


def _prior_and_pattern_only(p):
    post = np.append(KB.prior * (KB.pattern @ p) / (KB.pattern_ref @ p), KB.remainder_prior)
    return dict(zip([e.id for e in KB.entries] + [REMAINDER_ID], post / post.sum()))


@pytest.mark.parametrize("pattern", ["tumoral_glob", "sheet", "none"])
def test_ca_p_product_above_75_raises_metastatic_causes(pattern):
    empty = rank(pattern, None, questions=False)
    below = rank(pattern, {"calcium_mg_dl": 9.5, "phosphate_mg_dl": 4.0}, questions=False)  # 38
    above = rank(pattern, {"calcium_mg_dl": 10.0, "phosphate_mg_dl": 8.0}, questions=False)  # 80
    assert _group_p(above, METASTATIC_GROUPS) > 2 * _group_p(empty, METASTATIC_GROUPS)
    assert _group_p(above, METASTATIC_GROUPS) > 10 * _group_p(below, METASTATIC_GROUPS)
    assert _p(above)["secondary_hyperparathyroidism"] > _p(empty)["secondary_hyperparathyroidism"]


def test_an_absent_field_is_not_scored():
    for pattern in CLASSES:
        p = np.eye(len(CLASSES))[CLASSES.index(pattern)]
        expected = _prior_and_pattern_only(p)
        for ctx in (None, {}, {"patient_id": "X1", "study_uid": "1.2"},
                    {"age_years": None, "dialysis": "", "conditions": None, "site": None}):
            got = _p(rank(pattern, ctx, questions=False))
            assert got.keys() == expected.keys()
            assert max(abs(got[k] - expected[k]) for k in got) < 1e-9


def test_soft_evidence_one_hot_equals_the_hard_pattern_and_missing_classes_are_zero():
    a = _p(rank("sheet", {"age_years": 9}, questions=False))
    b = _p(rank({"sheet": 1.0}, {"age_years": 9}, questions=False))
    assert max(abs(a[k] - b[k]) for k in a) < 1e-12
    mixed = rank({"tumoral_glob": 0.8, "sheet": 0.2}, questions=False)
    assert mixed.pattern == "tumoral_glob" and mixed.probs["rice_grain"] == 0


@pytest.mark.parametrize("bad", ["tumoral", {"glob": 1.0}, {"sheet": -0.1}, {"sheet": 0.9, "none": 0.9},
                                 {"sheet": 0.0}, [0.5, 0.5], {"sheet": "high"}, {"sheet": float("nan")}])
def test_invalid_evidence_is_rejected(bad):
    with pytest.raises(InputError):
        rank(bad)


def test_mineral_status_is_one_finding_not_counted_twice():
    full = rank("tumoral_glob", {"renal_failure": True, "dialysis": True, "calcium_mg_dl": 10,
                                 "phosphate_mg_dl": 8}, questions=False)
    one = rank("tumoral_glob", {"dialysis": True, "phosphate_mg_dl": 8}, questions=False)
    a, b = _p(full), _p(one)
    assert max(abs(a[k] - b[k]) for k in a) < 1e-12
    for d in full.diagnoses:
        assert sum(e["factor"] == "mineral_status" for e in d.explanation) <= 1
        assert not any(e["factor"] in ("renal_failure", "dialysis", "calcium_mg_dl") for e in d.explanation)


def test_context_likelihood_ratios_are_clamped_so_no_single_finding_vetoes(tmp_path):
    kb_dir = tmp_path / "kb"
    shutil.copytree(KB_DIR, kb_dir)
    eng = kb_dir / "engine.yaml"
    eng.write_text(eng.read_text().replace("clamp_log10_context: {value: 1.5,", "clamp_log10_context: {value: 0.4,"))
    small = load_kb(str(kb_dir))
    ctx = {"calcium_gluconate": False, "injections": False, "tumor_treated": False, "site": "pinna",
           "age_years": 80, "conditions": ["gout"], "endemic_exposure": False}
    for kb, lim in ((small, 0.4), (KB, 1.5)):
        d = rank("phlebolith_ring", ctx, kb=kb, questions=False)
        for x in d.diagnoses:
            assert x.probability > 0
            for e in x.explanation:
                if e["factor"] not in ("prior", "pattern", "known_disease_prior"):
                    assert abs(e["log10_lr"]) <= lim + 1e-9, (x.id, e)
                if e["factor"] == "pattern":
                    assert abs(e["log10_lr"]) <= 2.0 + 1e-9
    # a defining cause known absent lowers, by at most the clamp, never to zero
    base = _p(rank("sheet", {}, questions=False))["calcium_gluconate_extravasation"]
    neg = _p(rank("sheet", {"calcium_gluconate": False}, questions=False))["calcium_gluconate_extravasation"]
    assert 0 < neg < base and base / neg < 10 ** 1.5 * 1.05


def test_empty_context_follows_documented_prevalence():
    d = rank("none", None, questions=False)
    groups = {g: _group_p(d, {g}) for g in KB.groups}
    assert groups["dystrophic"] > 0.9  # UW: dystrophic 95-98 %
    assert groups["cppd"] == pytest.approx(groups["metastatic"])
    assert all(KB.entries[KB.index[x.id]].group == "dystrophic" for x in d.diagnoses[:5])
    for pattern in CLASSES:
        top = rank(pattern, None, questions=False).diagnoses[0]
        assert top.id != REMAINDER_ID
        expected = "cppd" if pattern == "chondrocalcinosis_line" else "dystrophic"  # UW table
        assert KB.entries[KB.index[top.id]].group == expected, (pattern, top.id)


def test_osteosarcoma_is_never_first_without_supporting_context():
    rng = np.random.default_rng(0)
    fields = [{"age_years": a} for a in (0.5, 10, 30, 70)] + [{"site": s} for s in ("muscle", "periarticular")] + \
             [{"distribution": "localized"}, {"trauma": False}, {"sex": "male"}, {}]
    for _ in range(300):
        p = rng.dirichlet(np.ones(len(CLASSES)) * 0.3)
        ctx = {k: v for f in rng.choice(fields, size=3) for k, v in f.items()}
        top = rank(p, ctx, questions=False).diagnoses[0]
        assert "osteosarcoma" not in top.id, (p.round(2), ctx)


def test_json_shape_rare_but_important_always_listed_and_remainder_explicit():
    d = rank("trabeculated_ossification", {"trauma": True})
    out = d.to_dict(top=3)
    assert set(out) == {"pattern", "differential", "next_questions"}
    probs = [x["probability"] for x in out["differential"]]
    assert probs == sorted(probs, reverse=True)
    ids = {x["id"] for x in out["differential"]}
    rare = {e.id for e in KB.entries if e.tier == "rare_but_important"}
    assert rare <= ids and REMAINDER_ID in ids and len(rare) >= 5
    for x in out["differential"]:
        assert set(x) == {"id", "name", "synonyms", "probability", "tier", "mechanism", "explanation", "sources"}
        assert x["sources"] and all(set(e) == {"factor", "value", "log10_lr", "source"} for e in x["explanation"])
        assert x["explanation"][0]["factor"] == "prior"
    assert sum(x.probability for x in d.diagnoses) == pytest.approx(1.0)
    assert d.top_name == d.diagnoses[0].name == "Myositis ossificans circumscripta (post-traumatic heterotopic ossification)"
    assert "not for clinical use" in d.render()


def test_explanations_carry_signed_cited_contributions_and_evidence_against():
    d = rank("rice_grain", {"endemic_exposure": False, "site": "muscle"})
    cyst = d.get("cysticercosis")
    factors = {e["factor"]: e for e in cyst.explanation}
    assert factors["pattern"]["log10_lr"] > 0 and factors["site"]["log10_lr"] > 0
    assert factors["endemic_exposure"]["log10_lr"] < 0  # evidence against
    assert all(e["source"] for e in cyst.explanation)


def test_next_questions_are_unknown_fields_ranked_by_information_gain():
    d = rank("tumoral_glob", {"site": "periarticular", "age_years": 40})
    fields = [q["field"] for q in d.next_questions]
    assert fields and "site" not in fields and "age_years" not in fields
    assert all(q["why"] for q in d.next_questions)
    gains = [float(q["why"].split("gain ")[1].split(" ")[0]) for q in d.next_questions]
    assert gains == sorted(gains, reverse=True)
    # with the mineral status unknown, asking about it matters for a dialysis-pattern question
    d2 = rank("tumoral_glob", {})
    assert {"phosphate_mg_dl", "renal_failure", "dialysis", "calcium_mg_dl", "site"} & {q["field"] for q in d2.next_questions}


def test_none_known_conditions_differs_from_unknown():
    unknown = _p(rank("tumoral_glob", {"site": "fingertips"}, questions=False))
    none = _p(rank("tumoral_glob", {"site": "fingertips", "conditions": []}, questions=False))
    assert none["scleroderma"] < unknown["scleroderma"]


def test_a_disease_the_patient_is_known_to_have_leads_when_the_picture_fits():
    # rare diseases whose own name is entered as a known condition: the prior lift (engine.yaml
    # known_disease_prior) puts them first; without the condition they are far down the list
    for pattern, ctx, dx in (("chondrocalcinosis_line", {"site": "pinna", "conditions": ["ochronosis"]}, "ochronosis"),
                             ("tumoral_glob", {"site": "periarticular", "conditions": ["milk_alkali"]}, "milk_alkali_syndrome"),
                             ("tumoral_glob", {"conditions": ["sarcoidosis"]}, "sarcoidosis"),
                             ("tumoral_glob", {"site": "intra_articular", "conditions": ["mctd"]}, "mixed_connective_tissue_disease")):
        with_it = rank(pattern, ctx, questions=False)
        without = rank(pattern, {k: v for k, v in ctx.items() if k != "conditions"}, questions=False)
        assert with_it.diagnoses[0].id == dx and without.rank_of(dx) > 3, (dx, without.rank_of(dx))
        lift = [e for e in with_it.get(dx).explanation if e["factor"] == "known_disease_prior"]
        assert len(lift) == 1 and lift[0]["log10_lr"] > 0 and lift[0]["source"]
    # a common cause gains no lift (its prior is already above the floor); an association that
    # is not the disease itself (malignancy -> osteosarcoma metastasis) gains none either
    d = rank("tumoral_glob", {"conditions": ["malignancy"]}, questions=False)
    assert not any(e["factor"] == "known_disease_prior" for e in d.get("metastatic_osteosarcoma").explanation)


def test_renal_failure_known_absent_counts_beside_known_laboratory_values():
    labs = {"phosphate_status": "high", "calcium_status": "normal"}
    base = _p(rank("tumoral_glob", labs, questions=False))
    absent = rank("tumoral_glob", {**labs, "renal_failure": False}, questions=False)
    assert _p(absent)["secondary_hyperparathyroidism"] < base["secondary_hyperparathyroidism"] / 5
    lines = [e for e in absent.get("secondary_hyperparathyroidism").explanation if e["factor"] == "renal_failure"]
    assert len(lines) == 1 and lines[0]["log10_lr"] < 0
    # without laboratory values the absence enters once, through the mineral status
    only = rank("tumoral_glob", {"renal_failure": False}, questions=False).get("secondary_hyperparathyroidism")
    assert [e["factor"] for e in only.explanation].count("renal_failure") == 0
    assert any(e["factor"] == "mineral_status" and e["log10_lr"] < 0 for e in only.explanation)
