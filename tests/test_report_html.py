"""The HTML report rendered in headless Chromium: every row, pattern and top diagnosis is in
the DOM, the page's own script ran under its CSP, and header/context text stays text."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from calcvision import NOT_FOR_CLINICAL_USE
from calcvision.report import write_reports
from calcvision.report.html import ImageEntry, render_html
from calcvision.report.rows import load_results
from tests.external_tools import dump_dom, screenshot
from tests.report_helpers import BATCH, XSS, XSS_CONTEXT, BrightSpotModel, make_batch


class DomIndex(HTMLParser):
    """Elements by id, the text of every script element, all text, img attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: dict[str, dict[str, str | None]] = {}
        self.scripts: list[str] = []
        self.text: list[str] = []
        self.imgs: list[dict[str, str | None]] = []
        self.body_attrs: dict[str, str | None] = {}
        self._in_script = False
        self._stack: list[tuple[str, list[str]]] = []
        self.text_by_id: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body":
            self.body_attrs = a
        if tag == "img":
            self.imgs.append(a)
        if tag == "script":
            self._in_script = True
            self.scripts.append("")
        if a.get("id"):
            self.ids[a["id"]] = a
            self._stack.append((a["id"], []))

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data
            return
        self.text.append(data)
        for _, parts in self._stack:
            parts.append(data)

    def close(self):
        super().close()
        self.text_by_id = {i: "".join(p) for i, p in self._stack}


def parse(dom: str) -> DomIndex:
    idx = DomIndex()
    idx.feed(dom)
    idx.close()
    return idx


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report_html")
    make_batch(out)
    write_reports(out, {"html"}, model=BrightSpotModel())
    return out


@pytest.fixture(scope="module")
def dom(batch, tmp_path_factory) -> DomIndex:
    return parse(dump_dom(batch / "report.html", tmp_path_factory.mktemp("chromium")))


def test_rendered_dom_has_every_image_row_pattern_and_top_diagnosis(batch, dom):
    assert dom.body_attrs.get("data-ready") == "1", "the page's script did not run (CSP or JS error)"
    rows = load_results(batch)
    assert len(rows) == len(BATCH) + 1
    for row in rows:
        assert f"row-{row.index}" in dom.ids
        assert dom.ids[f"row-{row.index}"]["data-status"] == row.status
    for i, (name, frame, pattern, _, _, _) in enumerate(BATCH):
        top = rows[i].top_diagnosis
        assert dom.ids[f"row-{i}"]["data-pattern"] == pattern
        assert name in dom.text_by_id[f"row-{i}"] and top in dom.text_by_id[f"row-{i}"]
        section = dom.text_by_id[f"img-{i}"]
        assert pattern in section and top in section and f"frame {frame}" in section
        assert NOT_FOR_CLINICAL_USE in section
    error = len(BATCH)
    assert "truncated file <eof>" in dom.text_by_id[f"row-{error}"]
    assert f"img-{error}" not in dom.ids  # an error row has no per-image section
    assert NOT_FOR_CLINICAL_USE in dom.text_by_id["notice"]
    for dx in rows[0].differential:  # every diagnosis of the real engine with its citations
        assert dx["name"] in dom.text_by_id["img-0"]
        for x in dx["explanation"]:
            assert x["source"] in dom.text_by_id["img-0"]
    pictures = [a for a in dom.imgs if (a.get("src") or "").startswith("data:image/png;base64,")]
    assert len(pictures) == len(BATCH)


def test_header_and_context_values_are_text_not_markup(dom):
    assert len(dom.scripts) == 1 and "alert(" not in dom.scripts[0]
    text = "".join(dom.text)
    assert XSS in text and XSS_CONTEXT in text
    assert all(a.get("onerror") is None for a in dom.imgs)
    assert all(a.get("src") != "x" for a in dom.imgs)


def test_screenshot_shows_a_rendered_page(batch, tmp_path):
    png = screenshot(batch / "report.html", tmp_path / "shot.png", tmp_path / "profile", size=(1000, 1400))
    img = np.asarray(Image.open(png).convert("RGB"))
    assert img.shape == (1400, 1000, 3)
    top_band = img[:20].reshape(-1, 3).mean(axis=0)
    assert top_band[0] > 150 and top_band[1] < 60, "red 'not for clinical use' band missing at the top"
    assert img.std() > 20  # text, tables and pictures, not a blank page


def test_every_untrusted_field_is_escaped_in_the_source(batch):
    rows = load_results(batch)
    evil = "<script>alert(9)</script>"
    ddx = [{"name": evil, "tier": evil, "mechanism": evil, "probability": 0.5, "sources": [evil],
            "explanation": [{"factor": evil, "value": evil, "log10_lr": evil, "source": evil}]}]
    row = rows[0].__class__(**{**rows[0].__dict__, "path": evil, "reason": evil, "top_diagnosis": evil,
                               "differential": ddx, "next_questions": [{"field": evil, "why": evil}],
                               "context": {evil: evil}, "spacing_source": evil, "model_sha256": evil})
    entry = ImageEntry(row=row, header={"patient_name": evil, evil: evil}, picture='x" onerror="alert(9)',
                       notes=[evil], outputs={evil: evil})
    page = render_html([entry], generated_at=evil, plots=[(evil, evil)], title=evil)
    assert "alert(9)</script>" not in page
    assert page.count("<script>") == 1
    assert 'onerror="alert(9)' not in page


def test_large_batches_write_pictures_beside_the_page_and_missing_sources_get_a_note(tmp_path, monkeypatch):
    from calcvision.report import writer

    make_batch(tmp_path)
    (tmp_path / "src" / "img1.dcm").unlink()  # moved away since inference: a note, not a crash
    monkeypatch.setattr(writer, "EMBED_MAX_IMAGES", 2)
    res = write_reports(tmp_path, {"html"}, saliency=False)
    assert res.notes[1] == [f"source image not found at {tmp_path / 'src' / 'img1.dcm'}: no picture, SR or SC"]
    idx = parse(res.html.read_text(encoding="utf-8"))
    srcs = [a["src"] for a in idx.imgs]
    assert len(srcs) == len(BATCH) - 1 and all(s.startswith("report_files/") for s in srcs)
    for s in srcs:
        assert Image.open(res.html.parent / s).size == (360, 270)  # 400 x 300 sources, longest side 360
    assert "no heat map: disabled" in res.notes[0]


def test_heat_maps_use_the_spacing_the_result_was_computed_at(tmp_path, monkeypatch):
    """A PNG states no spacing (the reader assumes 0.15 mm); inferred with ``--spacing-mm 0.1``
    its row says 0.1 mm, and the heat map is computed at 0.1 mm too, not at the assumed value."""
    from calcvision.report import saliency
    from tests.report_helpers import phantom_pixels, result_row, write_results

    src = tmp_path / "plate.png"
    Image.fromarray((phantom_pixels((300, 400), (100, 50, 160, 110)) * 255).astype(np.uint8)).save(src)
    row = result_row(src, "rice_grain", (100, 50, 160, 110))
    row.update(spacing_mm=[0.1, 0.1], spacing_source="option")
    write_results(tmp_path, [row])
    seen, real = [], saliency.saliency_map

    def spy(model, rad, *args, **kwargs):
        seen.append(rad.spacing_mm)
        return real(model, rad, *args, **kwargs)

    monkeypatch.setattr(saliency, "saliency_map", spy)
    res = write_reports(tmp_path, {"html"}, model=BrightSpotModel())
    assert seen == [(0.1, 0.1)] and res.html.is_file()
