"""Hard-negative mining: lesion-free tiles that the network currently finds suspicious.

Random `none` crops are mostly plain soft tissue, which the network learns early; the false
alarms of a whole-plate scan come from the rarer busy backgrounds (ribs over lung, a humeral
head, trabecular bone, confusers). So, from epoch ``start_epoch`` on, each epoch begins by
scoring ``pool`` `none` tiles drawn as training draws them (``CropDataset.none_candidates``)
with the current network, and the ``keep`` with the strongest lesion evidence (1 - p_none)
make up ``share`` of that epoch's `none` tiles (augmented like every other crop). This is the
bootstrapping of Sung & Poggio (1998) and Felzenszwalb et al. (2010) on a fresh pool each
epoch; labels stay clean because every candidate lies away from any lesion box.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Callable

import numpy as np
import torch

from calcvision.model.data import NONE_IDX, CropDataset, make_tile, model_input

Candidate = tuple[int, tuple[int, int]]


@torch.no_grad()
def mine_hard_negatives(logits_of: Callable[[torch.Tensor], torch.Tensor], dataset: CropDataset, pool: int,
                        keep: int, key: tuple[int, ...], batch_size: int = 256,
                        context: Callable[[], AbstractContextManager] = nullcontext) -> tuple[list[Candidate], np.ndarray]:
    """The ``keep`` of ``pool`` candidate `none` tiles of ``dataset`` (drawn with ``key``)
    with the strongest lesion evidence under ``logits_of`` (tiles [B, 1, T, T] -> logits
    [B, 7], run inside ``context()``, e.g. the trainer's autocast), strongest first, and
    the evidence of all the candidates scored."""
    candidates = dataset.none_candidates(pool, key)
    if not candidates:
        return [], np.zeros(0)
    evidence = []
    for b in range(0, len(candidates), batch_size):
        x = torch.stack([model_input(make_tile(dataset.items[i], o, dataset.tile_px))
                         for i, o in candidates[b:b + batch_size]])
        with context():
            p = torch.softmax(logits_of(x).float(), dim=1)
        evidence.append((1.0 - p[:, NONE_IDX]).cpu().numpy())
    ev = np.concatenate(evidence)
    order = np.argsort(-ev, kind="stable")[:keep]
    return [candidates[j] for j in order], ev
