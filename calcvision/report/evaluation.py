"""This batch against its ground truth, when there is one (e.g. the ``manifest.csv`` that
``calcvision phantoms`` writes): the model package's own metrics, confusion matrix and
reliability diagram (``calcvision.model.evaluate``), computed on the batch's image-level
probabilities and shown in the HTML report."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from calcvision.errors import InputError
from calcvision.patterns import CLASSES, class_index
from calcvision.report.rows import ResultRow


@dataclass
class BatchEvaluation:
    """``metrics`` as ``compute_metrics`` returns them, ``summary`` its printed form,
    ``figures`` (caption, PNG path) pairs, ``n`` the images that had a label."""

    metrics: dict
    summary: str
    figures: list[tuple[str, Path]]
    n: int


def load_truth(path: str | Path) -> dict[Path, str]:
    """{absolute image path: class id} from a CSV with columns ``path,label`` (paths relative
    to the CSV's folder, or absolute). InputError naming the row for a bad label."""
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            if not reader.fieldnames or not {"path", "label"} <= set(reader.fieldnames):
                raise InputError(f"{path}: needs the columns path,label")
            truth = {}
            for i, rec in enumerate(reader, start=2):
                label = (rec.get("label") or "").strip()
                if label not in CLASSES:
                    raise InputError(f"{path}:{i}: label {label!r} is not one of {', '.join(CLASSES)}")
                truth[(path.parent / rec["path"]).resolve()] = label
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    return truth


def evaluate_batch(rows: list[ResultRow], truth_csv: str | Path, fig_dir: Path) -> BatchEvaluation:
    """Metrics and figures (written into ``fig_dir``) of the ``ok`` rows that have a label."""
    from calcvision.model.evaluate import compute_metrics, format_metrics, write_report

    truth = load_truth(truth_csv)
    probs, labels = [], []
    for row in rows:
        label = truth.get(Path(row.path).resolve())
        if row.ok and label is not None and len(row.probs) == len(CLASSES):
            probs.append([row.probs[c] for c in CLASSES])
            labels.append(class_index(label))
    if not labels:
        raise InputError(f"{truth_csv}: no image of results.jsonl is listed in it (paths must match)")
    p, y = np.asarray(probs, dtype=np.float64), np.asarray(labels)
    metrics = compute_metrics(p, y)
    files = write_report(metrics, p, y, fig_dir)
    figures = [("Confusion matrix (rows: truth, columns: predicted)", Path(files["confusion"])),
               ("Reliability diagram (calibration of the top-class probability)", Path(files["reliability"]))]
    return BatchEvaluation(metrics, format_metrics(metrics).replace("tiles:", "images:", 1), figures, len(labels))
