"""``write_reports``: turn an output folder of ``calcvision infer`` into the HTML report, one
DICOM SR and one Secondary Capture per image.

Each source image is read once; its saliency map feeds both the HTML picture and the SC.
Output names are built from a hash of (path, frame), never from DICOM tag values::

    OUT/report.html
    OUT/report_files/<key>.png     (only when the batch is too large to embed pictures)
    OUT/dicom_sr/<key>.dcm
    OUT/dicom_sc/<key>.dcm
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable

from calcvision.errors import UsageError
from calcvision.patterns import NONE
from calcvision.report.rows import ResultRow, load_results, resolve_source

log = logging.getLogger(__name__)

KINDS = frozenset({"html", "sr", "sc"})
REPORT_HTML = "report.html"
THUMB_PX = 360
EMBED_MAX_IMAGES = 200
"""Pictures are embedded in report.html up to this many images, written beside it above."""


@dataclass
class ReportOutputs:
    """What ``write_reports`` wrote (paths) and the per-image caveats it met."""

    html: Path | None = None
    sr: list[Path] = field(default_factory=list)
    sc: list[Path] = field(default_factory=list)
    notes: dict[int, list[str]] = field(default_factory=dict)


def parse_kinds(value: str | Iterable[str]) -> set[str]:
    """``"html,sr"`` or an iterable -> validated set; UsageError naming an unknown kind."""
    items = value.split(",") if isinstance(value, str) else list(value)
    kinds = {k.strip().lower() for k in items if k.strip()}
    unknown = kinds - KINDS
    if unknown or not kinds:
        raise UsageError(f"report kinds must be a comma-separated subset of {','.join(sorted(KINDS))}, "
                         f"got {','.join(sorted(items)) if not isinstance(value, str) else value!r}")
    return kinds


def output_key(row: ResultRow) -> str:
    """Stable file-name stem of a row: a hash of its source path and frame."""
    return hashlib.sha256(f"{row.path}\0{row.frame}".encode("utf-8")).hexdigest()[:16]


def _default_model() -> Any | None:
    try:
        from calcvision.model import load_model  # type: ignore[attr-defined]

        return load_model()
    except Exception as exc:  # no shipped weights yet, or model package absent
        log.warning("no model for heat maps: %s", exc)
        return None


def _header(prov: Any) -> dict[str, str]:
    keys = ("patient_name", "patient_id", "study_instance_uid", "accession", "modality")
    return {k: str(getattr(prov, k)) for k in keys if getattr(prov, k, None)}


def _heat(entry: Any, radiograph: Any, model: Any | None, enabled: bool) -> Any:
    """Layer-CAM map of the row's pattern, or None with the reason added to ``entry.notes``."""
    from calcvision.report.saliency import saliency_map

    row = entry.row
    if row.pattern in (None, NONE):
        entry.notes.append("no heat map: no calcification pattern was found")
        return None
    if model is None:
        entry.notes.append("no heat map: " + ("no model available" if enabled else "disabled"))
        return None
    sha = getattr(model, "sha256", None)
    if row.model_sha256 and sha and sha != row.model_sha256:
        entry.notes.append(f"heat map from model {sha[:12]}, result from model {row.model_sha256[:12]}")
    return saliency_map(model, radiograph, row.pattern, box=row.box)


def write_reports(out_dir: str | Path, kinds: str | Iterable[str] = ("html", "sr", "sc"), model: Any | None = None, *,
                  saliency: bool = True, truth: str | Path | None = None,
                  reader: Callable[[Path], list] | None = None) -> ReportOutputs:
    """Write the reports of ``kinds`` for ``out_dir/results.jsonl`` into ``out_dir``.

    ``model``: the ``CalcModel`` for the Layer-CAM heat maps (None: the shipped default, if
    it loads; heat maps are left out with a note otherwise). ``saliency=False`` skips them.
    ``truth``: a CSV with ``path,label`` (e.g. the phantoms' manifest.csv): the HTML then
    shows this batch's metrics, confusion matrix and reliability diagram.
    ``reader``: path -> list of Radiograph (default ``calcvision.io.read_radiograph``).
    Rows that are not ``ok``, sources that are missing or not DICOM get a note instead of
    SR/SC; they never stop the batch. Returns what was written.
    """
    from calcvision.report import dicom_sc, dicom_sr
    from calcvision.report.dicom_common import read_source_header
    from calcvision.report.html import ImageEntry, render_html
    from calcvision.report.overlay import file_data_uri, png_data_uri, render

    kinds = parse_kinds(kinds)
    out = Path(out_dir)
    rows = load_results(out)
    if reader is None:
        from calcvision.io import read_radiograph as reader  # type: ignore[attr-defined,no-redef]
    pictures = bool(kinds & {"html", "sc"})  # an SR alone needs neither pixels nor heat maps
    if pictures and saliency and model is None and any(r.ok and r.pattern not in (None, NONE) for r in rows):
        model = _default_model()
    plots, plots_text = None, None
    if truth is not None and "html" in kinds:  # first, so that a bad truth file fails fast
        from calcvision.report.evaluation import evaluate_batch

        ev = evaluate_batch(rows, truth, out / "report_files" / "evaluation")
        plots = [(caption, file_data_uri(str(path))) for caption, path in ev.figures]
        plots_text = ev.summary
    embed = len(rows) <= EMBED_MAX_IMAGES
    result = ReportOutputs()
    entries = [ImageEntry(row=row) for row in rows]
    for entry in entries:
        row = entry.row
        if not row.ok:
            continue
        key = output_key(row)
        src = resolve_source(row, out)
        if src is None:
            entry.notes.append(f"source image not found at {row.path}: no picture, SR or SC")
            continue
        radiograph = heat = None
        if pictures:
            try:
                radiograph = reader(src)[row.frame]
                if row.spacing_mm and tuple(row.spacing_mm) != tuple(radiograph.spacing_mm):  # infer --spacing-mm
                    radiograph = dataclasses.replace(radiograph, spacing_mm=tuple(row.spacing_mm),
                                                     spacing_source=row.spacing_source or "option")
            except Exception as exc:  # the source changed since inference: note it, go on
                entry.notes.append(f"could not read the source image again ({type(exc).__name__}: {exc})")
                continue
            entry.header = _header(radiograph.provenance)
            heat = _heat(entry, radiograph, model if saliency else None, saliency)
        if "html" in kinds:
            box = row.box if row.pattern != NONE else None
            img = render(radiograph.pixels, heat=heat, box=box, max_side=THUMB_PX)
            if embed:
                entry.picture = png_data_uri(img)
            else:
                (out / "report_files").mkdir(exist_ok=True)
                img.save(out / "report_files" / f"{key}.png")
                entry.picture = f"report_files/{key}.png"
        if not kinds & {"sr", "sc"}:
            continue
        source = read_source_header(src)
        if source is None:
            entry.notes.append("source is not a DICOM image: no SR or SC")
            continue
        if "sr" in kinds:
            (out / "dicom_sr").mkdir(exist_ok=True)
            result.sr.append(dicom_sr.write_sr(source, row, out / "dicom_sr" / f"{key}.dcm"))
            entry.outputs["SR"] = f"dicom_sr/{key}.dcm"
        if "sc" in kinds:
            (out / "dicom_sc").mkdir(exist_ok=True)
            result.sc.append(dicom_sc.write_sc(source, row, radiograph.pixels, heat, out / "dicom_sc" / f"{key}.dcm"))
            entry.outputs["SC"] = f"dicom_sc/{key}.dcm"
    if "html" in kinds:
        generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        result.html = out / REPORT_HTML
        tmp = result.html.with_suffix(".html.tmp")
        tmp.write_text(render_html(entries, generated_at=generated, plots=plots, plots_text=plots_text),
                       encoding="utf-8")
        tmp.replace(result.html)
    result.notes = {e.row.index: e.notes for e in entries if e.notes}
    return result
