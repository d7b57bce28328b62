"""The LightningModule: a network from :mod:`calcvision.model.network` trained with
cross-entropy, AdamW and a warm-up + cosine learning-rate schedule; optionally with an
auxiliary lesion-map loss on the class-activation-map layer (``lesion_map_weight``)."""

from __future__ import annotations

import math
from typing import Any

import pytorch_lightning as pl
import torch
import torch.nn.functional as F

from calcvision.model.data import MASK_UNKNOWN
from calcvision.model.network import build_network, target_layer
from calcvision.patterns import CLASSES


class CalcLightningModule(pl.LightningModule):
    """Hyper-parameters are plain values (saved in Lightning checkpoints; resumable with
    ``weights_only`` loading).

    ``lesion_map_weight`` > 0 adds a training-only head: a 1 x 1 convolution on the feature map
    of :func:`calcvision.model.network.target_layer` (a ResNet's third stage, 1/16 of the tile)
    that predicts, per cell, whether the cell holds a lesion pixel, trained with binary
    cross-entropy against the crop's lesion mask (batches ``(x, y, mask)``: ``CropDataset(masks=True)``;
    cells of unknown masks are ignored) and weighted by ``lesion_map_weight``. It tells the
    network where in a lesion crop the lesion is and that every other cell, bone ends and ribs
    included, is not. The head is not part of ``self.net``, so model files and exports do not
    carry it."""

    def __init__(self, arch: str, arch_kwargs: dict[str, Any], mm_per_pixel: float, tile_px: int,
                 lr: float = 3e-3, weight_decay: float = 1e-4, label_smoothing: float = 0.0,
                 lesion_map_weight: float = 0.0, decay_norm_bias: bool = True) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.net = build_network(arch, len(CLASSES), **arch_kwargs).to(memory_format=torch.channels_last)
        self._val: list[tuple[torch.Tensor, torch.Tensor]] = []
        self._features: torch.Tensor | None = None
        self.map_head: torch.nn.Module | None = None
        if lesion_map_weight > 0:
            layer = target_layer(self.net)
            layer.register_forward_hook(self._keep_features)
            with torch.no_grad():
                was = self.net.training
                self.net.eval()
                self.net(torch.zeros(1, 1, tile_px, tile_px))
                self.net.train(was)
            self.map_head = torch.nn.Conv2d(self._features.shape[1], 1, 1)
            self._features = None

    def _keep_features(self, module: torch.nn.Module, inputs: Any, output: torch.Tensor) -> None:
        self._features = output

    def map_logits(self) -> torch.Tensor:
        """The lesion-map head's logits [B, 1, h, w] for the tiles of the last forward pass."""
        return self.map_head(self._features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # channels_last: about 1.3-1.8x faster convolutions on CPU (scripts/bench_train_throughput.py)
        return self.net(x.contiguous(memory_format=torch.channels_last))

    def training_step(self, batch: tuple[torch.Tensor, ...], batch_idx: int) -> torch.Tensor:
        x, y = batch[0], batch[1]
        logits = self(x)
        loss = F.cross_entropy(logits, y, label_smoothing=self.hparams.label_smoothing)
        if self.map_head is not None:
            if len(batch) < 3:
                raise ValueError("lesion_map_weight > 0 needs batches (tiles, labels, lesion masks)")
            map_loss = self._map_loss(self.map_logits().float(), batch[2])
            self.log("train_map_loss", map_loss, on_step=False, on_epoch=True, batch_size=len(y))
            loss = loss + self.hparams.lesion_map_weight * map_loss
        acc = (logits.argmax(1) == y).float().mean()
        self.log("train_loss", loss, prog_bar=True, on_step=True, on_epoch=True, batch_size=len(y))
        self.log("train_acc", acc, prog_bar=True, on_step=False, on_epoch=True, batch_size=len(y))
        return loss

    @staticmethod
    def _map_loss(map_logits: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
        """Binary cross-entropy of ``map_logits`` [B, 1, h, w] against whether each of the h x w
        cells of ``masks`` [B, T, T] (uint8) holds a lesion pixel; images with an unknown mask
        (``MASK_UNKNOWN``) are left out."""
        known = masks[:, 0, 0] != MASK_UNKNOWN
        if not bool(known.any()):
            return map_logits.sum() * 0.0
        cells = F.adaptive_max_pool2d(masks[known, None].float(), map_logits.shape[-2:])
        return F.binary_cross_entropy_with_logits(map_logits[known], cells)

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        x, y = batch
        logits = self(x)
        self.log("val_loss", F.cross_entropy(logits, y), prog_bar=True, on_epoch=True, batch_size=len(y), sync_dist=True)
        self.log("val_acc", (logits.argmax(1) == y).float().mean(), prog_bar=True, on_epoch=True,
                 batch_size=len(y), sync_dist=True)

    def _param_groups(self) -> list[dict[str, Any]]:
        """All parameters in one group; with ``decay_norm_bias`` off, the one-dimensional ones
        (BatchNorm scales and shifts, biases) in a second group without weight decay: decay
        shrinks a norm layer's scale, which the next layer undoes, so it regularises nothing there."""
        params = [p for p in self.parameters() if p.requires_grad]
        if self.hparams.decay_norm_bias:
            return [{"params": params}]
        return [{"params": [p for p in params if p.ndim > 1]},
                {"params": [p for p in params if p.ndim <= 1], "weight_decay": 0.0}]

    def configure_optimizers(self) -> Any:
        """AdamW with linear warm-up (15 % of the steps) then cosine decay. The schedule is a
        function of the step and of this run's total, so a resumed run may extend max_epochs."""
        opt = torch.optim.AdamW(self._param_groups(), lr=self.hparams.lr, weight_decay=self.hparams.weight_decay)
        total = max(1, int(self.trainer.estimated_stepping_batches))
        warm = max(1, int(0.15 * total))

        def factor(step: int) -> float:
            if step < warm:
                return 0.04 + 0.96 * step / warm
            return 0.5 * (1 + math.cos(math.pi * min(1.0, (step - warm) / max(1, total - warm)))) + 1e-3

        sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}
