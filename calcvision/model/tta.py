"""Test-time augmentation of the most suspicious tiles over the eight flips and quarter turns
(the dihedral group): a calcification means the same in any of them, and training augments
with all eight. Used by ``calcvision infer`` and by the whole-image evaluation and image-level
calibration, so that the calibration is fitted on the probabilities inference produces.

Two tiles (16 extra tile forwards per image) were chosen on the selection phantoms
(``scripts/tune_tta.py``); on the test phantoms and the infer benchmark it made no measurable
difference (figures in docs/model.md and the model card).
"""

from __future__ import annotations

from typing import Callable

import torch


def dihedral_views(tiles: torch.Tensor) -> torch.Tensor:
    """The eight views ``[8 * N, C, T, T]`` of square tiles ``[N, C, T, T]``, view-major
    (the first N are the tiles themselves)."""
    views = []
    for k in range(4):
        turned = torch.rot90(tiles, k, (2, 3))
        views += [turned, torch.flip(turned, (3,))]
    return torch.cat(views)


def refine_strongest(probs: torch.Tensor, tiles: torch.Tensor, score: Callable[[torch.Tensor], torch.Tensor],
                     none_index: int, k: int) -> torch.Tensor:
    """``probs`` [N, 7] (calibrated, on the CPU) with the rows of the ``k`` tiles of strongest
    lesion evidence (lowest ``p_none``) replaced by the mean of ``score`` over their eight
    views. ``tiles`` [N, 1, T, T] are what ``probs`` was scored from. ``k`` = 0: unchanged."""
    k = min(int(k), len(probs))
    if k <= 0:
        return probs
    top = torch.argsort(probs[:, none_index])[:k]
    views = dihedral_views(tiles[top.to(tiles.device)])
    mean = score(views).float().reshape(8, k, -1).mean(0).cpu()
    out = probs.clone()
    out[top] = mean.to(out.dtype)
    return out


def score_tiles(tiles: torch.Tensor, score: Callable[[torch.Tensor], torch.Tensor], none_index: int, k: int,
                batch_size: int = 128) -> torch.Tensor:
    """Calibrated probabilities [N, 7] (float32, on the CPU) of ``tiles`` [N, 1, T, T], scored in
    batches of ``batch_size``, the ``k`` most suspicious then refined (``refine_strongest``):
    the one path by which inference scores a plate and evaluation fits the image calibration."""
    probs = torch.cat([score(tiles[i:i + batch_size]).float().cpu() for i in range(0, len(tiles), batch_size)])
    return refine_strongest(probs, tiles, score, none_index, k)
