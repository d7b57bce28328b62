"""Figures written to PNG: confusion matrix, reliability diagram and learning curve.

Figures are drawn on ``matplotlib.figure.Figure`` objects with their own Agg canvas, so
importing this module never changes the global backend (plots in Jupyter keep working)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from calcvision.model.calibration import reliability_bins
from calcvision.patterns import CLASSES


def confusion_png(confusion: np.ndarray, path: str | Path, title: str = "Confusion matrix") -> Path:
    """Rows: true class, columns: predicted class; cells show counts, colour the row fraction."""
    cm = np.asarray(confusion, dtype=float)
    frac = cm / np.maximum(1, cm.sum(axis=1, keepdims=True))
    fig = Figure(figsize=(7.5, 6.5))
    ax = fig.subplots()
    ax.imshow(frac, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(CLASSES)), CLASSES, rotation=45, ha="right")
    ax.set_yticks(range(len(CLASSES)), CLASSES)
    for i in range(cm.shape[0]):
        for j in range(cm.shape[1]):
            ax.text(j, i, f"{int(cm[i, j])}", ha="center", va="center", color="white" if frac[i, j] > 0.5 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return Path(path)


def reliability_png(probs: np.ndarray, labels: np.ndarray, path: str | Path, ece: float, n_bins: int = 15) -> Path:
    """Reliability diagram: accuracy vs mean confidence per confidence bin, with the diagonal."""
    b = reliability_bins(probs, labels, n_bins)
    centres = (b["edges"][:-1] + b["edges"][1:]) / 2
    used = b["count"] > 0
    fig = Figure(figsize=(5.5, 5.5))
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], "k--", lw=1, label="perfect calibration")
    ax.bar(centres[used], b["accuracy"][used], width=1 / n_bins, edgecolor="k", alpha=0.7, label="accuracy")
    ax.plot(b["confidence"][used], b["accuracy"][used], "o-", color="C3", label="mean confidence")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("confidence (top class)")
    ax.set_ylabel("accuracy")
    ax.set_title(f"Reliability (ECE = {ece:.4f}, n = {int(b['count'].sum())})")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return Path(path)


def metrics_logs(run_dir: str | Path) -> list[Path]:
    """The run's Lightning CSV logs, ``logs/version_N/metrics.csv``, oldest first (a resumed run
    logs to a new version folder; version_10 comes after version_9)."""
    return sorted(Path(run_dir).glob("logs/version_*/metrics.csv"), key=lambda f: int(f.parent.name.split("_")[1]))


def epoch_series(metrics_csvs: Sequence[str | Path], keys: Sequence[str]) -> dict[str, dict[int, float]]:
    """``{key: {epoch: value}}`` from Lightning CSV logs given oldest first (:func:`metrics_logs`);
    for an epoch logged twice the later file wins."""
    series: dict[str, dict[int, float]] = {k: {} for k in keys}
    for f in metrics_csvs:
        with open(f, newline="") as fh:
            for row in csv.DictReader(fh):
                for k in keys:
                    if row.get(k):
                        series[k][int(row["epoch"])] = float(row[k])
    return series


def learning_curve_png(metrics_csvs: Sequence[str | Path], path: str | Path) -> Path:
    """Per-epoch accuracy (training crops, validation tiles), validation loss and the share of
    mined candidates called a lesion, from the logs of :func:`epoch_series`."""
    series = epoch_series(metrics_csvs, ("train_acc", "val_acc", "val_loss", "mined_pool_false_alarm_rate"))
    fig = Figure(figsize=(10, 4))
    acc, loss = fig.subplots(1, 2)
    for k, label, style in (("train_acc", "training accuracy (augmented crops)", "o-"),
                            ("val_acc", "validation accuracy", "s-"),
                            ("mined_pool_false_alarm_rate", "mined candidates called a lesion", "^--")):
        if series[k]:
            acc.plot(*zip(*sorted(series[k].items())), style, ms=3, label=label)
    acc.set_ylim(0, 1)
    acc.set_xlabel("epoch")
    acc.set_ylabel("share")
    acc.legend(loc="center right", fontsize=8)
    acc.set_title("Accuracy")
    if series["val_loss"]:
        loss.plot(*zip(*sorted(series["val_loss"].items())), "s-", ms=3, color="C1")
    loss.set_xlabel("epoch")
    loss.set_ylabel("cross-entropy (nats)")
    loss.set_title("Validation loss")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return Path(path)
