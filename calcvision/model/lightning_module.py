"""The LightningModule: a network from :mod:`calcvision.model.network` trained with
cross-entropy, AdamW and a warm-up + cosine learning-rate schedule."""

from __future__ import annotations

import math
from typing import Any

import pytorch_lightning as pl
import torch
import torch.nn.functional as F

from calcvision.model.network import build_network
from calcvision.patterns import CLASSES


class CalcLightningModule(pl.LightningModule):
    """Hyper-parameters are plain values (saved in Lightning checkpoints; resumable with
    ``weights_only`` loading)."""

    def __init__(self, arch: str, arch_kwargs: dict[str, Any], mm_per_pixel: float, tile_px: int,
                 lr: float = 3e-3, weight_decay: float = 1e-4, label_smoothing: float = 0.0) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.net = build_network(arch, len(CLASSES), **arch_kwargs).to(memory_format=torch.channels_last)
        self._val: list[tuple[torch.Tensor, torch.Tensor]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # channels_last: about 1.3-1.8x faster convolutions on CPU (scripts/bench_train_throughput.py)
        return self.net(x.contiguous(memory_format=torch.channels_last))

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> torch.Tensor:
        x, y = batch
        logits = self(x)
        loss = F.cross_entropy(logits, y, label_smoothing=self.hparams.label_smoothing)
        acc = (logits.argmax(1) == y).float().mean()
        self.log("train_loss", loss, prog_bar=True, on_step=True, on_epoch=True, batch_size=len(y))
        self.log("train_acc", acc, prog_bar=True, on_step=False, on_epoch=True, batch_size=len(y))
        return loss

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        x, y = batch
        logits = self(x)
        self.log("val_loss", F.cross_entropy(logits, y), prog_bar=True, on_epoch=True, batch_size=len(y), sync_dist=True)
        self.log("val_acc", (logits.argmax(1) == y).float().mean(), prog_bar=True, on_epoch=True,
                 batch_size=len(y), sync_dist=True)

    def configure_optimizers(self) -> Any:
        """AdamW with linear warm-up (15 % of the steps) then cosine decay. The schedule is a
        function of the step and of this run's total, so a resumed run may extend max_epochs."""
        opt = torch.optim.AdamW(self.parameters(), lr=self.hparams.lr, weight_decay=self.hparams.weight_decay)
        total = max(1, int(self.trainer.estimated_stepping_batches))
        warm = max(1, int(0.15 * total))

        def factor(step: int) -> float:
            if step < warm:
                return 0.04 + 0.96 * step / warm
            return 0.5 * (1 + math.cos(math.pi * min(1.0, (step - warm) / max(1, total - warm)))) + 1e-3

        sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}
