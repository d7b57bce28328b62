"""The batch on Lightning: the same prediction, run by ``Trainer.predict`` on whatever
accelerator the Trainer is set up for (``calcvision infer --accelerator gpu --devices 1``).

Files are read and prepared by a ``DataLoader`` (``num_workers`` processes, one file per
batch, input order kept); ``predict_step`` runs the CNN and the localisation on the device;
a ``BasePredictionWriter`` hands every file's predictions to the runner's ``RowSink``, which
writes and flushes its rows at once, exactly as in the default path. One process writes the
result files, so a Trainer spanning several processes (devices > 1, several nodes) is refused
(see docs/infer.md for running shards side by side).
"""

from __future__ import annotations

from collections import Counter

import pytorch_lightning as pl
from pytorch_lightning.callbacks import BasePredictionWriter
from torch.utils.data import DataLoader, Dataset

from calcvision.errors import UsageError
from calcvision.infer.loading import Job, Loaded, load_job
from calcvision.infer.runner import RowSink, predict_frames


class FileDataset(Dataset):
    """Input items in order: a ``Job`` is read and prepared on access; a ``Loaded`` (nothing to
    read: a skipped file, a file already done) passes through."""

    def __init__(self, items: list[Job | Loaded], params, roi):
        self.items, self.params, self.roi = items, params, roi

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> Loaded:
        item = self.items[i]
        return item if isinstance(item, Loaded) else load_job(item, self.params, self.roi, None)


def _single(batch: list[Loaded]) -> Loaded:
    return batch[0]


class InferenceModule(pl.LightningModule):
    """Wraps a ``CalcModel``; ``predict_step`` returns (file, its frames' predictions)."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.net = model.net  # a registered submodule: Lightning moves it to the device
        self.times: Counter = Counter()

    def transfer_batch_to_device(self, batch, device, dataloader_idx):
        return batch  # numpy tiles; moved to the network's device batch by batch when predicted

    def predict_step(self, batch: Loaded, batch_idx: int):
        return batch, predict_frames(batch, self.model, None, self.times)


class RowWriter(BasePredictionWriter):
    """Writes each file's rows as soon as its batch is predicted."""

    def __init__(self, sink: RowSink):
        super().__init__(write_interval="batch")
        self.sink = sink

    def write_on_batch_end(self, trainer, pl_module, prediction, batch_indices, batch, batch_idx, dataloader_idx=0):
        self.sink.write(*prediction)


def make_trainer(accelerator: str, devices) -> pl.Trainer:
    """A prediction-only Trainer that writes nothing of its own (no logger, no checkpoints)."""
    return pl.Trainer(accelerator=accelerator, devices=devices, logger=False, enable_checkpointing=False,
                      enable_progress_bar=False, enable_model_summary=False)


def predict_with_trainer(trainer: pl.Trainer, items: list[Job | Loaded], model, params, roi, workers: int,
                         sink: RowSink) -> None:
    if trainer.world_size > 1:
        raise UsageError("--devices: one process writes the result files; use one device per run")
    loader = DataLoader(FileDataset(items, params, roi), batch_size=1, shuffle=False, num_workers=workers,
                        collate_fn=_single, multiprocessing_context="spawn" if workers > 0 else None)
    module = InferenceModule(model)
    trainer.callbacks.append(RowWriter(sink))
    trainer.predict(module, dataloaders=loader, return_predictions=False)
    sink.stats.times.update(module.times)
