"""Bayesian ranking of the differential diagnosis.

score(dx) = log10 prior(dx)
          + log10( sum_k p_k P(k | dx) / sum_k p_k P_ref(k) )       image evidence, clamped
          + sum over KNOWN findings of log10 LR(finding | dx)       context, each clamped

P_ref is the prior-weighted mean of P(k | dx), so the pattern term says how much better the
image fits dx than the average diagnosis. Probabilities are the normalised 10**score over
all entries plus an explicit remainder ("other cause outside the knowledge base") that has
its own prior and no likelihoods. Unknown findings contribute nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Sequence, Union

import numpy as np

from calcvision.ddx import vocab
from calcvision.ddx.context import Context, parse_context
from calcvision.ddx.findings import describe, findings
from calcvision.ddx.kb import KnowledgeBase, Number, load_kb
from calcvision.errors import InputError
from calcvision.patterns import CLASSES

REMAINDER_ID = "other_outside_knowledge_base"
REMAINDER_NAME = "Other cause outside the knowledge base"
Evidence = Union[str, Mapping[str, float], Sequence[float], np.ndarray]

# Answers simulated for each unknown field when choosing next questions.
_ANSWERS: dict[str, list[Any]] = {
    "age_years": [0.5, 8.0, 25.0, 50.0, 70.0],
    "sex": ["female", "male"],
    "site": list(vocab.SITES),
    "distribution": list(vocab.DISTRIBUTIONS),
    "limb_level": list(vocab.LIMB_LEVELS),
    "weeks_since_onset": [1.0, 4.0, 12.0, 40.0, 70.0],
    "calcium_mg_dl": [7.5, 9.5, 12.0],
    "phosphate_mg_dl": [2.0, 3.5, 7.0],
    **{b: [True, False] for b in vocab.BOOLEANS},
    "conditions": [()] + [(c,) for c in vocab.CONDITIONS],
}
_STATUS_OF = {"calcium_mg_dl": "calcium_status", "phosphate_mg_dl": "phosphate_status"}


@dataclass
class Diagnosis:
    """One ranked diagnosis with its explanation (signed log10 contributions, cited)."""

    id: str
    name: str
    synonyms: list[str]
    probability: float
    tier: str
    mechanism: str
    explanation: list[dict[str, Any]]
    sources: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "synonyms": self.synonyms,
                "probability": float(f"{self.probability:.4g}"), "tier": self.tier,
                "mechanism": self.mechanism, "explanation": self.explanation,
                "sources": self.sources}


@dataclass
class Differential:
    """The ranked differential for one image (sorted by probability, remainder included)."""

    pattern: str
    probs: dict[str, float]
    hard: bool
    diagnoses: list[Diagnosis]
    next_questions: list[dict[str, str]]
    kb_version: int
    context_used: dict[str, Any] = field(default_factory=dict)  # scored findings: variable -> value

    @property
    def top(self) -> Diagnosis:
        return self.diagnoses[0]

    @property
    def top_name(self) -> str:
        """Name of the leading diagnosis."""
        return self.diagnoses[0].name

    def get(self, dx_id: str) -> Diagnosis:
        return next(d for d in self.diagnoses if d.id == dx_id)

    def rank_of(self, dx_id: str) -> int:
        """1-based rank of a diagnosis id."""
        return next(i for i, d in enumerate(self.diagnoses, 1) if d.id == dx_id)

    def shown(self, top: Optional[int] = 10) -> list[Diagnosis]:
        """The first ``top`` diagnoses plus every rare_but_important one and the remainder."""
        if top is None or top <= 0:
            return list(self.diagnoses)
        return [d for i, d in enumerate(self.diagnoses)
                if i < top or d.tier == "rare_but_important" or d.id == REMAINDER_ID]

    def to_dict(self, top: Optional[int] = 10) -> dict[str, Any]:
        """The `calcvision ddx --json` object (interfaces.md); top=None lists every entry."""
        return {"pattern": self.pattern,
                "differential": [d.to_dict() for d in self.shown(top)],
                "next_questions": self.next_questions}

    def render(self, top: int = 10) -> str:
        from calcvision.ddx.render import render_table

        return render_table(self, top)


def parse_evidence(evidence: Evidence) -> tuple[np.ndarray, bool]:
    """(seven probabilities in calcvision.patterns order, hard?) from a pattern id, a
    {class: probability} mapping (missing classes 0) or a sequence of seven numbers."""
    if isinstance(evidence, str):
        if evidence not in CLASSES:
            raise InputError(f"--pattern: unknown pattern {evidence!r}; expected one of: {', '.join(CLASSES)}")
        p = np.zeros(len(CLASSES))
        p[CLASSES.index(evidence)] = 1.0
        return p, True
    if isinstance(evidence, Mapping):
        p = np.zeros(len(CLASSES))
        for k, v in evidence.items():
            if k not in CLASSES:
                raise InputError(f"--probs: unknown class {k!r}; expected among: {', '.join(CLASSES)}")
            p[CLASSES.index(k)] = _prob(v, k)
    else:
        vals = list(evidence)
        if len(vals) != len(CLASSES):
            raise InputError(f"--probs: expected {len(CLASSES)} probabilities, got {len(vals)}")
        p = np.array([_prob(v, c) for v, c in zip(vals, CLASSES)])
    total = p.sum()
    if total <= 0 or total > 1.01:
        raise InputError(f"--probs: probabilities must sum to a value in (0, 1], got {total:.3g}")
    return p / total, False


def _prob(v: Any, name: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)):
        raise InputError(f"--probs: probability of {name!r} must be a number, got {v!r}")
    if not (math.isfinite(float(v)) and 0.0 <= float(v) <= 1.0):
        raise InputError(f"--probs: probability of {name!r} must be within 0-1, got {v!r}")
    return float(v)


def context_terms(kb: KnowledgeBase, found: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """log10 LR vector over entries for each known finding."""
    out = {}
    for var, value in found.items():
        out[var] = kb.condition_loglr(value) if var == "conditions" else kb.tables[var][value]
    return out


def _total(kb: KnowledgeBase, found: Mapping[str, Any]) -> np.ndarray:
    terms = context_terms(kb, found)
    return sum(terms.values(), np.zeros(len(kb.entries)))


def _softmax10(scores: np.ndarray) -> np.ndarray:
    z = np.power(10.0, scores - scores.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def rank(evidence: Evidence, context: Union[Context, Mapping[str, Any], None] = None, *,
         kb: Optional[KnowledgeBase] = None, questions: bool = True) -> Differential:
    """Rank every diagnosis of the knowledge base for this image evidence and context."""
    kb = kb or load_kb()
    p, hard = parse_evidence(evidence)
    ctx = context if isinstance(context, Context) else parse_context(context, "context")
    raw = ctx.model_dump()
    found = findings(raw)
    terms = context_terms(kb, found)
    ctx_total = sum(terms.values(), np.zeros(len(kb.entries)))
    lim = kb.constants["clamp_log10_pattern"].value
    pat = np.clip(np.log10((kb.pattern @ p) / (kb.pattern_ref @ p)), -lim, lim)
    scores = np.append(np.log10(kb.prior) + pat + ctx_total, math.log10(kb.remainder_prior))
    post = _softmax10(scores)
    pattern_id = CLASSES[int(np.argmax(p))]
    dx = [_diagnosis(kb, i, post[i], p, hard, pat[i], terms, found, raw) for i in range(len(kb.entries))]
    dx.append(_remainder(kb, post[-1]))
    dx.sort(key=lambda d: -d.probability)
    nq = _next_questions(kb, raw, scores, ctx_total, post) if questions else []
    return Differential(pattern=pattern_id, probs=dict(zip(CLASSES, p.round(6).tolist())), hard=hard,
                        diagnoses=dx, next_questions=nq, kb_version=kb.ordinal_version,
                        context_used=dict(found))


def _src(kb: KnowledgeBase, num: Number) -> str:
    return kb.cite(num.source)


def _diagnosis(kb: KnowledgeBase, i: int, prob: float, p: np.ndarray, hard: bool, pat: float,
               terms: Mapping[str, np.ndarray], found: Mapping[str, Any], raw: Mapping[str, Any]) -> Diagnosis:
    e = kb.entries[i]
    prior = float(kb.prior[i])
    group = kb.groups[e.group]
    word = f"'{e.prior.word}'" if e.prior.word else f"{e.prior.value:g}"
    expl = [{"factor": "prior",
             "value": f"{prior:.3g} ({e.group} group {group.word or group.value}, within-group weight {word})",
             "log10_lr": round(math.log10(prior / (1 - prior)), 3),
             "source": f"{_src(kb, group)}; {_src(kb, e.prior)}"}]
    cls = CLASSES[int(np.argmax(p))]
    num = e.patterns.get(cls)
    value = cls if hard else ", ".join(f"{c} {v:.2f}" for c, v in zip(CLASSES, p) if v >= 0.01)
    if cls == "none":
        src = _src(kb, kb.constants["p_none_given_dx"]) + " (no calcification: uninformative)"
    elif num is not None:
        src = f"{_src(kb, num)} ({cls}: {num.word or num.value})"
    else:
        src = f"not described for this diagnosis in the documents (ordinal 'not_described' for {cls})"
    expl.append({"factor": "pattern", "value": value, "log10_lr": round(float(pat), 3), "source": src})
    ctx_lines = []
    for var, vec in terms.items():
        lr = float(vec[i])
        if abs(lr) < 1e-9:
            continue
        factor, text = describe(var, found[var], raw)
        cited = kb.context_number(i, var, found[var])
        if cited is kb.constants["unlisted_value"]:
            text += " (not among the values the documents give for this diagnosis)"
        elif var == "conditions" and cited is not None and cited.word == "known_disease" and kb.known_lift[i] > 0:
            lift, floor = float(kb.known_lift[i]), kb.constants["known_disease_prior"]
            lr -= lift  # shown apart: the prior lift is not a likelihood ratio (and is not clamped)
            ctx_lines.append({"factor": "known_disease_prior", "log10_lr": round(lift, 3),
                              "value": f"{text} known: prior {kb.prior[i]:.2g} raised to {floor.value:g}",
                              "source": _src(kb, floor)})
        ctx_lines.append({"factor": factor, "value": text, "log10_lr": round(lr, 3),
                          "source": _src(kb, cited) if cited else ""})
    ctx_lines.sort(key=lambda d: -abs(d["log10_lr"]))
    return Diagnosis(id=e.id, name=e.name, synonyms=list(e.synonyms), probability=float(prob),
                     tier=e.tier, mechanism=e.mechanism, explanation=expl + ctx_lines,
                     sources=list(dict.fromkeys(kb.cite(c) for c in e.listed_in)))


def _remainder(kb: KnowledgeBase, prob: float) -> Diagnosis:
    r = kb.constants["remainder_prior"]
    return Diagnosis(id=REMAINDER_ID, name=REMAINDER_NAME, synonyms=[], probability=float(prob),
                     tier="uncommon", mechanism="unknown",
                     explanation=[{"factor": "prior", "value": f"{r.value:g} (remainder)",
                                   "log10_lr": round(math.log10(r.value / (1 - r.value)), 3),
                                   "source": _src(kb, r)}],
                     sources=[_src(kb, r)])


def _unknown(raw: Mapping[str, Any], name: str) -> bool:
    return raw.get(name) is None and (name not in _STATUS_OF or raw.get(_STATUS_OF[name]) is None)


def _next_questions(kb: KnowledgeBase, raw: Mapping[str, Any], scores: np.ndarray,
                    ctx_total: np.ndarray, post: np.ndarray, n: int = 5) -> list[dict[str, str]]:
    """Unknown fields ranked by expected information gain about the diagnosis.

    Proxy likelihood of an answer v under diagnosis d: q(v|d) = LR(v|d) / sum_v' LR(v'|d)
    (the knowledge base's LRs with a uniform base rate over the simulated answers). The gain
    is the mutual information between the diagnosis (current posterior, remainder included)
    and the answer.
    """
    top = int(np.argmax(post))
    out = []
    for name, answers in _ANSWERS.items():
        if not _unknown(raw, name):
            continue
        delta = np.array([np.append(_total(kb, findings({**raw, name: a})) - ctx_total, 0.0)
                          for a in answers])
        q = np.power(10.0, delta - delta.max(axis=0))
        q /= q.sum(axis=0)
        pv = q @ post
        with np.errstate(divide="ignore", invalid="ignore"):
            gain = float(np.nansum(post * q * np.log2(q / pv[:, None])))
        if gain < 0.01:
            continue
        post_v = _softmax10(scores[None, :] + delta)
        leaders = post_v.argmax(axis=1)
        changed = [j for j in range(len(answers)) if leaders[j] != top]
        j = max(changed, key=lambda j: pv[j]) if changed else int(np.argmax(np.abs(post_v[:, top] - post[top])))
        who = REMAINDER_NAME if leaders[j] == len(kb.entries) else kb.entries[leaders[j]].name
        ans = answers[j]
        ans = (", ".join(ans) or "none known") if isinstance(ans, tuple) else str(ans).lower()
        why = (f"expected information gain {gain:.2f} bit; if {name} = {ans}: "
               f"{who} {'would lead' if changed else 'would go to'} ({post_v[j, leaders[j]]:.0%})")
        out.append((gain, {"field": name, "why": why}))
    out.sort(key=lambda t: -t[0])
    return [d for _, d in out[:n]]
