"""The knowledge base covers the documents and cites them for every entry and number."""

import math

import pytest
import yaml

import ddx_seeds
from calcvision.ddx.kb import GRADES, KB_DIR, load_kb, ordinal_table
from calcvision.patterns import CLASSES

KB = load_kb()
DOCS = {"connor", "uw", "dalinka", "slides", "melaki"}

# Dalinka & Melchior Table I, every entry: (location code, word that must be in the entry's
# name or synonyms).
TABLE_I = [
    ("Table I A.I.a", "primary hyperparathyroidism"),
    ("Table I A.I.b", "milk"),
    ("Table I A.I.c", "vitamin d"),
    ("Table I A.I.d", "sarcoid"),
    ("Table I A.I.d", "malignancy"),
    ("Table I A.I.d", "paget"),
    ("Table I A.II.a", "secondary hyperparathyroidism"),
    ("Table I A.II.b", "tumoral calcinosis"),
    ("Table I A.II.c", "familial"),
    ("Table I B.I.a", "scleroderma"),
    ("Table I B.I.b", "mixed connective tissue"),
    ("Table I B.I.c", "dermatomyositis"),
    ("Table I B.I.d", "lupus"),
    ("Table I B.II.a.1", "gout"),
    ("Table I B.II.a.2", "pyrophosphate"),
    ("Table I B.II.a.3", "hydroxyapatite"),
    ("Table I B.II.b.1", "pseudopseudohypoparathyroidism"),
    ("Table I B.II.b.2", "werner"),
    ("Table I B.III.a", "cysticercosis"),
    ("Table I B.III.b", "loa loa"),
    ("Table I B.III.c", "dracunculosis"),
    ("Table I B.III.d", "leprosy"),
    ("Table I B.IV.a", "arterial"),
    ("Table I B.IV.b", "phlebolith"),
    ("Table I B.V.a", "injection"),
    ("Table I B.V.b", "calcium gluconate"),
    ("Table I B.VI.a", "fat necrosis"),
    ("Table I B.VI.b", "ehlers"),
    ("Table I B.VI.c", "pseudoxanthoma"),
    ("Table I B.VII.a", "myositis ossificans progressiva"),
    ("Table I B.VII.b", "myositis ossificans circumscripta"),
    ("Table I B.VII.c", "heterotopic ossification"),
]
# Dalinka & Melchior Table II (associations of CPPD), every entry.
TABLE_II = [
    ("Table II A.1", "hyperparathyroidism"),
    ("Table II A.2", "wilson"),
    ("Table II A.3", "hemochromatosis"),
    ("Table II A.4", "acromegaly"),
    ("Table II A.5", "ochronosis"),
    ("Table II A.6", "hypophosphatasia"),
    ("Table II B", "familial"),
    ("Table II C", "pseudogout"),
    ("Table II D.a", "ageing"),
    ("Table II D.b", "gout"),
    ("Table II D.c", "scleroderma"),
    ("Table II D.c", "dermatomyositis"),
    ("Table II D.c", "lupus"),
    ("Table II D.d", "hemophilia"),
    ("Table II D.e", "osteoarthritis"),
]
# Entities the other documents name (and the remaining slide-deck lists): each must be an
# entry's name or synonym.
OTHER_ENTITIES = {
    "uw": ["dystrophic calcification", "cppd", "tumoral calcinosis", "metastatic osteosarcoma",
           "primary soft tissue osteosarcoma", "venous insufficiency", "cysticercosis",
           "dracunculiasis", "armillifer", "osteoma", "tumour necrosis", "vitamin d",
           "dermatomyositis", "scleroderma", "heterotopic ossification", "injection granuloma",
           "phlebolith", "hemangioma", "crest", "calcific tendinitis", "renal osteodystrophy",
           "milk-alkali", "sarcoid", "myositis ossificans congenita universalis", "dish",
           "ankylosing spondylitis"],
    "slides": ["post-operative heterotopic ossification", "scars", "rider's bone", "fencer's bone",
               "dancer's bone", "pellegrini-stieda", "coracoclavicular", "achilles",
               "supraspinatus", "eagle syndrome", "burns", "paraplegi", "head injury",
               "parosteal osteosarcoma", "liposarcoma", "florid reactive periostitis",
               "pseudomalignant osseous tumour", "cortical desmoid", "extraskeletal osteosarcoma",
               "juxtacortical chondroma", "fibrodysplasia ossificans progressiva",
               "fibrositis ossificans progressiva", "melorheostosis", "osteoma cutis",
               "hypoparathyroidism", "hypervitaminosis d", "myeloma", "leukaemia",
               "idiopathic tumoral calcinosis", "calcinosis universalis", "calcinosis circumscripta",
               "raynaud", "synovial sarcoma", "atheroma", "aneurysm", "diabetic", "progeria",
               "werner", "leprosy", "neurofibromatosis", "ochronosis", "fluorosis", "bismuth",
               "arsenic", "quinidine", "guinea worm", "loa loa", "venous stasis", "spherule",
               "alkaptonuria", "thermal", "endocrine", "perichondritis", "degenerative spondylosis",
               "juvenile chronic arthritis", "transient disc calcification", "immobilization",
               "following spinal fusion", "albright", "haemochromatosis", "mctd"],
    "melaki": ["hyperparathyroidism", "malignancy", "hypervitaminosis d", "milk-alkali",
               "venous insufficiency", "granulomatous infection", "cysticercosis", "osteosarcoma",
               "synovial sarcoma", "tumour necrosis", "scleroderma", "dermatomyositis", "crest",
               "heterotopic ossification", "injection granuloma", "sle", "calcinosis universalis",
               "calcinosis circumscripta", "tumoral calcinosis"],
    "connor": ["tumoral calcinosis", "fibrodysplasia ossificans progressiva", "myositis ossificans",
               "scleroderma", "dermatomyositis", "systemic lupus erythematosus", "calcinosis cutis",
               "fat necrosis", "guinea worm", "rhabdomyolysis", "posterior longitudinal ligament",
               "calcium gluconate", "pinna", "costal cartilage", "juxtacortical osteosarcoma",
               "synovial sarcoma", "hemophilia", "seamstress", "blocker", "traumatic calcinosis"],
}


def _names(e):
    return " | ".join((e.name, e.id.replace("_", " "), *e.synonyms)).lower()


def _all_names():
    return " || ".join(_names(e) for e in KB.entries)


@pytest.mark.parametrize("code,word", TABLE_I + TABLE_II)
def test_every_table_entry_of_dalinka_is_an_entry(code, word):
    hits = [e for e in KB.entries
            if any(c.doc == "dalinka" and (c.where == code or c.where.startswith(code + " ")) for c in e.listed_in)]
    assert hits, f"no entry lists Dalinka & Melchior {code}"
    assert any(word in _names(e) for e in hits), f"{code}: {[e.id for e in hits]} do not name {word!r}"


@pytest.mark.parametrize("doc", sorted(OTHER_ENTITIES))
def test_entities_of_the_other_documents_are_present(doc):
    names = _all_names()
    missing = [w for w in OTHER_ENTITIES[doc] if w not in names]
    assert not missing, f"{doc}: no entry names {missing}"


def test_every_entry_cites_a_document_and_has_the_required_fields():
    assert len(KB.entries) >= 80
    for e in KB.entries:
        assert e.id and e.name and e.mechanism and e.tier and e.listed_in, e.id
        for c in e.listed_in:
            assert c.doc in DOCS and c.where.strip(), (e.id, c)
        assert set(e.patterns) <= set(CLASSES) - {"none"}


def test_every_number_has_a_source_naming_a_document_and_a_location_and_a_grade():
    numbers = KB.all_numbers()
    assert len(numbers) > 500
    for label, n in numbers:
        assert n.grade in GRADES, label
        assert n.source.doc in DOCS and len(n.source.where) > 2, label
        assert n.grade != "expert_estimate" or n.quote, f"{label}: expert estimate without a quote"
        values = n.value if isinstance(n.value, list) else [n.value]
        assert all(isinstance(v, (int, float)) and math.isfinite(v) for v in values), label
        if n.grade == "ordinal_mapped":
            assert n.word is not None, f"{label}: ordinal_mapped must come from a word of ordinal.yaml"


def test_words_become_numbers_only_through_the_versioned_ordinal_table():
    raw = yaml.safe_load((KB_DIR / "ordinal.yaml").read_text())
    assert isinstance(raw["version"], int)
    table = ordinal_table()
    for label, n in KB.all_numbers():
        if n.word is not None:
            scales = [s for s in table.values() if n.word in s]
            assert scales and any(s[n.word]["value"] == n.value for s in scales), label
    for scale in table.values():
        for word, spec in scale.items():
            assert spec["source"].split(", ")[0] in DOCS and spec["quote"], word


def test_every_diagnosis_has_a_probability_distribution_over_the_seven_patterns():
    assert KB.pattern.shape == (len(KB.entries), len(CLASSES))
    assert abs(KB.pattern.sum(axis=1) - 1).max() < 1e-9
    assert abs(KB.prior.sum() + KB.remainder_prior - 1) < 1e-9
    assert (KB.prior > 0).all()


def test_prevalence_groups_follow_the_uw_table():
    share = {g: sum(KB.prior[i] for i, e in enumerate(KB.entries) if e.group == g) for g in KB.groups}
    assert share["dystrophic"] > 0.9
    assert share["dystrophic"] > share["cppd"] > share["tumoral_calcinosis"] > \
        share["metastatic_osteosarcoma"] > share["primary_osteosarcoma"]
    assert abs(share["cppd"] - share["metastatic"]) < 1e-9


@pytest.mark.skipif(not ddx_seeds.available(), reason="source documents not found (CALCVISION_SEEDS)")
def test_every_quote_is_verbatim_in_the_cited_document():
    bad = [(label, n.source.doc, n.quote) for label, n in KB.all_numbers()
           if n.quote and not ddx_seeds.quoted(n.source.doc, n.quote)]
    for scale, words in ordinal_table().items():
        for word, spec in words.items():
            doc = spec["source"].split(", ")[0]
            if not ddx_seeds.quoted(doc, spec["quote"]):
                bad.append((f"ordinal.{scale}.{word}", doc, spec["quote"]))
    assert not bad, bad[:5]


@pytest.mark.parametrize("old,new,needle", [
    ('prior: [rare, expert_estimate, "dalinka, Leprosy", ', 'prior: [rare, expert_estimate, "Leprosy", ', "source must be"),
    ('prior: [rare, expert_estimate, "dalinka, Leprosy", ', 'prior: [rare, expert_estimate, "wikipedia, Leprosy", ', "unknown document"),
    ('prior: [rare, expert_estimate, "dalinka, Leprosy", ', 'prior: [rare, guess, "dalinka, Leprosy", ', "grade"),
    ('prior: [rare, expert_estimate, "dalinka, Leprosy", ', 'prior: [sometimes, ordinal_mapped, "dalinka, Leprosy", ', "not in ordinal.yaml"),
    ('site=nerve: [suggests, ordinal_mapped,', 'site=nerve: [12, ordinal_mapped,', "cannot be graded ordinal_mapped"),
    ('site=nerve: [suggests, ordinal_mapped,', 'site=nerve: [suggests, expert_estimate,', None),
    ('site=nerve: [suggests,', 'site=nerves: [suggests,', "unknown context finding"),
])
def test_the_loader_rejects_uncited_or_unmapped_numbers(tmp_path, old, new, needle):
    import shutil

    from calcvision.ddx.kb import KBError

    kb_dir = tmp_path / "kb"
    shutil.copytree(KB_DIR, kb_dir)
    f = kb_dir / "entries" / "infestation.yaml"
    text = f.read_text()
    assert old in text
    f.write_text(text.replace(old, new, 1))
    if needle is None:  # an expert estimate with its quote is accepted
        assert load_kb(str(kb_dir)).entries
        return
    with pytest.raises(KBError, match=needle):
        load_kb(str(kb_dir))


def test_an_expert_estimate_without_its_quote_is_rejected(tmp_path):
    import shutil

    from calcvision.ddx.kb import KBError

    kb_dir = tmp_path / "kb"
    shutil.copytree(KB_DIR, kb_dir)
    f = kb_dir / "entries" / "infestation.yaml"
    text = f.read_text()
    line = next(ln for ln in text.splitlines() if ln.startswith("  prior: [rare, expert_estimate"))
    f.write_text(text.replace(line, line.rsplit(", \"", 1)[0] + "]", 1))
    with pytest.raises(KBError, match="must quote"):
        load_kb(str(kb_dir))


# The verbatim item names of Dalinka & Melchior Tables I and II (the generic headings
# Miscellaneous, Familial, Arterial, Venous, Age and Collagen vascular disease left out).
TABLE_ITEM_NAMES = [
    "Primary hyperparathyroidism", "Milk alkali syndrome", "Vitamin D intoxication",
    "Secondary hyperparathyroidism", "Tumoral calcinosis", "Scleroderma",
    "Mixed connective tissue disease", "Dermatomyositis", "Systemic lupus erythematosus", "Gout",
    "Calcium pyrophosphate deposition disease", "Hydroxyapatite deposition disease",
    "Pseudo and pseudo pseudohypoparathyroidism", "Werner's syndrome", "Cystercercosis", "Loa loa",
    "Dracunculosis", "Leprosy", "Intramuscular injections", "Calcium gluconate", "Fat necrosis",
    "Ehlers-Danlos syndrome", "Pseudoxanthoma elasticum", "Myositis ossificans progressiva",
    "Myositis ossificans circumscripta", "Following central nervous system trauma",
    "Wilson's disease", "Hemochromatosis", "Acromegaly", "Ochronosis", "Hypophosphatasia",
    "Hemophilia", "Osteoarthritis",
]


@pytest.mark.parametrize("name", TABLE_ITEM_NAMES)
def test_every_table_item_name_is_an_entry_name_or_synonym(name):
    assert ddx_seeds.entries_named(KB, [name]), f"{name!r} is no entry's id, name or synonym"
