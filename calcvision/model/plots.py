"""Evaluation figures written to PNG: confusion matrix and reliability diagram.

Figures are drawn on ``matplotlib.figure.Figure`` objects with their own Agg canvas, so
importing this module never changes the global backend (plots in Jupyter keep working)."""

from __future__ import annotations

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
