"""Allowed values of the clinical-context fields (shared/spec/context.md) and of the derived
findings the knowledge base refers to. Pure data, no logic beyond banding."""

from __future__ import annotations

from typing import Final

SEXES: Final = ("female", "male", "other")
STATUSES: Final = ("low", "normal", "high")
SITES: Final = (
    "periarticular", "intra_articular", "articular_cartilage", "tendon_bursa", "fingertips",
    "muscle", "subcutaneous", "interfascial", "intervertebral_disc", "pinna", "vascular",
    "nerve", "pelvis", "buttock", "other",
)
DISTRIBUTIONS: Final = ("localized", "multifocal", "generalized")
LIMB_LEVELS: Final = ("proximal", "distal")
CONDITIONS: Final = (
    "scleroderma", "crest", "dermatomyositis", "sle", "mctd", "hyperparathyroidism",
    "hypoparathyroidism", "pseudohypoparathyroidism", "sarcoidosis", "malignancy", "myeloma",
    "milk_alkali", "vitamin_d_excess", "gout", "diabetes", "venous_insufficiency", "hemophilia",
    "ehlers_danlos", "pseudoxanthoma_elasticum", "hemochromatosis", "wilson_disease",
    "acromegaly", "ochronosis", "hypophosphatasia", "osteoarthritis", "ankylosing_spondylitis",
    "dish", "werner_syndrome", "leprosy", "fibrodysplasia_ossificans_progressiva",
)
# Boolean findings; renal_failure and dialysis enter through the mineral-status finding (and
# renal failure known absent beside known laboratory values as the `renal_failure` finding).
BOOLEANS: Final = (
    "renal_failure", "dialysis", "trauma", "surgery", "burns", "paraplegia", "head_injury",
    "injections", "calcium_gluconate", "tumor_treated", "family_history", "endemic_exposure",
    "raynaud", "joint_pain_acute",
)
MINERAL_FIELDS: Final = ("calcium_mg_dl", "calcium_mmol_l", "phosphate_mg_dl", "phosphate_mmol_l",
                         "calcium_status", "phosphate_status", "renal_failure", "dialysis")

# Derived bands (upper bounds exclusive), in years and weeks.
AGE_BANDS: Final = (("infant", 1.0), ("child", 18.0), ("young_adult", 40.0), ("middle", 60.0),
                    ("older", float("inf")))
WEEK_BANDS: Final = (("under_2", 2.0), ("weeks_2_6", 6.0), ("weeks_6_26", 26.0),
                     ("weeks_26_52", 52.0), ("over_52", float("inf")))

# The single mineral-status finding (see findings.mineral_state).
MINERAL_STATES: Final = (
    "renal_high_phosphate", "renal", "raised_product_high_calcium", "raised_product_high_phosphate",
    "high_calcium", "low_calcium_high_phosphate", "high_phosphate", "low_calcium", "normal",
    "normal_calcium", "normal_phosphate", "no_renal_failure",
)

# Finding variables the knowledge base may use as `var=value`, with their values.
VARIABLES: Final[dict[str, tuple[str, ...]]] = {
    "mineral": MINERAL_STATES,
    "age": tuple(b for b, _ in AGE_BANDS),
    "sex": SEXES,
    "site": SITES,
    "distribution": DISTRIBUTIONS,
    "limb_level": LIMB_LEVELS,
    "weeks_since_onset": tuple(b for b, _ in WEEK_BANDS),
    "conditions": CONDITIONS,
    # renal failure known absent while the mineral state comes from the laboratory values;
    # scored through the mineral profiles' `no_renal_failure` (findings.findings)
    "renal_failure": ("false",),
    **{b: ("true", "false") for b in BOOLEANS if b not in ("renal_failure", "dialysis")},
}
# Variables where a value the documents do not list for a diagnosis (that lists at least one
# value raising it) counts mildly against it (engine.yaml `unlisted_value`).
CHARACTERISED: Final = frozenset({"site", "distribution", "limb_level", "age", "weeks_since_onset",
                                  "conditions"})


def band(value: float, bands: tuple[tuple[str, float], ...]) -> str:
    """Name of the band holding ``value`` (bands given as (name, exclusive upper bound))."""
    for name, upper in bands:
        if value < upper:
            return name
    return bands[-1][0]
