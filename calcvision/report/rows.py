"""Read ``results.jsonl`` (written by ``calcvision infer``) into typed rows for the reports.

The columns are fixed by ``shared/spec/interfaces.md``; the fields beyond them (the ddx object,
spacing, provenance, context) are read tolerantly so that a report still renders, with
"not recorded", when an older or partial run lacks one. Every string here may come from a
DICOM header or a context file: it is untrusted text, escaped by the writers.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from calcvision.errors import InputError
from calcvision.patterns import CLASSES

RESULTS_JSONL = "results.jsonl"


@dataclass(frozen=True)
class ResultRow:
    """One image (one frame) of a batch, as the report writers need it.

    ``index`` is the 0-based position among the rows kept (after resume duplicates are
    dropped); output file names are built from it, never from header values.
    ``box`` is (x0, y0, x1, y1) in pixels of the original image, None when there is none.
    """

    index: int
    path: str
    frame: int
    status: str
    reason: str
    pattern: str | None
    confidence: float | None
    probs: dict[str, float]
    box: tuple[float, float, float, float] | None
    top_diagnosis: str | None
    sop_instance_uid: str | None
    differential: list[dict[str, Any]] = field(default_factory=list)
    next_questions: list[dict[str, Any]] = field(default_factory=list)
    context: dict[str, Any] | None = None
    spacing_mm: tuple[float, float] | None = None
    spacing_source: str | None = None
    model_sha256: str | None = None
    calcvision_version: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def _float_or_none(value: Any, where: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{where}: not a number: {value!r}") from None
    if not math.isfinite(out):
        raise InputError(f"{where}: not a finite number: {value!r}")
    return out


def _lookup(obj: dict[str, Any], *names: str) -> Any:
    """First present value among ``names`` in ``obj`` or its ``provenance`` sub-object."""
    prov = obj.get("provenance") if isinstance(obj.get("provenance"), dict) else {}
    for name in names:
        for src in (obj, prov):
            if src.get(name) not in (None, ""):
                return src[name]
    return None


def parse_row(obj: dict[str, Any], index: int, where: str) -> ResultRow:
    """Turn one decoded JSON object into a ``ResultRow``; InputError naming ``where`` if malformed."""
    if not isinstance(obj, dict):
        raise InputError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    for key in ("path", "status"):
        if not isinstance(obj.get(key), str) or not obj[key]:
            raise InputError(f"{where}: field {key!r} missing or not a string")
    probs = {c: _float_or_none(obj.get(f"p_{c}"), f"{where}: field p_{c}") for c in CLASSES}
    box_vals = [_float_or_none(obj.get(f"roi_{k}"), f"{where}: field roi_{k}") for k in ("x0", "y0", "x1", "y1")]
    box = tuple(box_vals) if all(v is not None for v in box_vals) else None  # type: ignore[assignment]
    if box is not None and (box[2] <= box[0] or box[3] <= box[1]):
        raise InputError(f"{where}: roi box {box} is empty (need x1 > x0 and y1 > y0)")
    ddx = obj.get("differential")
    next_q = obj.get("next_questions") or []
    context = obj.get("context")
    if isinstance(ddx, dict):  # the whole `calcvision ddx --json` object
        next_q = ddx.get("next_questions") or next_q
        context = context if context is not None else ddx.get("context_used")
        ddx = ddx.get("differential")
    if ddx is not None and not isinstance(ddx, list):
        raise InputError(f"{where}: field 'differential' is neither a list nor a ddx object")
    spacing = obj.get("spacing_mm")
    if isinstance(spacing, (int, float)):
        spacing = (float(spacing), float(spacing))
    elif isinstance(spacing, (list, tuple)) and len(spacing) == 2:
        sy, sx = (_float_or_none(v, f"{where}: field spacing_mm") for v in spacing)
        spacing = (sy, sx) if sy and sx else None
    else:
        spacing = None
    pattern = obj.get("pattern") or None
    if pattern is not None and pattern not in CLASSES:
        raise InputError(f"{where}: field 'pattern' is {pattern!r}, not one of {', '.join(CLASSES)}")
    frame = obj.get("frame")
    try:
        frame_i = int(frame) if frame not in (None, "") else 0
    except (TypeError, ValueError):
        raise InputError(f"{where}: field 'frame' is not an integer: {frame!r}") from None
    return ResultRow(
        index=index,
        path=obj["path"],
        frame=frame_i,
        status=obj["status"],
        reason=str(obj.get("reason") or ""),
        pattern=pattern,
        confidence=_float_or_none(obj.get("confidence"), f"{where}: field confidence"),
        probs={c: p for c, p in probs.items() if p is not None},
        box=box,
        top_diagnosis=obj.get("top_diagnosis") or None,
        sop_instance_uid=obj.get("sop_instance_uid") or None,
        differential=[d for d in (ddx or []) if isinstance(d, dict)],
        next_questions=[q for q in next_q if isinstance(q, dict)],
        context=context if isinstance(context, dict) else None,
        spacing_mm=spacing,
        spacing_source=obj.get("spacing_source") or None,
        model_sha256=_lookup(obj, "model_sha256", "model_hash"),
        calcvision_version=_lookup(obj, "calcvision_version", "version"),
        raw=obj,
    )


def load_results(out_dir: str | Path) -> list[ResultRow]:
    """Rows of ``out_dir/results.jsonl`` in file order.

    A resumed run may hold a row twice (same path + frame); the last one wins, so the
    report shows each image once. A blank line is skipped; a line that is not JSON, or a
    row with a malformed field, raises InputError naming the line.
    """
    path = Path(out_dir) / RESULTS_JSONL
    if not path.is_file():
        raise InputError(f"{path}: not found (run `calcvision infer ... --out {out_dir}` first)")
    latest: dict[tuple[str, str], tuple[int, dict]] = {}
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from None
            if not isinstance(obj, dict):
                raise InputError(f"{path}:{lineno}: expected a JSON object")
            key = (str(obj.get("path")), str(obj.get("frame") or 0))
            latest.pop(key, None)  # re-insert so that order follows the last occurrence
            latest[key] = (lineno, obj)
    return [parse_row(obj, i, f"{path}:{lineno}") for i, (lineno, obj) in enumerate(latest.values())]


def resolve_source(row: ResultRow, out_dir: str | Path) -> Path | None:
    """The source image file of ``row``: its path as recorded (absolute, or relative to the
    current directory), else relative to the output folder; None when it cannot be found."""
    p = Path(row.path)
    for cand in (p, Path(out_dir) / p) if not p.is_absolute() else (p,):
        if cand.is_file():
            return cand
    return None
