"""Readable text table of a Differential (the default output of `calcvision ddx`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from calcvision import NOT_FOR_CLINICAL_USE

if TYPE_CHECKING:
    from calcvision.ddx.engine import Differential


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _prob(p: float) -> str:
    return f"{p:6.3f}" if p >= 0.001 else f"{p:6.0e}"


def _reasons(expl: list[dict], sign: int, k: int = 3) -> str:
    lines = [e for e in expl if e["factor"] != "prior" and sign * e["log10_lr"] > 0.05]
    lines.sort(key=lambda e: -abs(e["log10_lr"]))
    return "; ".join(f"{e['factor']}={_short(str(e['value']), 28)} {e['log10_lr']:+.2f}" for e in lines[:k])


def render_table(diff: "Differential", top: int = 10) -> str:
    """Ranked table, evidence for/against the leaders, rare-but-important, next questions."""
    kind = "pattern" if diff.hard else "probabilities"
    head = diff.pattern if diff.hard else ", ".join(f"{c} {v:.2f}" for c, v in diff.probs.items() if v >= 0.01)
    out = [f"Differential diagnosis  ({kind}: {head}; knowledge base ordinal mapping v{diff.kb_version})",
           f"{'#':>3}  {'prob':>6}  {'diagnosis':<58} {'tier':<18} evidence for (log10 LR)"]
    shown = diff.shown(top)
    for d in shown:
        if d.tier == "rare_but_important" and diff.rank_of(d.id) > top:
            continue
        out.append(f"{diff.rank_of(d.id):>3}  {_prob(d.probability)}  {_short(d.name, 58):<58} "
                   f"{d.tier:<18} {_reasons(d.explanation, +1)}")
    out.append("")
    out.append("Evidence against the leading diagnoses:")
    for d in diff.diagnoses[:3]:
        out.append(f"  {_short(d.name, 50)}: {_reasons(d.explanation, -1) or 'none'}")
    rare = [d for d in diff.diagnoses if d.tier == "rare_but_important"]
    out.append("Rare but important (always listed): " + "; ".join(
        f"{d.name} {_prob(d.probability).strip()} (#{diff.rank_of(d.id)})" for d in rare))
    if diff.next_questions:
        out.append("Next questions (unknown fields that would most change the ranking):")
        out += [f"  {q['field']}: {q['why']}" for q in diff.next_questions]
    out.append("Sources: cited per diagnosis with --json. " + NOT_FOR_CLINICAL_USE)
    return "\n".join(out)
