"""Access to the five source documents for the ddx tests (quotes must be verbatim).

The documents are not part of the repository; they live in ``shared/seeds`` beside the
checkout (as in CI) or wherever CALCVISION_SEEDS points. Tests that need them are skipped when
the folder is absent, except under CI (env CI set), where their absence is a failure.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

SEEDS = Path(os.environ.get("CALCVISION_SEEDS", Path(__file__).resolve().parents[2] / "shared" / "seeds"))
FILES = {  # document key in calcvision/ddx/kb/sources.yaml -> file in the seeds folder
    "connor": "000_b21cb3e2ce2496b0.txt",
    "uw": "001_d49bf4de922d9fd4.txt",
    "dalinka": "002_699250e1bb08ea85.txt",
    "slides": "003_0218c6dea18b98ae.txt",
    "melaki": "004_4affce74ed1ee5bb.txt",
}


def available() -> bool:
    found = all((SEEDS / f).is_file() for f in FILES.values())
    if not found and os.environ.get("CI"):
        raise RuntimeError(f"source documents not found in {SEEDS}: required under CI")
    return found


def normalise(text: str) -> str:
    """Drop superscript reference numbers and markdown emphasis, unify quotes and spaces."""
    text = re.sub(r"<sup>.*?</sup>", "", text)
    text = text.replace("*", "").replace("“", '"').replace("”", '"').replace("’", "'").replace("‘", "'")
    return " ".join(text.split()).lower()


@lru_cache(maxsize=None)
def document(key: str) -> str:
    return normalise((SEEDS / FILES[key]).read_text(encoding="utf-8"))


def quoted(key: str, quote: str) -> bool:
    """The quote occurs verbatim (after normalisation) in document `key`."""
    return normalise(quote) in document(key)


def name_key(name: str) -> str:
    """A diagnosis name as compared with the documents' names: lower case, possessive 's and
    punctuation dropped ("Wilson's disease" -> "wilson disease", "Milk-alkali" -> "milk alkali")."""
    name = re.sub(r"['’]s\b", "", name.lower())
    return " ".join(re.sub(r"[^a-z0-9]+", " ", name).split())


@lru_cache(maxsize=4)
def _name_index(entries: tuple) -> dict[str, set[str]]:
    """name key -> entry ids, for entries given as (id, name, synonyms) tuples."""
    index: dict[str, set[str]] = {}
    for eid, name, synonyms in entries:
        for n in (eid.replace("_", " "), name, *synonyms):
            index.setdefault(name_key(n), set()).add(eid)
    return index


def entries_named(kb, names) -> set[str]:
    """Ids of the knowledge-base entries whose id, name or a synonym is one of `names`."""
    index = _name_index(tuple((e.id, e.name, e.synonyms) for e in kb.entries))
    return set().union(*(index.get(name_key(n), set()) for n in names))
