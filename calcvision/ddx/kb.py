"""The knowledge base: YAML data files under calcvision/ddx/kb/, loaded, checked and compiled
into arrays for the engine.

Every number is a ``Number`` with a value, a grade (table_value | ordinal_mapped |
expert_estimate), a source (one of the five documents + table or section) and, for expert
estimates, the quoted sentence that motivates it. Words ("common", "<< 1 %", "suggests")
become numbers only through kb/ordinal.yaml. A malformed file raises KBError naming the
file, entry and key.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

import numpy as np
import yaml

from calcvision.ddx import vocab
from calcvision.patterns import CLASSES, NONE

KB_DIR = Path(__file__).with_name("kb")
GRADES = ("table_value", "ordinal_mapped", "expert_estimate")
TIERS = ("common", "uncommon", "rare_but_important")
MECHANISMS = ("metastatic", "dystrophic", "calcinosis", "crystal_deposition", "ossification",
              "vascular", "neoplastic")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class KBError(ValueError):
    """The knowledge-base data files are inconsistent (a bug in the data, not user input)."""


@dataclass(frozen=True)
class Citation:
    doc: str  # key in sources.yaml
    where: str  # table or section

    def text(self, sources: dict[str, dict]) -> str:
        return f"{sources[self.doc]['short']}, {self.where}"


@dataclass(frozen=True)
class Number:
    """One cited number of the knowledge base."""

    value: float
    grade: str
    source: Citation
    word: Optional[str] = None  # the document word mapped through ordinal.yaml
    quote: Optional[str] = None


@dataclass(frozen=True)
class Entry:
    """One diagnosis."""

    id: str
    name: str
    synonyms: tuple[str, ...]
    mechanism: str
    tier: str
    group: str
    mineral: str  # mineral profile (engine.yaml mineral_profiles)
    listed_in: tuple[Citation, ...]
    prior: Number  # within-group weight
    patterns: dict[str, Number]
    context: dict[tuple[str, str], Number]
    file: str


@dataclass
class KnowledgeBase:
    """All entries plus the compiled arrays the engine scores with (rows = entries)."""

    entries: list[Entry]
    sources: dict[str, dict]
    ordinal_version: int
    ordinal: dict[str, dict]  # scale -> word -> {value, source, quote}
    constants: dict[str, Number]
    groups: dict[str, Number]
    mineral_profiles: dict[str, dict[str, Number]]
    prior: np.ndarray = field(init=False)  # prior probability of each entry
    pattern: np.ndarray = field(init=False)  # P(class | entry), rows sum to 1
    pattern_ref: np.ndarray = field(init=False)  # prior-weighted mean over described entries
    remainder_prior: float = field(init=False)
    tables: dict[str, dict[str, np.ndarray]] = field(init=False)  # var -> value -> log10 LR
    cond_matrix: np.ndarray = field(init=False)  # (entries, conditions) log10 LR, NaN = unlisted
    known_lift: np.ndarray = field(init=False)  # log10 prior raise when the patient has the disease
    cond_listed: np.ndarray = field(init=False)  # entry lists a condition that raises it

    def __post_init__(self) -> None:
        self.index = {e.id: i for i, e in enumerate(self.entries)}
        self._compile()

    # ---- helpers ----------------------------------------------------------------------
    def cite(self, c: Citation) -> str:
        return c.text(self.sources)

    def clamp(self, log10_lr: float, kind: str = "context") -> float:
        lim = self.constants[f"clamp_log10_{kind}"].value
        return float(min(lim, max(-lim, log10_lr)))

    def all_numbers(self) -> list[tuple[str, Number]]:
        """Every number in the base with a label (for the source tests)."""
        out = [(f"engine.{k}", n) for k, n in self.constants.items()]
        out += [(f"groups.{k}", n) for k, n in self.groups.items()]
        out += [(f"mineral_profiles.{p}.{s}", n) for p, d in self.mineral_profiles.items()
                for s, n in d.items()]
        for e in self.entries:
            out.append((f"{e.id}.prior", e.prior))
            out += [(f"{e.id}.patterns.{k}", n) for k, n in e.patterns.items()]
            out += [(f"{e.id}.context.{v}={x}", n) for (v, x), n in e.context.items()]
        return out

    def context_number(self, i: int, var: str, value: Any) -> Optional[Number]:
        """The number behind entry i's LR for var=value (None when neutral)."""
        e = self.entries[i]
        if var == "conditions":
            hits = [e.context[("conditions", c)] for c in value if ("conditions", c) in e.context]
            if hits:
                return max(hits, key=lambda n: n.value)
            return self.constants["unlisted_value"] if self.cond_listed[i] else None
        if (var, value) in e.context:
            return e.context[(var, value)]
        if var == "mineral":
            return self.mineral_profiles.get(e.mineral, {}).get(value)
        if var == "renal_failure":  # known absent beside known laboratory values
            return self.mineral_profiles.get(e.mineral, {}).get("no_renal_failure")
        if var in vocab.CHARACTERISED and self._characterises(e, var):
            return self.constants["unlisted_value"]
        return None

    @staticmethod
    def _characterises(e: Entry, var: str) -> bool:
        """The entry lists at least one value of var that raises it (LR > 1)."""
        return any(v == var and n.value > 1 for (v, _), n in e.context.items())

    # ---- compilation ------------------------------------------------------------------
    def _compile(self) -> None:
        n = len(self.entries)
        remainder = self.constants["remainder_prior"].value
        share_total = sum(g.value for g in self.groups.values())
        weights = np.array([e.prior.value for e in self.entries])
        prior = np.zeros(n)
        for g, share in self.groups.items():
            members = [i for i, e in enumerate(self.entries) if e.group == g]
            if not members:
                raise KBError(f"prevalence group {g!r} has no entry")
            w = weights[members]
            prior[members] = (1 - remainder) * share.value / share_total * w / w.sum()
        self.prior, self.remainder_prior = prior, remainder

        p_none = self.constants["p_none_given_dx"].value
        floor = self.ordinal["pattern"]["not_described"]["value"]
        pat = np.full((n, len(CLASSES)), floor)
        none_i = CLASSES.index(NONE)
        for i, e in enumerate(self.entries):
            for cls, num in e.patterns.items():
                pat[i, CLASSES.index(cls)] = num.value
            pat[i, none_i] = 0.0
            pat[i] *= (1 - p_none) / pat[i].sum()
            pat[i, none_i] = p_none
        # a diagnosis whose morphology the documents do not describe gets the prior-weighted
        # mean of the described ones: its pattern term is then exactly 0 (not scored)
        described = np.array([bool(e.patterns) for e in self.entries])
        ref = prior[described] @ pat[described] / prior[described].sum()
        pat[~described] = ref
        self.pattern, self.pattern_ref = pat, ref

        unlisted = math.log10(self.constants["unlisted_value"].value)
        self.tables = {}
        for var, values in vocab.VARIABLES.items():
            if var == "conditions":
                continue
            self.tables[var] = {}
            for value in values:
                vec = np.zeros(n)
                for i, e in enumerate(self.entries):
                    num = self.context_number(i, var, value)
                    if num is not None:
                        vec[i] = self.clamp(math.log10(num.value))
                self.tables[var][value] = vec
        # a known disease lifts its own prior (engine.yaml known_disease_prior) on top of its LR
        self.known_lift = np.maximum(0.0, math.log10(self.constants["known_disease_prior"].value) - np.log10(prior))
        cm = np.full((n, len(vocab.CONDITIONS)), np.nan)
        for i, e in enumerate(self.entries):
            for j, c in enumerate(vocab.CONDITIONS):
                num = e.context.get(("conditions", c))
                if num is not None:
                    cm[i, j] = self.clamp(math.log10(num.value)) + self.known_lift[i] * (num.word == "known_disease")
        self.cond_matrix = cm
        self.cond_listed = np.array([self._characterises(e, "conditions") for e in self.entries])
        self._unlisted_log = unlisted

    def condition_loglr(self, present: frozenset) -> np.ndarray:
        """log10 LR of the known condition list: the strongest listed condition present (with
        the prior lift of a disease the patient is known to have), else the unlisted LR for
        entries that a listed condition raises (none present)."""
        if present:
            cols = [vocab.CONDITIONS.index(c) for c in present]
            sub = self.cond_matrix[:, cols]
            has = ~np.isnan(sub).all(axis=1)
            best = np.where(np.isnan(sub), -np.inf, sub).max(axis=1)
        else:
            has = np.zeros(len(self.entries), bool)
            best = np.zeros(len(self.entries))
        return np.where(has, best, np.where(self.cond_listed, self._unlisted_log, 0.0))


# ---- loading ----------------------------------------------------------------------------
def _read(path: Path) -> Any:
    with path.open(encoding="utf-8") as fh:
        return yaml.load(fh, Loader=_Loader)


def _citation(text: Any, sources: dict, where: str) -> Citation:
    if not isinstance(text, str) or ", " not in text:
        raise KBError(f"{where}: source must be '<document key>, <table or section>', got {text!r}")
    doc, loc = text.split(", ", 1)
    if doc not in sources or not loc.strip():
        raise KBError(f"{where}: unknown document {doc!r} or empty location in source {text!r}")
    return Citation(doc, loc.strip())


def _number(raw: Any, scale: Optional[str], sources: dict, where: str, ordinal: dict) -> Number:
    """[value, grade, source(, quote)] or {value, grade, source, quote} -> Number."""
    if isinstance(raw, dict):
        value, grade, src, quote = raw.get("value"), raw.get("grade"), raw.get("source"), raw.get("quote")
    elif isinstance(raw, list) and len(raw) in (3, 4):
        value, grade, src = raw[:3]
        quote = raw[3] if len(raw) == 4 else None
        if isinstance(src, list):  # [source, quote] shared through a YAML anchor
            src, quote = src
    else:
        raise KBError(f"{where}: a number must be [value, grade, source, quote?], got {raw!r}")
    if grade not in GRADES:
        raise KBError(f"{where}: grade must be one of {GRADES}, got {grade!r}")
    word = None
    if isinstance(value, str):
        table = ordinal.get(scale or "", {})
        if value not in table:
            raise KBError(f"{where}: word {value!r} is not in ordinal.yaml scale {scale!r}")
        if grade == "table_value":
            raise KBError(f"{where}: a mapped word cannot be graded table_value")
        word, value = value, table[value]["value"]
    elif not isinstance(value, (int, float, list)):
        raise KBError(f"{where}: value must be a number or an ordinal word, got {value!r}")
    elif grade == "ordinal_mapped":
        raise KBError(f"{where}: a plain number cannot be graded ordinal_mapped")
    if grade == "expert_estimate" and not quote:
        raise KBError(f"{where}: an expert_estimate must quote the sentence that motivates it")
    return Number(value=value, grade=grade, source=_citation(src, sources, where), word=word,
                  quote=quote)


def _entry(raw: dict, sources: dict, fname: str, ordinal: dict) -> Entry:
    eid = raw.get("id")
    where = f"{fname}:{eid}"
    need = {"id", "name", "synonyms", "mechanism", "tier", "group", "mineral", "listed_in",
            "prior", "patterns", "context"}
    raw = {"patterns": {}, "context": {}, **raw}
    if set(raw) != need:
        raise KBError(f"{where}: keys must be {sorted(need)}; extra {sorted(set(raw) - need)}, "
                      f"missing {sorted(need - set(raw))}")
    if raw["tier"] not in TIERS or raw["mechanism"] not in MECHANISMS:
        raise KBError(f"{where}: bad tier {raw['tier']!r} or mechanism {raw['mechanism']!r}")
    if not raw["listed_in"]:
        raise KBError(f"{where}: listed_in must cite where the documents name this entity")
    patterns = {}
    for cls, num in (raw["patterns"] or {}).items():
        if cls not in CLASSES or cls == NONE:
            raise KBError(f"{where}: unknown or non-scorable pattern {cls!r}")
        patterns[cls] = _number(num, "pattern", sources, f"{where}.patterns.{cls}", ordinal)
    context = {}
    for key, num in (raw["context"] or {}).items():
        var, _, value = key.partition("=")
        if var not in vocab.VARIABLES or value not in vocab.VARIABLES[var]:
            raise KBError(f"{where}: unknown context finding {key!r}")
        context[(var, value)] = _number(num, "association", sources, f"{where}.context.{key}", ordinal)
    return Entry(
        id=eid, name=raw["name"], synonyms=tuple(raw["synonyms"] or ()), mechanism=raw["mechanism"],
        tier=raw["tier"], group=raw["group"], mineral=raw["mineral"],
        listed_in=tuple(_citation(c, sources, f"{where}.listed_in") for c in raw["listed_in"]),
        prior=_number(raw["prior"], "prior", sources, f"{where}.prior", ordinal),
        patterns=patterns, context=context, file=fname)


@lru_cache(maxsize=4)
def load_kb(path: Optional[str] = None) -> KnowledgeBase:
    """Load and compile the knowledge base (cached; ``path`` = a kb folder for tests)."""
    root = Path(path) if path else KB_DIR
    sources = _read(root / "sources.yaml")["sources"]
    raw_ord = _read(root / "ordinal.yaml")
    ordinal = {k: v for k, v in raw_ord.items() if k != "version"}
    for scale, words in ordinal.items():
        for w, spec in words.items():
            # the mapping values themselves are cited expert choices
            _number([spec["value"], "expert_estimate", spec["source"], spec.get("quote")], None,
                    sources, f"ordinal.{scale}.{w}", ordinal)
    eng = _read(root / "engine.yaml")
    constants = {k: _number(v, None, sources, f"engine.{k}", ordinal) for k, v in eng.items()
                 if k not in ("groups", "mineral_profiles")}
    groups = {g: _number(v, "prevalence", sources, f"engine.groups.{g}", ordinal)
              for g, v in eng["groups"].items()}
    profiles: dict[str, dict[str, Number]] = {}
    for prof, states in eng["mineral_profiles"].items():
        profiles[prof] = {}
        for state, num in states.items():
            if state == "_source":
                continue
            if state not in vocab.MINERAL_STATES:
                raise KBError(f"engine.mineral_profiles.{prof}: unknown state {state!r}")
            profiles[prof][state] = _number(num, "association", sources,
                                            f"engine.mineral_profiles.{prof}.{state}", ordinal)
    entries, seen = [], {}
    for f in sorted((root / "entries").glob("*.yaml")):
        for raw in _read(f)["entries"]:
            e = _entry(raw, sources, f.name, ordinal)
            if e.id in seen:
                raise KBError(f"{f.name}: duplicate id {e.id!r} (also in {seen[e.id]})")
            if e.group not in groups or e.mineral not in profiles:
                raise KBError(f"{f.name}:{e.id}: unknown group {e.group!r} or mineral profile {e.mineral!r}")
            seen[e.id] = f.name
            entries.append(e)
    return KnowledgeBase(entries=entries, sources=sources, ordinal_version=int(raw_ord["version"]),
                         ordinal=ordinal, constants=constants, groups=groups, mineral_profiles=profiles)


def ordinal_table() -> dict[str, Any]:
    """The ordinal mapping of the shipped knowledge base (scale -> word -> {value, source, quote})."""
    return load_kb().ordinal
