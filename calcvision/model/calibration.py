"""Calibration: temperature scaling and expected calibration error (ECE).

The differential engine reads the seven probabilities as soft evidence, so they must mean what
they say. One scalar temperature T (softmax(logits / T)) is fitted on held-out validation
tiles by minimising the negative log-likelihood (Guo et al. 2017); the test set is never used.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from scipy.special import softmax


def fit_temperature(logits: torch.Tensor, labels: torch.Tensor, max_iter: int = 200,
                    weights: torch.Tensor | None = None) -> float:
    """The temperature in [0.05, 20] minimising NLL of ``softmax(logits / T)`` on ``labels``
    (each sample's NLL times its ``weights`` entry, when given)."""
    logits = logits.detach().double()
    labels = labels.detach().long()
    w = None if weights is None else torch.as_tensor(weights, dtype=torch.float64)
    log_t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([log_t], lr=0.1, max_iter=max_iter, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        nll = F.cross_entropy(logits / log_t.exp(), labels, reduction="none")
        loss = nll.mean() if w is None else (nll * w).sum() / w.sum()
        loss.backward()
        return loss

    opt.step(closure)
    return float(np.clip(log_t.exp().item(), 0.05, 20.0))


def reliability_bins(probs: np.ndarray, labels: np.ndarray, n_bins: int = 15) -> dict[str, np.ndarray]:
    """Top-label confidence histogram: per bin the count, mean confidence and accuracy."""
    conf = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == labels).astype(np.float64)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    idx = np.clip(np.digitize(conf, edges[1:-1], right=True), 0, n_bins - 1)
    count = np.bincount(idx, minlength=n_bins).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.bincount(idx, weights=conf, minlength=n_bins) / count
        acc = np.bincount(idx, weights=correct, minlength=n_bins) / count
    return {"edges": edges, "count": count, "confidence": mean_conf, "accuracy": acc}


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, n_bins: int = 15) -> float:
    """ECE: the count-weighted mean |accuracy - confidence| over top-label confidence bins."""
    b = reliability_bins(probs, labels, n_bins)
    used = b["count"] > 0
    gap = np.abs(b["accuracy"][used] - b["confidence"][used])
    return float((gap * b["count"][used]).sum() / max(1.0, b["count"].sum()))


def ece_if_calibrated(probs: np.ndarray, n_bins: int = 15, draws: int = 200, seed: int = 0) -> float:
    """The ECE a perfectly calibrated model with these predictions would show on this many
    samples: the mean ECE when each top label is right with exactly its confidence.

    Why: the binned ECE is biased upward on small sets (a few hundred tiles give a few
    hundredths from sampling alone), so a measured ECE is read against this floor."""
    conf = np.asarray(probs, dtype=np.float64).max(axis=1)
    if conf.size == 0:
        return float("nan")
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    idx = np.clip(np.digitize(conf, edges[1:-1], right=True), 0, n_bins - 1)
    conf_sum = np.bincount(idx, weights=conf, minlength=n_bins)
    correct = np.random.default_rng(seed).random((draws, conf.size)) < conf
    acc_sum = np.stack([np.bincount(idx, weights=c, minlength=n_bins) for c in correct.astype(np.float64)])
    return float(np.abs(acc_sum - conf_sum).sum(axis=1).mean() / conf.size)


def _logit(p: np.ndarray | torch.Tensor) -> torch.Tensor:
    p = torch.as_tensor(p, dtype=torch.float64).clamp(1e-7, 1 - 1e-7)
    return torch.log(p) - torch.log1p(-p)


def fit_image_calibration(evidence: np.ndarray, is_lesion: np.ndarray, n_tiles: np.ndarray | None = None,
                          max_iter: int = 200) -> tuple[float, ...]:
    """Platt scaling of an image's lesion evidence ``e`` (1 - p_none of its strongest tile),
    fitted by NLL on validation images (never the test set): ``(a, b)`` with a > 0 such that
    ``sigmoid(a * logit(e) + b)`` is the probability that the image holds a lesion or, given
    each image's number of tiles, ``(a, b, c)`` with c >= 0 for
    ``sigmoid(a * logit(e) + b - c * ln(n_tiles))``.

    Why: the strongest of many tiles is a maximum, so tile-calibrated evidence overstates
    the image's lesion probability, and the more so the more tiles there are: for a lesion-free
    image the chance that some tile fires grows about in proportion to their number, which is
    what ``c`` (about 1 for independent tiles) takes off the log-odds."""
    x = _logit(evidence)
    y = torch.as_tensor(is_lesion, dtype=torch.float64)
    if y.min() == y.max():  # one class only: nothing to fit
        return (1.0, 0.0) if n_tiles is None else (1.0, 0.0, 0.0)
    k = None if n_tiles is None else torch.log(torch.as_tensor(n_tiles, dtype=torch.float64).clamp(min=1))
    params = torch.zeros(2 if k is None else 3, dtype=torch.float64, requires_grad=True)  # log a, b[, c]
    opt = torch.optim.LBFGS([params], lr=0.1, max_iter=max_iter, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        z = params[0].exp() * x + params[1]
        if k is not None:
            z = z - params[2] * k
        loss = F.binary_cross_entropy_with_logits(z, y)
        loss.backward()
        return loss

    opt.step(closure)
    a, b = float(np.clip(params[0].detach().exp(), 0.05, 20.0)), float(np.clip(params[1].detach(), -20.0, 20.0))
    return (a, b) if k is None else (a, b, float(np.clip(params[2].detach(), 0.0, 3.0)))


def image_probs(tile_probs: np.ndarray, none_index: int, a: float = 1.0, b: float = 0.0, c: float = 0.0,
                n_tiles: np.ndarray | float = 1.0) -> np.ndarray:
    """The image's seven probabilities from its strongest tile's ``tile_probs`` (``[..., 7]``):
    the lesion classes keep their shares of the lesion mass, which becomes
    ``sigmoid(a * logit(1 - p_none) + b - c * ln(n_tiles))`` (``n_tiles``: the image's number of
    tiles). ``a = 1, b = 0, c = 0`` returns the tile's probabilities."""
    p = np.asarray(tile_probs, dtype=np.float64)
    e = 1.0 - p[..., none_index]
    shift = c * np.log(np.maximum(np.asarray(n_tiles, dtype=np.float64), 1.0))
    cal = torch.sigmoid(a * _logit(e) + b - torch.as_tensor(shift, dtype=torch.float64)).numpy()
    scale = np.divide(cal, e, out=np.zeros_like(e), where=e > 0)
    out = p * scale[..., None]
    out[..., none_index] = 1.0 - cal
    return out / out.sum(axis=-1, keepdims=True)


def temper(probs: np.ndarray, t: float) -> np.ndarray:
    """``probs`` (``[..., K]``, summing to 1) raised to ``1 / t`` and renormalised: the same
    arg-max, less sure for t > 1. t = 1 returns them unchanged."""
    p = np.asarray(probs, dtype=np.float64)
    if t == 1.0:
        return p
    return softmax(np.log(np.clip(p, 1e-12, 1.0)) / t, axis=-1)


def domain_weights(domains: list[str]) -> np.ndarray:
    """One weight per sample such that every domain (data source) weighs the same in total."""
    names, index, counts = np.unique(np.asarray(domains, dtype=str), return_inverse=True, return_counts=True)
    return len(domains) / (len(names) * counts[index].astype(np.float64))


def fit_image_temperature(probs: np.ndarray, labels: np.ndarray, domains: list[str] | None = None) -> float:
    """The temperature t of :func:`temper` for images' seven probabilities ``probs``, fitted by
    NLL on validation images with every data source (``domains``) weighing the same.

    Why: a network trained on several simulators is over-confident on images unlike all of
    them (docs/model.md, "Confidence on images unlike the training ones"); fitting one
    temperature across several source domains, rather than on the pooled images where the
    largest source dominates, carries calibration better to unseen ones (Gong et al., ICCV
    2021; Wald et al., NeurIPS 2021)."""
    w = None if domains is None else torch.from_numpy(domain_weights(domains))
    log_p = torch.from_numpy(np.log(np.clip(np.asarray(probs, dtype=np.float64), 1e-12, 1.0)))
    return fit_temperature(log_p, torch.as_tensor(np.asarray(labels), dtype=torch.long), weights=w)


def shift_lesion_prevalence(b: float, from_prevalence: float, to_prevalence: float) -> float:
    """The intercept ``b`` of :func:`image_probs` for images of which ``to_prevalence`` hold a
    lesion, from one fitted where ``from_prevalence`` did (both shares in (0, 1)). If the
    images of each class look the same in both settings (label shift), Bayes' rule moves only
    the prior odds: ``b + logit(to) - logit(from)`` (Saerens et al., Neural Computation 2002)."""
    for v in (from_prevalence, to_prevalence):
        if not 0.0 < v < 1.0:
            raise ValueError(f"a lesion prevalence must be strictly between 0 and 1, got {v}")
    return float(b + _logit(to_prevalence) - _logit(from_prevalence))
