"""Turn a validated Context into the findings the knowledge base scores.

Only known fields give findings (unknown = absent from the result, never 'normal').
Calcium, phosphate, their product, renal failure and dialysis become ONE finding,
``mineral``, so that correlated laboratory facts are not counted twice.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from calcvision.ddx import vocab
from calcvision.ddx.context import CA_NORMAL_MG, P_NORMAL_MG, PRODUCT_THRESHOLD, level

# context field -> finding variable, for the fields that map one to one
_DIRECT = ("sex", "site", "distribution", "limb_level")


def mineral_state(ctx: Mapping[str, Any]) -> Optional[str]:
    """The single mineral-status state (vocab.MINERAL_STATES) or None when nothing is known.

    Order of precedence: renal failure / dialysis; Ca x P product > 75 mg^2/dL^2; high
    calcium; low calcium with high phosphate; high phosphate; low calcium; normal values.
    """
    ca_mg, p_mg = ctx.get("calcium_mg_dl"), ctx.get("phosphate_mg_dl")
    ca = level(ca_mg, *CA_NORMAL_MG) or ctx.get("calcium_status")
    p = level(p_mg, *P_NORMAL_MG) or ctx.get("phosphate_status")
    raised = ca_mg is not None and p_mg is not None and ca_mg * p_mg > PRODUCT_THRESHOLD
    if ctx.get("renal_failure") or ctx.get("dialysis"):
        return "renal_high_phosphate" if (p == "high" or raised) else "renal"
    if raised:
        return "raised_product_high_calcium" if ca == "high" else "raised_product_high_phosphate"
    if ca == "high":
        return "high_calcium"
    if ca == "low" and p == "high":
        return "low_calcium_high_phosphate"
    if p == "high":
        return "high_phosphate"
    if ca == "low":
        return "low_calcium"
    if ca == "normal" and p in ("normal", "low"):
        return "normal"
    if ca == "normal":
        return "normal_calcium"
    if p in ("normal", "low"):
        return "normal_phosphate"
    if ctx.get("renal_failure") is False:
        return "no_renal_failure"
    return None


def findings(ctx: Mapping[str, Any]) -> dict[str, Any]:
    """Known findings as {variable: value}; `conditions` maps to a frozenset of ids."""
    out: dict[str, Any] = {}
    state = mineral_state(ctx)
    if state is not None:
        out["mineral"] = state
    if ctx.get("renal_failure") is False and not ctx.get("dialysis") and state != "no_renal_failure":
        out["renal_failure"] = "false"  # the labs set the state; the absent cause still counts
    if ctx.get("age_years") is not None:
        out["age"] = vocab.band(ctx["age_years"], vocab.AGE_BANDS)
    if ctx.get("weeks_since_onset") is not None:
        out["weeks_since_onset"] = vocab.band(ctx["weeks_since_onset"], vocab.WEEK_BANDS)
    for name in _DIRECT:
        if ctx.get(name) is not None:
            out[name] = ctx[name]
    for name in vocab.BOOLEANS:
        if name in ("renal_failure", "dialysis") or ctx.get(name) is None:
            continue
        out[name] = "true" if ctx[name] else "false"
    if ctx.get("conditions") is not None:
        out["conditions"] = frozenset(ctx["conditions"])
    return out


def describe(var: str, value: Any, ctx: Mapping[str, Any]) -> tuple[str, str]:
    """(factor, value text) for an explanation line: context field names and given values."""
    if var == "mineral":
        parts = []
        for key, unit in (("calcium_mg_dl", "mg/dL"), ("phosphate_mg_dl", "mg/dL")):
            if ctx.get(key) is not None:
                parts.append(f"{key.split('_')[0]} {ctx[key]:.3g} {unit}")
            elif ctx.get(key.split("_")[0] + "_status"):
                parts.append(f"{key.split('_')[0]} {ctx[key.split('_')[0] + '_status']}")
        if ctx.get("calcium_mg_dl") is not None and ctx.get("phosphate_mg_dl") is not None:
            parts.append(f"Ca x P {ctx['calcium_mg_dl'] * ctx['phosphate_mg_dl']:.0f} mg2/dL2")
        for key in ("renal_failure", "dialysis"):
            if ctx.get(key) is not None:
                parts.append(f"{key}={str(ctx[key]).lower()}")
        return "mineral_status", f"{value} ({', '.join(parts)})"
    if var == "age":
        return "age_years", f"{ctx.get('age_years'):g} ({value})"
    if var == "weeks_since_onset":
        return "weeks_since_onset", f"{ctx.get('weeks_since_onset'):g} ({value})"
    if var == "conditions":
        return "conditions", ", ".join(sorted(value)) if value else "none known"
    return var, str(value)
