"""One self-contained HTML page for a batch: summary, sortable/filterable table, and per image
the overlay picture, the pattern probabilities, the explained and cited differential, the
context used and the "not for clinical use" notice.

Safety: every value that comes from a file (DICOM header, context, results.jsonl) goes
through ``esc`` (``html.escape`` with quotes) before it is placed in the page; the page's
Content-Security-Policy allows only its own inline script (by hash) and no network access.
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Iterable

from calcvision import NOT_FOR_CLINICAL_USE, __version__
from calcvision.patterns import CLASSES
from calcvision.report.rows import ResultRow

BAR_PX = 220
OPEN_DIAGNOSES = 2
"""Explanations of the first diagnoses are expanded; the rest open on a click."""


@dataclass
class ImageEntry:
    """What the page shows about one row. ``header`` holds untrusted identity text from the
    source (patient_name, patient_id, study_instance_uid, accession, modality); ``picture`` is a
    ``data:`` URI or a path relative to the page; ``outputs`` maps a label ("SR", "SC") to a
    file name relative to the page; ``notes`` are caveats shown with the image."""

    row: ResultRow
    header: dict[str, str] = field(default_factory=dict)
    picture: str | None = None
    notes: list[str] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)


def esc(value: Any) -> str:
    """HTML-escape anything for text or a quoted attribute ("" for None)."""
    return html.escape("" if value is None else str(value), quote=True)


def _static(name: str) -> str:
    return resources.files("calcvision.report").joinpath("static", name).read_text(encoding="utf-8")


def _csp(script: str) -> str:
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return (f"default-src 'none'; img-src data: 'self'; style-src 'unsafe-inline'; "
            f"script-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'")


def bar_chart(items: Iterable[tuple[str, float]], *, vmax: float, fmt: str = "{:.2f}",
              highlight: str | None = None) -> str:
    """Horizontal bar chart as inline SVG: one (label, value) per bar."""
    items = list(items)
    label_w, row_h = 190, 18
    height = row_h * len(items) + 4
    parts = [f'<svg class="bars" role="img" width="{label_w + BAR_PX + 60}" height="{height}" '
             f'xmlns="http://www.w3.org/2000/svg">']
    for i, (label, value) in enumerate(items):
        y = 2 + i * row_h
        w = 0 if vmax <= 0 else max(0.0, min(1.0, value / vmax)) * BAR_PX
        colour = "#d95f02" if label == highlight else "#1b9e77"
        parts.append(
            f'<text x="{label_w - 4}" y="{y + 13}" text-anchor="end" font-size="12">{esc(label)}</text>'
            f'<rect x="{label_w}" y="{y + 2}" width="{w:.1f}" height="{row_h - 5}" fill="{colour}"/>'
            f'<text x="{label_w + w + 4:.1f}" y="{y + 13}" font-size="12">{esc(fmt.format(value))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _fmt_p(p: float | None) -> str:
    return "" if p is None else f"{p:.3f}"


def _summary(entries: list[ImageEntry]) -> str:
    status = Counter(e.row.status for e in entries)
    patterns = Counter(e.row.pattern for e in entries if e.row.ok and e.row.pattern)
    status_rows = "".join(f"<tr><td>{esc(s)}</td><td>{n}</td></tr>" for s, n in sorted(status.items()))
    pattern_rows = "".join(f"<tr><td>{esc(c)}</td><td>{patterns.get(c, 0)}</td></tr>" for c in CLASSES)
    chart = bar_chart([(c, patterns.get(c, 0)) for c in CLASSES], vmax=max(patterns.values(), default=0), fmt="{:.0f}")
    return (f'<section id="summary"><h2>Summary</h2><div class="cards">'
            f'<div class="card"><h3>Status</h3><table id="status-counts"><tr><th>status</th><th>images</th></tr>'
            f"{status_rows}</table></div>"
            f'<div class="card"><h3>Patterns</h3><table id="pattern-counts"><tr><th>pattern</th><th>images</th></tr>'
            f"{pattern_rows}</table></div>"
            f'<div class="card"><h3>Images per pattern</h3>{chart}</div></div></section>')


def _table(entries: list[ImageEntry]) -> str:
    cols = ["#", "file", "frame", "patient", "status", "pattern", "confidence", "top diagnosis", "reason"]
    head = "".join(f"<th>{esc(c)}</th>" for c in cols)
    body = []
    for e in entries:
        r = e.row
        name = r.path.replace("\\", "/").rsplit("/", 1)[-1]
        cells = [
            (r.index, f'<a href="#img-{r.index}">{r.index}</a>' if r.ok else str(r.index)),
            (r.path, f'<span title="{esc(r.path)}">{esc(name)}</span>'),
            (r.frame, str(r.frame)),
            (e.header.get("patient_name"), esc(e.header.get("patient_name"))),
            (r.status, f'<span class="status-{esc(r.status)}">{esc(r.status)}</span>'),
            (r.pattern, esc(r.pattern)),
            (r.confidence if r.confidence is not None else -1, esc(_fmt_p(r.confidence))),
            (r.top_diagnosis, esc(r.top_diagnosis)),
            (r.reason, esc(r.reason)),
        ]
        tds = "".join(f'<td data-value="{esc(v)}">{html_}</td>' for v, html_ in cells)
        body.append(f'<tr id="row-{r.index}" data-pattern="{esc(r.pattern)}" data-status="{esc(r.status)}">{tds}</tr>')
    statuses = sorted({e.row.status for e in entries})
    opts_p = "".join(f'<option value="{esc(c)}">{esc(c)}</option>' for c in CLASSES)
    opts_s = "".join(f'<option value="{esc(s)}">{esc(s)}</option>' for s in statuses)
    return (f'<section id="table"><h2>Images</h2><div class="filters">'
            f'<label>search <input id="filter-text" type="search" placeholder="file, patient, diagnosis..."></label>'
            f'<label>pattern <select id="filter-pattern"><option value="">all</option>{opts_p}</select></label>'
            f'<label>status <select id="filter-status"><option value="">all</option>{opts_s}</select></label>'
            f'<span class="small"><span id="shown-count">{len(entries)}</span> of {len(entries)} shown; '
            f"click a column to sort</span></div>"
            f'<table id="results"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></section>')


def _differential(row: ResultRow) -> str:
    if not row.differential:
        return '<p class="small">No differential recorded.</p>'
    items = []
    for rank, dx in enumerate(row.differential):
        expl = "".join(
            f"<tr><td>{esc(x.get('factor'))}</td><td>{esc(x.get('value'))}</td>"
            f"<td>{esc(x.get('log10_lr'))}</td><td>{esc(x.get('source'))}</td></tr>"
            for x in dx.get("explanation") or [] if isinstance(x, dict))
        expl_table = (f"<table><tr><th>factor</th><th>value</th><th>log10 LR</th><th>source</th></tr>{expl}</table>"
                      if expl else "")
        sources = "".join(f"<li>{esc(s)}</li>" for s in dx.get("sources") or [])
        p = dx.get("probability")
        p_txt = f"{float(p):.2f}" if isinstance(p, (int, float)) else ""
        why = expl_table + (f'<div class="small">Sources:<ul>{sources}</ul></div>' if sources else "")
        items.append(
            f'<li class="diagnosis"><strong class="dx-name">{esc(dx.get("name") or dx.get("id"))}</strong> '
            f"p={esc(p_txt)} <span class=\"tier-{esc(dx.get('tier'))}\">{esc(dx.get('tier'))}</span> "
            f"<span class=\"small\">{esc(dx.get('mechanism'))}</span>"
            + (f"<details{' open' if rank < OPEN_DIAGNOSES else ''}><summary class=\"small\">why: explanation and "
               f"sources</summary>{why}</details>" if why else "") + "</li>")
    return f'<ol class="dx">{"".join(items)}</ol>'


def _context(row: ResultRow) -> str:
    where = row.raw.get("context_row")
    origin = f'<p class="small">From row {esc(where)} of the context table.</p>' if where not in (None, "") else ""
    if not row.context:
        return origin + '<p class="small">No clinical context recorded (all fields unknown).</p>'
    rows = "".join(f"<tr><td>{esc(k)}</td><td>{esc(v)}</td></tr>" for k, v in row.context.items())
    return origin + f'<table class="context"><tr><th>field</th><th>value</th></tr>{rows}</table>'


def _image_section(e: ImageEntry) -> str:
    r = e.row
    probs = bar_chart([(c, r.probs.get(c, 0.0)) for c in CLASSES], vmax=1.0, highlight=r.pattern)
    pic = (f'<img src="{esc(e.picture)}" alt="radiograph {r.index} with box and heat map">' if e.picture
           else '<p class="small">No picture.</p>')
    ident = "".join(f"<tr><td>{esc(k)}</td><td>{esc(v)}</td></tr>" for k, v in e.header.items() if v)
    spacing = (f"{r.spacing_mm[0]:.4g} x {r.spacing_mm[1]:.4g} mm ({esc(r.spacing_source)})" if r.spacing_mm
               else "not recorded")
    box = ", ".join(f"{v:.0f}" for v in r.box) if r.box else "none"
    questions = "".join(f"<li><code>{esc(q.get('field'))}</code>: {esc(q.get('why'))}</li>" for q in r.next_questions)
    notes = "".join(f"<li>{esc(n)}</li>" for n in e.notes)
    links = " ".join(f'<a href="{esc(path)}">{esc(label)}</a>' for label, path in e.outputs.items())
    return (
        f'<section class="image" id="img-{r.index}" data-pattern="{esc(r.pattern)}">'
        f'<h3>#{r.index} <span class="file">{esc(r.path)}</span> frame {r.frame}</h3>'
        f'<p class="notice-inline"><strong>{esc(NOT_FOR_CLINICAL_USE)}</strong></p>'
        f'<div class="grid"><div>{pic}<p class="small">Cyan box: where the pattern was found ({esc(box)} px). '
        f"Heat map: Layer-CAM of the predicted class.</p>"
        + (f'<ul class="small notes">{notes}</ul>' if notes else "")
        + f"</div><div>"
        f'<p>Pattern: <strong class="pattern">{esc(r.pattern)}</strong> (p={esc(_fmt_p(r.confidence))}); '
        f'top diagnosis: <strong class="top-dx">{esc(r.top_diagnosis)}</strong></p>{probs}'
        f"<h4>Differential diagnosis</h4>{_differential(r)}"
        + (f'<h4>Would change the ranking most</h4><ul class="small">{questions}</ul>' if questions else "")
        + f"<h4>Context used</h4>{_context(r)}"
        f"<h4>Image</h4><table>{ident}<tr><td>pixel spacing</td><td>{spacing}</td></tr>"
        f"<tr><td>model SHA-256</td><td><code>{esc(r.model_sha256 or 'not recorded')}</code></td></tr></table>"
        + (f'<p class="small">DICOM outputs: {links}</p>' if links else "")
        + "</div></div></section>")


def render_html(entries: list[ImageEntry], *, generated_at: str, plots: list[tuple[str, str]] | None = None,
                plots_text: str | None = None, title: str = "calcvision batch report") -> str:
    """The whole page. ``plots`` are (caption, image URI) pairs of an evaluation (confusion
    matrix, reliability diagram) shown when the batch had ground truth, ``plots_text`` its
    metrics as preformatted text."""
    script = _static("report.js")
    models = sorted({e.row.model_sha256 for e in entries if e.row.model_sha256})
    plot_html = ""
    if plots:
        figs = "".join(f'<figure class="card"><img src="{esc(uri)}" alt="{esc(cap)}">'
                       f"<figcaption>{esc(cap)}</figcaption></figure>" for cap, uri in plots)
        metrics = f'<pre class="card">{esc(plots_text)}</pre>' if plots_text else ""
        plot_html = (f'<section id="evaluation"><h2>Evaluation against the ground truth given</h2>'
                     f'<div class="cards">{metrics}{figs}</div></section>')
    sections = "".join(_image_section(e) for e in entries if e.row.ok)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{esc(_csp(script))}">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{esc(title)}</title>'
        f"<style>{_static('report.css')}</style></head><body>"
        f'<div class="notice" id="notice">{esc(NOT_FOR_CLINICAL_USE)} Unverified machine output.</div><main>'
        f"<h1>{esc(title)}</h1>"
        f'<p class="meta">Generated {esc(generated_at)} by calcvision {esc(__version__)}; {len(entries)} rows; '
        f"model SHA-256: {', '.join(f'<code>{esc(m)}</code>' for m in models) or 'not recorded'}</p>"
        f"{_summary(entries)}{plot_html}{_table(entries)}"
        f'<section id="images"><h2>Per image</h2>{sections}</section>'
        f"</main><script>{script}</script></body></html>\n")
