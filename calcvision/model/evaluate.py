"""Tile-level evaluation: accuracy, macro-F1, per-class recall, confusion matrix, `none`
false-positive rate (rates with 95 % Wilson intervals), expected calibration error; figures
written next to the JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from calcvision.model.calibration import ece_if_calibrated, expected_calibration_error
from calcvision.model.preprocess import DEFAULT_OVERLAP, tile_stride, uint16_tile_stack
from calcvision.model.tta import score_tiles
from calcvision.patterns import CLASS_INDEX, CLASSES, NONE


@torch.no_grad()
def predict_logits(net: nn.Module, dataset: Dataset, batch_size: int = 128, device: str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """Raw logits and labels for every tile of ``dataset`` (network in eval mode)."""
    was_training = net.training
    net.eval()
    out, labels = [], []
    for x, y in DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=0):
        out.append(net(x.to(device)).float().cpu())
        labels.append(torch.as_tensor(y))
    net.train(was_training)
    return torch.cat(out), torch.cat(labels)


def wilson_interval(k: int, n: int, z: float = 1.96) -> tuple[float, float] | None:
    """95 % (``z`` = 1.96) Wilson score interval of a rate of ``k`` in ``n`` independent trials;
    honest at 0 of n, where the normal approximation gives zero width. None when n = 0."""
    if n <= 0:
        return None
    p, z2 = k / n, z * z
    centre, half = (p + z2 / (2 * n)) / (1 + z2 / n), z * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


def ci_suffix(v: tuple[float, float] | list[float] | None) -> str:
    """`` (95 % CI lo-hi)`` of a ``wilson_interval`` (or its list in metrics.json); '' for None."""
    return "" if not v else f" (95 % CI {v[0]:.3f}-{v[1]:.3f})"


def compute_metrics(probs: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """Metrics of predicted probabilities ``[N, 7]`` against true class indices ``[N]``."""
    probs = np.asarray(probs, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    pred = probs.argmax(axis=1)
    k = len(CLASSES)
    cm = np.zeros((k, k), dtype=np.int64)
    np.add.at(cm, (labels, pred), 1)
    tp = np.diag(cm).astype(float)
    support = cm.sum(axis=1).astype(float)
    predicted = cm.sum(axis=0).astype(float)
    recall = np.divide(tp, support, out=np.full(k, np.nan), where=support > 0)
    precision = np.divide(tp, predicted, out=np.zeros(k), where=predicted > 0)
    f1 = np.divide(2 * precision * np.nan_to_num(recall), precision + np.nan_to_num(recall),
                   out=np.zeros(k), where=(precision + np.nan_to_num(recall)) > 0)
    present = support > 0
    ni = CLASS_INDEX[NONE]
    none_total = cm[ni].sum()
    lesion_total = cm.sum() - none_total
    nll = float(-np.mean(np.log(np.clip(probs[np.arange(len(labels)), labels], 1e-12, 1.0)))) if len(labels) else float("nan")
    return {
        "n": int(len(labels)),
        "accuracy": float((pred == labels).mean()) if len(labels) else float("nan"),
        "macro_f1": float(f1[present].mean()) if present.any() else float("nan"),
        "per_class_recall": {c: (None if np.isnan(r) else float(r)) for c, r in zip(CLASSES, recall)},
        "accuracy_ci95": wilson_interval(int(np.trace(cm)), int(len(labels))),
        "none_false_positive_rate": float((none_total - cm[ni, ni]) / none_total) if none_total else None,
        "none_false_positive_rate_ci95": wilson_interval(int(none_total - cm[ni, ni]), int(none_total)),
        "lesion_called_none_rate": float(cm[:, ni].sum() - cm[ni, ni]) / lesion_total if lesion_total else None,
        "ece": expected_calibration_error(probs, labels),
        "ece_if_calibrated": ece_if_calibrated(probs),
        "nll": nll,
        "confusion": cm.tolist(),
        "classes": list(CLASSES),
    }


def format_metrics(m: dict[str, Any]) -> str:
    """A short human-readable block (what `calcvision evaluate` prints)."""
    lines = [
        f"tiles: {m['n']}",
        f"accuracy: {m['accuracy']:.4f}{ci_suffix(m.get('accuracy_ci95'))}",
        f"macro-F1: {m['macro_f1']:.4f}",
        f"none false-positive rate: {m['none_false_positive_rate']:.4f}{ci_suffix(m.get('none_false_positive_rate_ci95'))}"
        if m["none_false_positive_rate"] is not None else "none false-positive rate: n/a",
        f"lesion called none: {m['lesion_called_none_rate']:.4f}" if m["lesion_called_none_rate"] is not None else "lesion called none: n/a",
        f"ECE: {m['ece']:.4f} (a perfectly calibrated model would show {m['ece_if_calibrated']:.4f} on as many)"
        f"   NLL: {m['nll']:.4f}",
        "per-class recall: " + ", ".join(f"{c} {r:.3f}" if r is not None else f"{c} n/a" for c, r in m["per_class_recall"].items()),
        "confusion (rows true, cols predicted; " + ", ".join(CLASSES) + "):",
    ]
    lines += ["  " + " ".join(f"{v:5d}" for v in row) + f"  {c}" for c, row in zip(CLASSES, m["confusion"])]
    im = m.get("image_level")
    if im:
        def f(v: Any) -> str:
            return "n/a" if v is None else f"{v:.4f}"
        lines.append(f"whole images ({im['images']}, tiled, image calibration a, b, c = {im['image_calibration']}, "
                     f"image temperature {im.get('image_temperature', 1.0):.3f}): accuracy "
                     f"{f(im['image_accuracy'])}{ci_suffix(im.get('image_accuracy_ci95'))}, none images called lesion "
                     f"{f(im['image_none_false_positive_rate'])}{ci_suffix(im.get('image_none_false_positive_rate_ci95'))}, "
                     f"lesions missed {f(im['image_lesion_missed_rate'])}, ECE {f(im.get('image_ece'))}, tiles of none images called lesion "
                     f"{f(im['none_image_tile_false_positive_rate'])} of {im['none_image_tiles']}")
    return "\n".join(lines)


def write_report(metrics: dict[str, Any], probs: np.ndarray, labels: np.ndarray, out_dir: str | Path) -> dict[str, str]:
    """Write metrics.json, confusion_matrix.png and reliability.png into ``out_dir``."""
    from calcvision.model.plots import confusion_png, reliability_png

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    confusion_png(np.array(metrics["confusion"]), out / "confusion_matrix.png")
    reliability_png(probs, labels, out / "reliability.png", metrics["ece"])
    return {"metrics": str(out / "metrics.json"), "confusion": str(out / "confusion_matrix.png"),
            "reliability": str(out / "reliability.png")}


def evaluate_net(net: nn.Module, temperature: float, dataset: Dataset, batch_size: int = 128) -> tuple[dict[str, Any], np.ndarray, np.ndarray]:
    """Metrics of ``softmax(net(x) / temperature)`` on a fixed tile dataset."""
    logits, labels = predict_logits(net, dataset, batch_size)
    probs = torch.softmax(logits / temperature, dim=1).numpy()
    return compute_metrics(probs, labels.numpy()), probs, labels.numpy()


def plate_tiles(pixels: np.ndarray, tile_px: int, overlap: float = DEFAULT_OVERLAP) -> torch.Tensor:
    """Every tile [N, 1, T, T] of a model-scale uint16 image, normalised and cut as
    ``calcvision infer --overlap`` cuts a plate (default: its default overlap)."""
    return torch.from_numpy(uint16_tile_stack(pixels, tile_px, tile_stride(tile_px, overlap))[0])[:, None]


@torch.no_grad()
def tile_maps(net: nn.Module, temperature: float, items: list, tile_px: int, batch_size: int = 128,
              tta_tiles: int = 0, overlap: float = DEFAULT_OVERLAP) -> list[torch.Tensor]:
    """Calibrated probabilities [N_i, 7] of every tile of each image, as ``calcvision infer``
    scores them: tiles sharing ``overlap`` with their neighbours, the ``tta_tiles`` most
    suspicious re-scored over eight views (``calcvision.model.tta``)."""
    ni = CLASS_INDEX[NONE]
    net.eval()

    def score(tiles: torch.Tensor) -> torch.Tensor:
        return torch.softmax(net(tiles) / temperature, 1)

    # item pixels are the uint16 levels inference tiles are cut from
    return [score_tiles(plate_tiles(it.pixels, tile_px, overlap), score, ni, tta_tiles, batch_size) for it in items]


def strongest_of(maps: list[torch.Tensor]) -> np.ndarray:
    """The probabilities [N, 7] (float64) of each image's tile with the strongest lesion
    evidence 1 - p_none, from its tile map [N_i, 7] (``tile_maps``)."""
    ni = CLASS_INDEX[NONE]
    best = [probs[int((1.0 - probs[:, ni]).argmax())].double().numpy() for probs in maps]
    return np.array(best).reshape(-1, len(CLASSES))


def strongest_tiles(net: nn.Module, temperature: float, items: list, tile_px: int,
                    batch_size: int = 128, tta_tiles: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    """Cover each image with tiles (``tile_maps``) and keep the calibrated probabilities of the
    tile with the strongest lesion evidence (1 - p_none).

    Returns (winning tile probabilities [N, 7], tiles per image [N], labels [N], tiles of the
    ``none`` images, of which called lesion by argmax)."""
    ni = CLASS_INDEX[NONE]
    maps = tile_maps(net, temperature, items, tile_px, batch_size, tta_tiles)
    labels = np.array([it.label for it in items])
    none_maps = [probs for probs, label in zip(maps, labels) if label == ni]
    none_tiles = sum(len(probs) for probs in none_maps)
    none_tile_fp = sum(int((probs.argmax(1) != ni).sum()) for probs in none_maps)
    return strongest_of(maps), np.array([len(probs) for probs in maps]), labels, none_tiles, none_tile_fp


def fit_image_level(net: nn.Module, temperature: float, items: list, tile_px: int, tta_tiles: int = 0,
                    domains: list[str] | None = None) -> tuple[tuple[float, float, float], float, dict[str, Any]]:
    """The image calibration (a, b, c) fitted on ``items`` (validation images, pooled), then the
    image temperature on the calibrated images' seven probabilities with every source in
    ``domains`` (one name per item) weighing the same (1.0 without ``domains``), both scored
    exactly as ``calcvision infer`` scores an image (``strongest_tiles``). Also, per source,
    the images, their accuracy and their image ECE without and with that temperature, and the
    temperature a pooled fit would give (what weighing the sources changed)."""
    from calcvision.model.calibration import fit_image_calibration, fit_image_temperature, image_probs, temper

    ni = CLASS_INDEX[NONE]
    best, n_tiles, labels, _, _ = strongest_tiles(net, temperature, items, tile_px, tta_tiles=tta_tiles)
    cal = fit_image_calibration(1.0 - best[:, ni], labels != ni, n_tiles)
    if domains is None:
        return cal, 1.0, {}
    probs = image_probs(best, ni, *cal, n_tiles=n_tiles)
    t = fit_image_temperature(probs, labels, domains)
    where = np.asarray(domains, dtype=str)
    per_source = {}
    for d in dict.fromkeys(domains):
        p, y = probs[where == d], labels[where == d]
        per_source[str(d)] = {"images": len(y), "accuracy": float((p.argmax(1) == y).mean()),
                              "image_ece": expected_calibration_error(p, y),
                              "image_ece_tempered": expected_calibration_error(temper(p, t), y)}
    return cal, t, {"pooled_temperature": fit_image_temperature(probs, labels), "sources": per_source}


def image_level(net: nn.Module, temperature: float, items: list, tile_px: int,
                image_calibration: tuple[float, ...] = (1.0, 0.0, 0.0), batch_size: int = 128,
                tta_tiles: int = 0, image_temperature: float = 1.0) -> dict[str, Any]:
    """Whole-image decisions the way ``calcvision infer`` makes them: the strongest tile's
    probabilities, recalibrated at image level (``image_calibration`` = (a, b, c) of
    :func:`calcvision.model.calibration.image_probs`, then ``temper`` by ``image_temperature``),
    arg-max. Also the tile-level false-positive rate over every tile of the ``none`` images
    (what a plate scan meets most)."""
    from calcvision.model.calibration import image_probs, temper

    ni = CLASS_INDEX[NONE]
    best, n_tiles, labels_a, none_tiles, none_tile_fp = strongest_tiles(net, temperature, items, tile_px, batch_size, tta_tiles)
    probs = temper(image_probs(best, ni, *image_calibration, n_tiles=n_tiles), image_temperature)
    preds_a = probs.argmax(1)
    is_none = labels_a == ni
    return {
        "images": int(len(labels_a)),
        "image_accuracy": float((preds_a == labels_a).mean()),
        "image_accuracy_ci95": wilson_interval(int((preds_a == labels_a).sum()), int(len(labels_a))),
        "image_none_false_positive_rate": float((preds_a[is_none] != ni).mean()) if is_none.any() else None,
        "image_none_false_positive_rate_ci95": wilson_interval(int((preds_a[is_none] != ni).sum()), int(is_none.sum())),
        "image_lesion_missed_rate": float((preds_a[~is_none] == ni).mean()) if (~is_none).any() else None,
        "image_ece": expected_calibration_error(probs, labels_a),
        "image_ece_if_calibrated": ece_if_calibrated(probs),
        "none_image_tiles": none_tiles,
        "none_image_tile_false_positive_rate": none_tile_fp / none_tiles if none_tiles else None,
        "image_calibration": list(image_calibration),
        "image_temperature": float(image_temperature),
        "tta_tiles": int(tta_tiles),
    }
