"""The clinical context a clinician enters (shared/spec/context.md), validated.

Every field is optional; absent or empty means *unknown* and is never scored as normal.
Calcium and phosphate may be given in mg/dL or mmol/L (or both, which must agree within
5 %); the other unit, the status (low/normal/high) and the Ca x P product (mg^2/dL^2) are
derived. Anything unrecognised is rejected with a one-line InputError naming the field.
"""

from __future__ import annotations

import csv
import difflib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from calcvision.ddx import vocab
from calcvision.errors import InputError

CA_MMOL_TO_MG = 4.008  # calcium mg/dL = mmol/L x 4.008
P_MMOL_TO_MG = 3.097  # phosphate mg/dL = mmol/L x 3.097
CA_NORMAL_MG = (8.5, 10.5)
P_NORMAL_MG = (2.5, 4.5)
UNIT_TOLERANCE = 0.05
PRODUCT_THRESHOLD = 75.0  # mg^2/dL^2, Dalinka & Melchior

# plausible (not normal) ranges; outside them a value is impossible
_LIMITS = {
    "calcium_mg_dl": (0.5, 30.0), "calcium_mmol_l": (0.1, 7.5),
    "phosphate_mg_dl": (0.1, 40.0), "phosphate_mmol_l": (0.03, 13.0),
    "age_years": (0.0, 120.0), "weeks_since_onset": (0.0, 5200.0),
}
_UNITS = {"mg_dl": ("mg/dl", "mg/100ml", "mg %", "mg%"), "mmol_l": ("mmol/l", "mm/l")}
_NUMBER_RE = re.compile(r"^\s*([-+]?\d+(?:\.\d*)?|[-+]?\.\d+)\s*(.*?)\s*$")
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}
KEY_FIELDS = ("patient_id", "study_uid", "accession")

Sex = Literal["female", "male", "other"]
Status = Literal["low", "normal", "high"]
Site = Literal[vocab.SITES]  # type: ignore[valid-type]
Distribution = Literal[vocab.DISTRIBUTIONS]  # type: ignore[valid-type]
LimbLevel = Literal[vocab.LIMB_LEVELS]  # type: ignore[valid-type]
Condition = Literal[vocab.CONDITIONS]  # type: ignore[valid-type]


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and v.strip() == "")


def _parse_number(name: str, v: Any) -> Any:
    """A number, or a string holding one, optionally followed by this field's own unit."""
    if _blank(v):
        return None
    if isinstance(v, bool):
        raise ValueError(f"expected a number, got {v!r}")
    if isinstance(v, (int, float)):
        return float(v)
    if not isinstance(v, str):
        raise ValueError(f"expected a number, got {v!r}")
    m = _NUMBER_RE.match(v)
    if not m:
        raise ValueError(f"cannot read a number from {v!r}")
    unit = m.group(2).lower().replace(" ", "")
    if unit:
        suffix = name.rsplit("_", 2)[-2:]
        own = _UNITS.get("_".join(suffix), ())
        if unit not in tuple(u.replace(" ", "") for u in own):
            raise ValueError(f"unit {m.group(2)!r} not understood for this field "
                             f"(give a plain number in the unit the field name states)")
    return float(m.group(1))


class Context(BaseModel):
    """Validated clinical context; every field optional, None = unknown."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    patient_id: Optional[str] = None
    study_uid: Optional[str] = None
    accession: Optional[str] = None
    age_years: Optional[float] = None
    sex: Optional[Sex] = None
    calcium_mg_dl: Optional[float] = None
    calcium_mmol_l: Optional[float] = None
    phosphate_mg_dl: Optional[float] = None
    phosphate_mmol_l: Optional[float] = None
    calcium_status: Optional[Status] = None
    phosphate_status: Optional[Status] = None
    renal_failure: Optional[bool] = None
    dialysis: Optional[bool] = None
    trauma: Optional[bool] = None
    surgery: Optional[bool] = None
    burns: Optional[bool] = None
    paraplegia: Optional[bool] = None
    head_injury: Optional[bool] = None
    injections: Optional[bool] = None
    calcium_gluconate: Optional[bool] = None
    tumor_treated: Optional[bool] = None
    family_history: Optional[bool] = None
    endemic_exposure: Optional[bool] = None
    raynaud: Optional[bool] = None
    joint_pain_acute: Optional[bool] = None
    conditions: Optional[tuple[Condition, ...]] = None
    site: Optional[Site] = None
    distribution: Optional[Distribution] = None
    limb_level: Optional[LimbLevel] = None
    weeks_since_onset: Optional[float] = None

    @field_validator("patient_id", "study_uid", "accession", mode="before")
    @classmethod
    def _key(cls, v: Any) -> Any:
        if _blank(v):
            return None
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return str(v)
        return v.strip() if isinstance(v, str) else v

    @field_validator("age_years", "calcium_mg_dl", "calcium_mmol_l", "phosphate_mg_dl",
                     "phosphate_mmol_l", "weeks_since_onset", mode="before")
    @classmethod
    def _number(cls, v: Any, info: Any) -> Any:
        return _checked_number(info.field_name, v)

    @field_validator(*vocab.BOOLEANS, mode="before")
    @classmethod
    def _bool(cls, v: Any) -> Any:
        if _blank(v):
            return None
        if isinstance(v, bool):
            return v
        if isinstance(v, str) and v.strip().lower() in _TRUE | _FALSE:
            return v.strip().lower() in _TRUE
        if isinstance(v, int) and v in (0, 1):
            return bool(v)
        raise ValueError(f"expected true or false, got {v!r}")

    @field_validator("sex", "calcium_status", "phosphate_status", "site", "distribution",
                     "limb_level", mode="before")
    @classmethod
    def _choice(cls, v: Any) -> Any:
        if _blank(v):
            return None
        return v.strip().lower() if isinstance(v, str) else v

    @field_validator("conditions", mode="before")
    @classmethod
    def _conditions(cls, v: Any) -> Any:
        if v is None or (isinstance(v, str) and v.strip() == ""):
            return None
        if isinstance(v, str):
            text = v.strip()
            if text.lower() in ("none", "[]"):
                return ()
            v = [c for c in re.split(r"[;,|]", text.strip("[]")) if c.strip()]
        if not isinstance(v, (list, tuple)):
            raise ValueError(f"expected a list of condition ids, got {v!r}")
        out = []
        for c in v:
            c = c.strip().lower().strip("'\"") if isinstance(c, str) else c
            if c not in vocab.CONDITIONS:
                raise ValueError(f"unknown condition {c!r} (known: {', '.join(vocab.CONDITIONS)})")
            if c not in out:
                out.append(c)
        return tuple(out)

    @model_validator(mode="before")
    @classmethod
    def _units(cls, data: Any) -> Any:
        """Fill the other unit of calcium and phosphate; reject disagreeing pairs."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for analyte, factor in (("calcium", CA_MMOL_TO_MG), ("phosphate", P_MMOL_TO_MG)):
            mg_key, mmol_key = f"{analyte}_mg_dl", f"{analyte}_mmol_l"
            mg, mmol = _field_number(data, mg_key), _field_number(data, mmol_key)
            if mg is not None and mmol is not None:
                if abs(mg - mmol * factor) > UNIT_TOLERANCE * mg:
                    raise ValueError(f"{mg_key}={mg:g} and {mmol_key}={mmol:g} disagree "
                                     f"({mmol:g} mmol/L = {mmol * factor:.2f} mg/dL; more than 5 % apart)")
            elif mmol is not None:
                mg = mmol * factor
            elif mg is not None:
                mmol = mg / factor
            if mg is not None:
                data[mg_key], data[mmol_key] = mg, mmol
        return data

    @model_validator(mode="after")
    def _status_agrees(self) -> "Context":
        for analyte in ("calcium", "phosphate"):
            given = getattr(self, f"{analyte}_status")
            derived = level(getattr(self, f"{analyte}_mg_dl"), *_normal(analyte))
            if given is not None and derived is not None and given != derived:
                lo, hi = _normal(analyte)
                raise ValueError(f"{analyte}_status={given!r} contradicts {analyte}_mg_dl="
                                 f"{getattr(self, f'{analyte}_mg_dl'):.3g} ({derived}; normal {lo}-{hi} mg/dL)")
        return self

    # ---- derived values -------------------------------------------------------------
    @property
    def calcium_level(self) -> Optional[str]:
        """low/normal/high from the number (8.5-10.5 mg/dL) or else the given status."""
        return level(self.calcium_mg_dl, *CA_NORMAL_MG) or self.calcium_status

    @property
    def phosphate_level(self) -> Optional[str]:
        """low/normal/high from the number (2.5-4.5 mg/dL) or else the given status."""
        return level(self.phosphate_mg_dl, *P_NORMAL_MG) or self.phosphate_status

    @property
    def ca_p_product(self) -> Optional[float]:
        """Calcium x phosphate product in mg^2/dL^2 when both numbers are known."""
        if self.calcium_mg_dl is None or self.phosphate_mg_dl is None:
            return None
        return self.calcium_mg_dl * self.phosphate_mg_dl

    def known(self) -> dict[str, Any]:
        """The fields that are known (not None), identity keys excluded."""
        return {k: v for k, v in self.model_dump().items() if v is not None and k not in KEY_FIELDS}


def _field_number(data: dict, key: str) -> Optional[float]:
    try:
        return _checked_number(key, data.get(key))
    except ValueError as exc:
        raise ValueError(f"field '{key}': {exc}") from None


def _checked_number(name: str, v: Any) -> Optional[float]:
    """Parse a number field and reject values outside its plausible range."""
    x = _parse_number(name, v)
    if x is None:
        return None
    lo, hi = _LIMITS[name]
    if not math.isfinite(x) or not lo <= x <= hi:
        raise ValueError(f"impossible value {x:g} (allowed {lo:g}-{hi:g})")
    return x


def _normal(analyte: str) -> tuple[float, float]:
    return CA_NORMAL_MG if analyte == "calcium" else P_NORMAL_MG


def level(value: Optional[float], lo: float, hi: float) -> Optional[str]:
    if value is None:
        return None
    return "low" if value < lo else "high" if value > hi else "normal"


def _closest(name: str) -> str:
    hits = difflib.get_close_matches(name, list(Context.model_fields), n=1)
    return f" (did you mean '{hits[0]}'?)" if hits else ""


def parse_context(obj: Any, where: str = "context") -> Context:
    """Validate one context mapping; InputError with one line naming ``where`` and the field."""
    if obj is None:
        return Context()
    if isinstance(obj, Context):
        return obj
    if not isinstance(obj, dict):
        raise InputError(f"{where}: expected an object of context fields, got {type(obj).__name__}")
    for key in obj:
        if not isinstance(key, str) or key not in Context.model_fields:
            raise InputError(f"{where}: unknown field {key!r}{_closest(str(key))}")
    try:
        return Context(**obj)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [str(p) for p in err.get("loc", ()) if not isinstance(p, int)]
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        if loc:
            got = obj.get(loc[0], None)
            tail = "" if "got" in msg or "impossible" in msg or got is None or isinstance(got, (list, tuple)) else f" (got {got!r})"
            text = f"{where}: field '{loc[0]}': {msg}{tail}"
        else:
            text = f"{where}: {msg}"
        raise InputError(" ".join(text.split())) from None


@dataclass
class ContextSource:
    """Where each image's context comes from: one context for all, or a table of cases.

    Rows match an image when every identity key the row gives (patient_id, study_uid,
    accession) equals the image's; the most specific matching row wins.
    """

    default: Context = field(default_factory=Context)
    rows: list[Context] = field(default_factory=list)
    origin: str = "context"
    _used: set[int] = field(default_factory=set)

    @property
    def is_table(self) -> bool:
        return bool(self.rows)

    def lookup(self, patient_id: Optional[str] = None, study_uid: Optional[str] = None,
               accession: Optional[str] = None) -> tuple[Context, Optional[int]]:
        """(context, 1-based row number or None) for an image with these identifiers."""
        if not self.rows:
            return self.default, None
        image = {"patient_id": patient_id, "study_uid": study_uid, "accession": accession}
        best, best_n = None, 0
        for i, row in enumerate(self.rows):
            keys = {k: getattr(row, k) for k in KEY_FIELDS if getattr(row, k) is not None}
            if keys and all(image[k] is not None and str(image[k]) == v for k, v in keys.items()):
                if len(keys) > best_n:
                    best, best_n = i, len(keys)
        if best is None:
            return Context(), None
        self._used.add(best)
        return self.rows[best], best + 1

    def for_image(self, patient_id: Optional[str] = None, study_uid: Optional[str] = None,
                  accession: Optional[str] = None) -> Context:
        """The context for an image (an empty, all-unknown one when no row matches)."""
        return self.lookup(patient_id, study_uid, accession)[0]

    def unmatched_rows(self) -> list[int]:
        """1-based numbers of table rows that no image looked up so far matched."""
        return [i + 1 for i in range(len(self.rows)) if i not in self._used]


def _table(items: list[Any], where: str) -> ContextSource:
    rows, seen = [], {}
    for n, item in enumerate(items, start=1):
        ctx = parse_context(item, f"{where} row {n}")
        keys = tuple((k, getattr(ctx, k)) for k in KEY_FIELDS if getattr(ctx, k) is not None)
        if not keys:
            raise InputError(f"{where} row {n}: needs patient_id, study_uid or accession to join it to images")
        if keys in seen:
            raise InputError(f"{where} row {n}: same identifiers as row {seen[keys]} ({dict(keys)})")
        seen[keys] = n
        rows.append(ctx)
    if not rows:
        raise InputError(f"{where}: no cases in the table")
    return ContextSource(rows=rows, origin=where)


def _read_csv(path: Path) -> ContextSource:
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            if not reader.fieldnames:
                raise InputError(f"{path}: empty CSV (expected a header of context field names)")
            for col in reader.fieldnames:
                if col is None or col.strip() not in Context.model_fields:
                    raise InputError(f"{path}: unknown column {col!r}{_closest(str(col))}")
            items = []
            for row in reader:
                if None in row:
                    raise InputError(f"{path} row {reader.line_num - 1}: more cells than header columns")
                items.append({k.strip(): v for k, v in row.items()})
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{path}: cannot read CSV: {exc}") from None
    return _table(items, str(path))


def load_contexts(arg: Optional[str]) -> ContextSource:
    """Context from a JSON string, a .json/.yaml file (object, or list of cases) or a .csv
    file of cases keyed by patient_id / study_uid / accession."""
    if arg is None or arg.strip() == "":
        return ContextSource()
    text = arg.strip()
    if text.startswith("{") or text.startswith("["):
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"--context: invalid JSON: {exc.msg} at char {exc.pos}") from None
        where = "--context"
    else:
        path = Path(text)
        if not path.is_file():
            raise InputError(f"--context: not a JSON object and no such file: {text}")
        suffix = path.suffix.lower()
        if suffix == ".csv":
            return _read_csv(path)
        where = str(path)
        try:
            raw = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: cannot read: {exc}") from None
        if suffix == ".json":
            try:
                obj = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}: invalid JSON: {exc.msg} (line {exc.lineno})") from None
        elif suffix in (".yaml", ".yml"):
            import yaml

            try:
                obj = yaml.safe_load(raw)
            except yaml.YAMLError as exc:
                raise InputError(f"{path}: invalid YAML: {' '.join(str(exc).split())}") from None
        else:
            raise InputError(f"{path}: unsupported context file type {suffix!r} (use .json, .yaml or .csv)")
    if isinstance(obj, list):
        return _table(obj, where)
    return ContextSource(default=parse_context(obj, where), origin=where)
