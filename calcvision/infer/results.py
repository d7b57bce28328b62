"""The two result files of ``calcvision infer`` and resuming them.

``results.jsonl`` is the record: one JSON object per row, appended and flushed per image.
``results.csv`` is its flat projection (the columns of ``shared/spec/interfaces.md`` plus
``spacing_source`` and ``model_sha256``), appended alongside. On opening an existing output
folder the store repairs a torn last JSONL line (a run killed while writing), rebuilds the
CSV from the JSONL (so the two can never disagree), and returns the keys already done:
(absolute path, frame, SOP Instance UID, model SHA-256). The only file names written are the
fixed ones below; none comes from a DICOM tag.
"""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
from collections import defaultdict
from pathlib import Path

from calcvision.errors import InputError
from calcvision.patterns import probability_columns

CSV_NAME = "results.csv"
JSONL_NAME = "results.jsonl"
SUMMARY_NAME = "summary.json"
LOCK_NAME = ".calcvision-infer.lock"

ROI_COLUMNS = ["roi_x0", "roi_y0", "roi_x1", "roi_y1"]
COLUMNS: list[str] = (
    ["path", "frame", "sop_instance_uid", "status", "reason", "pattern", "confidence"]
    + probability_columns()
    + ROI_COLUMNS
    + ["top_diagnosis", "spacing_source", "model_sha256"]
)
"""CSV columns: the interface spec's, in its order, then two of ours."""

Key = tuple[str, int | None, str, str]


def row_key(row: dict) -> Key:
    """Resume key of a row: (path, frame, SOP Instance UID, model SHA-256)."""
    frame = row.get("frame")
    return (row["path"], None if frame in (None, "") else int(frame), row.get("sop_instance_uid") or "",
            row.get("model_sha256") or "")


def _csv_line(row: dict) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(["" if row.get(c) is None else _fmt(row[c]) for c in COLUMNS])
    return buf.getvalue()


def _fmt(v) -> str:
    return f"{v:.6f}" if isinstance(v, float) else str(v)


class ResultStore:
    """Append-only writer of ``results.jsonl`` + ``results.csv`` in ``out`` with resume.

    Use as a context manager. Holds an exclusive lock on the folder so that two runs cannot
    interleave rows in the same files.
    """

    def __init__(self, out: Path):
        self.out = Path(out)
        self.done: set[Key] = set()
        self.n_previous = 0

    def __enter__(self) -> "ResultStore":
        try:
            self.out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot create output folder {self.out}: {exc.strerror}") from None
        self._lock = open(self.out / LOCK_NAME, "a")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._lock.close()
            raise InputError(f"another calcvision infer is writing to {self.out}") from None
        rows = self._load_and_repair()
        self.n_previous = len(rows)
        self.done = {row_key(r) for r in rows}
        self._rewrite_csv(rows)
        self._jsonl = open(self.out / JSONL_NAME, "a", encoding="utf-8")
        self._csv = open(self.out / CSV_NAME, "a", encoding="utf-8", newline="")
        return self

    def __exit__(self, *exc) -> None:
        for f in (getattr(self, "_jsonl", None), getattr(self, "_csv", None)):
            if f is not None:
                f.close()
        fcntl.flock(self._lock, fcntl.LOCK_UN)
        self._lock.close()

    def _load_and_repair(self) -> list[dict]:
        """Rows of an existing ``results.jsonl``; a torn last line (no newline: the run died
        while writing it) is cut off. Any other invalid line stops the run (InputError)."""
        path = self.out / JSONL_NAME
        if not path.exists():
            return []
        data = path.read_bytes()
        complete = data[: data.rfind(b"\n") + 1]
        rows = []
        for i, line in enumerate(complete.splitlines(), 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except ValueError:
                raise InputError(f"{path}: line {i} is not valid JSON; refusing to resume "
                                 "(move the folder aside or use another --out)") from None
        if len(complete) < len(data):
            with open(path, "r+b") as f:
                f.truncate(len(complete))
        return rows

    def _rewrite_csv(self, rows: list[dict]) -> None:
        tmp = self.out / (CSV_NAME + ".tmp")
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            f.write(",".join(COLUMNS) + "\n")
            for r in rows:
                f.write(_csv_line(r))
        os.replace(tmp, self.out / CSV_NAME)

    def done_by_path(self, model_sha: str) -> dict[str, set[tuple[int | None, str]]]:
        """For this model: path -> {(frame, SOP UID)} already written (frame None = file row)."""
        out: dict[str, set] = defaultdict(set)
        for path, frame, sop, sha in self.done:
            if sha == model_sha:
                out[path].add((frame, sop))
        return out

    def append(self, row: dict) -> None:
        """Write one row to both files and flush (JSONL first: it is the record)."""
        self._jsonl.write(json.dumps(row, ensure_ascii=False) + "\n")
        self._jsonl.flush()
        self._csv.write(_csv_line(row))
        self._csv.flush()
        self.done.add(row_key(row))

    def write_summary(self, summary: dict) -> None:
        tmp = self.out / (SUMMARY_NAME + ".tmp")
        tmp.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, self.out / SUMMARY_NAME)
