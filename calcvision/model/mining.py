"""Hard-example mining: training tiles that the network currently gets most wrong.

Random `none` crops are mostly plain soft tissue, which the network learns early; the false
alarms of a whole-plate scan come from the rarer busy backgrounds (ribs over lung, a humeral
head, trabecular bone, confusers). So, from epoch ``start_epoch`` on, each epoch begins by
scoring ``pool`` tiles of a class drawn as training draws them (``CropDataset.candidates``)
with the current network, and the ``keep`` it finds hardest (lowest probability of their own
class: for `none` tiles, the strongest lesion evidence 1 - p_none) make up ``share`` of that
epoch's tiles of the class (augmented like every other crop). This is the bootstrapping of
Sung & Poggio (1998) and Felzenszwalb et al. (2010) on a fresh pool each epoch; the labels
stay clean because `none` candidates lie away from any lesion box and lesion candidates are
cut as every lesion crop is (holding the lesion box, or centred near its dense pixels).
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Callable

import numpy as np
import torch

from calcvision.model.data import CropDataset, make_tile, model_input

Candidate = tuple[int, tuple[int, int]]


@torch.no_grad()
def mine_hard_examples(logits_of: Callable[[torch.Tensor], torch.Tensor], dataset: CropDataset, cls: int,
                       pool: int, keep: int, key: tuple[int, ...], batch_size: int = 256,
                       context: Callable[[], AbstractContextManager] = nullcontext) -> tuple[list[Candidate], np.ndarray]:
    """The ``keep`` of ``pool`` candidate tiles of class ``cls`` of ``dataset`` (drawn with
    ``key``) that are hardest under ``logits_of`` (tiles [B, 1, T, T] -> logits [B, 7], run
    inside ``context()``, e.g. the trainer's autocast), hardest first, and the hardness
    ``1 - p_cls`` of all the candidates scored."""
    candidates = dataset.candidates(cls, pool, key)
    if not candidates:
        return [], np.zeros(0)
    hardness = []
    for b in range(0, len(candidates), batch_size):
        x = torch.stack([model_input(make_tile(dataset.items[i], o, dataset.tile_px))
                         for i, o in candidates[b:b + batch_size]])
        with context():
            p = torch.softmax(logits_of(x).float(), dim=1)
        hardness.append((1.0 - p[:, cls]).cpu().numpy())
    h = np.concatenate(hardness)
    order = np.argsort(-h, kind="stable")[:keep]
    return [candidates[j] for j in order], h
