#!/usr/bin/env python
"""Whole-image lesion-vs-`none` separation of one or more models (and of their average).

    PYTHONPATH=. .venv/bin/python scripts/image_operating_points.py --model A.safetensors --model B.safetensors [--ensemble]

``calcvision infer`` calls an image from its most suspicious tile, so what a user meets is the
separation of lesion images from lesion-free ones by that tile's lesion evidence 1 - p_none,
not the tile accuracy. On the held-out phantoms of each ``--seed`` (512 x 512, as
``calcvision evaluate --shape 512 512``), tiled and scored as ``calcvision infer`` scores them
(``calcvision.model.evaluate.tile_maps``), this prints for each model:
- AUC: the probability that a lesion image's strongest evidence exceeds a lesion-free image's;
- its decisions with an image calibration fitted, as training fits it, on the validation
  phantoms of ``--fit-seed``: accuracy, lesion-free images called a lesion, lesion images
  called `none`, lesion images given the wrong pattern;
- the share of lesion images missed when the threshold on the evidence lets each model call
  the same ``--fp`` share of the lesion-free images a lesion (lower is better separation).
``--ensemble`` adds the average of the models' tile probabilities as one more model.
``--head-from CKPT`` (the training checkpoint of the first model's run, trained with
``optim.lesion_map_weight`` > 0) adds two scores for the AUC and the missed shares: the
strongest cell of that run's lesion-map head over the image's tiles, and the mean of its logit
and the first model's evidence logit.
``--aggregates`` adds, for the AUC and the missed shares, other ways to pool the first model's
tile evidence into one score per image (``AGGREGATES``): the second strongest tile, a
log-sum-exp and a noisy-OR over all tiles, and the number of tiles with evidence over 0.5;
and, for the lesion images, the share given their pattern when it is read from the strongest
tile (as ``calcvision infer`` reads it) or from the evidence-weighted sum of the six lesion
probabilities over the tiles with at least ``k`` x the strongest tile's evidence
(``PATTERN_SUPPORT``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from scipy.special import expit, logit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from tile_operating_points import comparison_arguments, compared_models, held_out  # noqa: E402

from calcvision.model.calibration import fit_image_calibration, image_probs  # noqa: E402
from calcvision.model.data import NONE_IDX  # noqa: E402
from calcvision.model.evaluate import plate_tiles, strongest_of, tile_maps  # noqa: E402
from calcvision.model.preprocess import DEFAULT_OVERLAP  # noqa: E402


def auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """P(a positive scores above a negative), ties counted half."""
    return float((pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean())


def _evidence_logit(evidence: np.ndarray) -> np.ndarray:
    """Logit of lesion evidence (0-1), kept finite at 0 and 1."""
    return logit(np.clip(evidence, 1e-7, 1 - 1e-7))


def _logits(probs: torch.Tensor) -> np.ndarray:
    """Lesion-evidence logits of an image's tiles, strongest first."""
    return np.sort(_evidence_logit(1.0 - probs[:, NONE_IDX].double().numpy()))[::-1]


AGGREGATES = {
    "second strongest tile": lambda z: z[min(1, len(z) - 1)],
    "log-sum-exp of tile logits": lambda z: np.logaddexp.reduce(z),
    "noisy-OR of tiles": lambda z: np.logaddexp(0.0, z).sum(),  # -ln P(no tile holds a lesion): sum of -ln(1 - e)
    "tiles with evidence > 0.5": lambda z: float((z > 0).sum()),
}
"""Whole-image scores from a tile map's evidence logits (``_logits``), besides the strongest tile."""

PATTERN_SUPPORT = (1.0, 0.8, 0.5, 0.3)
"""``k`` of the pattern rules: 1.0 is the strongest tile alone."""


def pooled_pattern(probs: torch.Tensor, k: float) -> int:
    """The lesion class with the largest evidence-weighted probability summed over the tiles
    whose lesion evidence is at least ``k`` x the strongest tile's (``k`` = 1: that tile alone)."""
    p = probs.double().numpy()
    evidence = 1.0 - p[:, NONE_IDX]
    support = evidence >= k * evidence.max()
    lesion = np.delete(p, NONE_IDX, axis=1)[support] * evidence[support, None]
    cls = int(lesion.sum(0).argmax())
    return cls + int(cls >= NONE_IDX)


def missed_at(score: np.ndarray, none: np.ndarray, fps: list[float]) -> list[float]:
    """Share of lesion images at or under the threshold that calls each ``fps`` share of the
    lesion-free ones (``none``) a lesion."""
    return [float((score[~none] <= np.quantile(score[none], 1 - fp)).mean()) for fp in fps]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    comparison_arguments(ap)
    ap.add_argument("--ensemble", action="store_true", help="also the average of the models' tile probabilities")
    ap.add_argument("--fit-seed", type=int, default=2, help="validation phantoms the image calibration is fitted on")
    ap.add_argument("--overlap", type=float, default=DEFAULT_OVERLAP,
                    help="share of a tile its neighbours overlap, as calcvision infer --overlap (default %(default)s)")
    ap.add_argument("--fp", type=float, nargs="+", default=[0.05, 0.1, 0.2],
                    help="shares of the lesion-free images called a lesion to compare at")
    ap.add_argument("--head-from", default=None, metavar="CKPT", help="also score by this run's lesion-map head (above)")
    ap.add_argument("--aggregates", action="store_true", help="also pool the first model's tiles in other ways (above)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    models, mpp, tile = compared_models(args.model)
    head = None
    if args.head_from:
        from tune_box import head_maps, lesion_map_head

        head = lesion_map_head(args.head_from, models[0][1])

    names = [name for name, _ in models] + (["ensemble (mean)"] if args.ensemble else [])

    def scored(seed: int, with_extra: bool = True) -> tuple[list[np.ndarray], np.ndarray, np.ndarray,
                                                            dict[str, np.ndarray], dict[float, np.ndarray]]:
        """The strongest tile of each image, per entry of ``names``, the tiles per image, the
        labels, the extra scores per image: (with ``--head-from``) the head's strongest cell,
        (with ``--aggregates``) the first model's other poolings, and (with ``--aggregates``) the
        first model's pattern per image for each ``k`` of ``PATTERN_SUPPORT``."""
        items = held_out(seed, args.per_class, mpp, args.cache)
        maps = [tile_maps(m.net, m.temperature, items, tile, tta_tiles=m.tta_tiles, overlap=args.overlap)
                for _, m in models]
        best = [strongest_of(v) for v in maps]
        if args.ensemble:
            best.append(strongest_of([torch.stack(ms).mean(0) for ms in zip(*maps)]))
        extra, patterns = {}, {}
        if head is not None and with_extra:
            cell = np.array([float(head_maps(head, plate_tiles(it.pixels, tile, args.overlap)).max()) for it in items])
            extra["lesion-map head, strongest cell"] = cell
            extra["head and evidence, mean logit"] = expit(_evidence_logit(np.stack([cell, 1.0 - best[0][:, NONE_IDX]])).mean(0))
        if args.aggregates and with_extra:
            z = [_logits(m) for m in maps[0]]
            extra.update({name: np.array([f(v) for v in z]) for name, f in AGGREGATES.items()})
            patterns = {k: np.array([pooled_pattern(m, k) for m in maps[0]]) for k in PATTERN_SUPPORT}
        return best, np.array([len(m) for m in maps[0]]), np.array([it.label for it in items]), extra, patterns

    fit_best, fit_n, fit_labels, _, _ = scored(args.fit_seed, with_extra=False)
    calib = [fit_image_calibration(1.0 - b[:, NONE_IDX], fit_labels != NONE_IDX, fit_n) for b in fit_best]
    print(f"{'seed':>4} {'model':<32} {'AUC':>6} {'accuracy':>9} {'none -> lesion':>15} {'lesion -> none':>15} "
          f"{'wrong pattern':>14}  " + "  ".join(f"missed @ FP {fp:.2f}" for fp in args.fp))
    for seed in args.seed or [3, 4]:
        best, n_tiles, labels, extra, patterns = scored(seed)
        none = labels == NONE_IDX
        for name, b, cal in zip(names, best, calib):
            e = 1.0 - b[:, NONE_IDX]
            pred = image_probs(b, NONE_IDX, *cal, n_tiles=n_tiles).argmax(1)
            at = missed_at(e, none, args.fp)
            print(f"{seed:>4} {name[-32:]:<32} {auc(e[~none], e[none]):>6.3f} {(pred == labels).mean():>9.3f} "
                  f"{(pred[none] != NONE_IDX).mean():>15.3f} {(pred[~none] == NONE_IDX).mean():>15.3f} "
                  f"{((pred != labels) & (pred != NONE_IDX))[~none].mean():>14.3f}  " + "  ".join(f"{a:>15.3f}" for a in at))
        for name, e in extra.items():
            at = missed_at(e, none, args.fp)
            print(f"{seed:>4} {name[:32]:<32} {auc(e[~none], e[none]):>6.3f} {'':>9} {'':>15} {'':>15} {'':>14}  "
                  + "  ".join(f"{a:>15.3f}" for a in at))
        for k, pattern in patterns.items():
            right = pattern[~none] == labels[~none]
            print(f"{seed:>4} {f'pattern, k {k}':<32} lesion images given their pattern {right.mean():.3f} "
                  f"({int(right.sum())} of {len(right)})")
        print(f"     (seed {seed}: {int(none.sum())} lesion-free and {int((~none).sum())} lesion images; "
              f"image calibration fitted on seed {args.fit_seed}; tile overlap {args.overlap})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
