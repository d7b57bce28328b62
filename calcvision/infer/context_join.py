"""Which clinical context belongs to which image.

``--context`` is either one context for every image or a CSV table of cases (validated up
front by ``calcvision.ddx.context.load_contexts``). A table row is joined to an image by the
most specific identifier the row gives: ``study_uid`` (StudyInstanceUID), else ``accession``
(AccessionNumber), else ``patient_id`` (PatientID); values compared as stripped strings. When
several rows match an image, the one keyed by the most specific identifier wins, then the
first in the file. Rows that match no image and images that match no row are counted for the
summary.
"""

from __future__ import annotations

KEYS = ("study_uid", "accession", "patient_id")
"""Join keys, most specific first."""


class ContextJoin:
    """Look up an image's context. ``source``: None, a single context, or a table of rows
    (row number, {key: value}, context): see ``from_source``."""

    def __init__(self, source=None):
        self.single, self.rows = None, None
        self.matched: set[int] = set()
        self.images_without_row = 0
        if source is None:
            return
        kind, payload = _unpack(source)
        if kind == "single":
            self.single = payload
        else:
            self.rows = list(payload)
            self.index: dict[tuple[str, str], int] = {}
            for pos, (_row_no, keys, _ctx) in enumerate(self.rows):
                key = next(((k, str(keys[k]).strip()) for k in KEYS if keys.get(k) not in (None, "")), None)
                if key is not None:
                    self.index.setdefault(key, pos)

    def for_image(self, ids: dict) -> tuple[object | None, int | None]:
        """(context, CSV row number or None) for an image with identifiers ``ids``."""
        if self.rows is None:
            return self.single, None
        for k in KEYS:
            value = ids.get(k)
            if value in (None, ""):
                continue
            pos = self.index.get((k, str(value).strip()))
            if pos is not None:
                row_no, _keys, ctx = self.rows[pos]
                self.matched.add(row_no)
                return ctx, row_no
        self.images_without_row += 1
        return None, None

    def report(self) -> dict:
        """For the summary: the mode, CSV rows that matched no image, images without a row."""
        if self.rows is None:
            return {"mode": "single" if self.single is not None else "none"}
        return {
            "mode": "table",
            "unmatched_rows": [r for r, _k, _c in self.rows if r not in self.matched],
            "images_without_row": self.images_without_row,
        }


def _unpack(source) -> tuple[str, object]:
    """Adapter to ``calcvision.ddx.context.ContextSource``."""
    rows = getattr(source, "rows", None)
    if rows is not None:
        return "table", rows
    return "single", getattr(source, "context", source)
