"""The LightningDataModule: builds the item caches once (phantoms and/or a local dataset,
validated up front) and serves a fresh, deterministic set of augmented crops every epoch."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytorch_lightning as pl
from torch.utils.data import DataLoader

from calcvision.errors import InputError
from calcvision.model.augment import Augment
from calcvision.model.config import TrainConfig
from calcvision.model.data import (NONE_IDX, CropDataset, Item, PhantomSpec, _phantoms_version as _simulator_version,
                                   local_items, phantom_items, scan_local, stratified_split)
from calcvision.model.mining import mine_hard_examples
from calcvision.patterns import CLASS_INDEX, CLASSES


def phantom_specs(cfg: TrainConfig) -> dict[str, PhantomSpec]:
    """The phantom sets of a config, which are also their cache keys: ``train`` and ``val``
    when ``data.phantoms`` is set, ``test`` (the held-out evaluation) when ``evaluate`` is."""
    p = cfg.data.phantoms
    classes = tuple(p.classes) if p and p.classes else CLASSES
    specs = {}
    if p is not None:
        specs["train"] = PhantomSpec(p.seed, p.train_per_class, p.shape, p.spacing_mm, classes, p.twins,
                                     tuple(sorted(p.confuser_p.items())), cfg.data.transplant > 0)
        specs["val"] = PhantomSpec(p.val_seed, p.val_per_class, p.shape, p.spacing_mm, classes)
    if cfg.evaluate is not None:
        specs["test"] = PhantomSpec(cfg.evaluate.seed, cfg.evaluate.phantoms_per_class, p.shape if p else None,
                                    p.spacing_mm if p else None, classes)
    return specs


class CalcDataModule(pl.LightningDataModule):
    """Use with ``Trainer(reload_dataloaders_every_n_epochs=1)`` so each epoch gets new crops."""

    def __init__(self, cfg: TrainConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.train_items: list[Item] = []
        self.val_items: list[Item] = []
        self.val_domains: list[str] = []  # per validation image, its source: "phantoms" or a local dataset's path
        self.description: dict[str, Any] = {}
        self._built = False

    def build(self) -> None:
        """Make / read every image now (errors in a local dataset surface here, before fitting)."""
        if self._built:
            return
        cfg, d = self.cfg, self.cfg.data
        mpp, keep = cfg.model.mm_per_pixel, max(d.keep_px, cfg.model.tile_px)
        desc: dict[str, Any] = {}
        if d.local is not None:
            items, source = [], {}
            for path in d.local.paths:
                read = local_items(scan_local(path), mpp, keep)
                items += read
                source.update((id(it), str(path)) for it in read)
            tr, va = stratified_split(items, d.local.val_fraction, cfg.seed)
            self.train_items += tr
            self.val_items += va
            self.val_domains += [source[id(it)] for it in va]
            desc["local"] = {"path": d.local.path, "images": len(items), "train": len(tr), "val": len(va),
                             "per_class": {c: sum(it.label == i for it in items) for i, c in enumerate(CLASSES)}}
        if d.phantoms is not None:
            p, specs = d.phantoms, phantom_specs(cfg)
            classes = specs["train"].classes
            tr = phantom_items(specs["train"], mpp, keep, d.generate_workers, d.cache_dir)
            va = phantom_items(specs["val"], mpp, keep, d.generate_workers, d.cache_dir)
            self.train_items += tr
            self.val_items += va
            self.val_domains += ["phantoms"] * len(va)
            desc["phantoms"] = {"seed": p.seed, "train_per_class": p.train_per_class, "val_seed": p.val_seed,
                                "val_per_class": p.val_per_class, "shape": p.shape, "spacing_mm": p.spacing_mm,
                                "classes": list(classes), "simulator_version": _simulator_version(),
                                **({"twins": True} if p.twins else {}),
                                **({"confuser_p": dict(p.confuser_p)} if p.confuser_p else {})}
        if not self.train_items:
            raise InputError("config: no training data (set data.phantoms and/or data.local)")
        if not self.val_items:
            raise InputError("config: no validation images (too few images per class in the local dataset)")
        if cfg.optim.lesion_map_weight > 0 and not any(it.mask is not None for it in self.train_items):
            raise InputError("config: optim.lesion_map_weight > 0 needs lesion masks, which only lesion phantoms have "
                             "(set data.phantoms, or optim.lesion_map_weight=0)")
        self.description = desc
        self._built = True

    def setup(self, stage: str | None = None) -> None:
        self.build()

    def train_set(self, epoch: int) -> CropDataset:
        d = self.cfg.data
        return CropDataset(self.train_items, self.cfg.model.tile_px, seed=self.cfg.seed, length=d.crops_per_epoch,
                           augment=Augment(self.cfg.augment), balance=d.balance,
                           background_fraction=d.background_fraction, none_share=d.none_share, epoch=epoch,
                           twin_share=d.twin_share, masks=self.cfg.optim.lesion_map_weight > 0,
                           transplant=d.transplant,
                           transplant_classes=None if d.transplant_classes is None
                           else {CLASS_INDEX[c] for c in d.transplant_classes})

    def val_set(self) -> CropDataset:
        return CropDataset(self.val_items, self.cfg.model.tile_px, seed=self.cfg.seed + 1)

    def _loader(self, ds: CropDataset) -> DataLoader:
        n = self.cfg.data.num_workers
        return DataLoader(ds, batch_size=self.cfg.data.batch_size, shuffle=False, num_workers=n,
                          persistent_workers=False, drop_last=False)

    def train_dataloader(self) -> DataLoader:
        epoch = self.trainer.current_epoch if self.trainer is not None else 0
        ds = self.train_set(epoch)
        self._mine(ds, epoch)
        return self._loader(ds)

    def _mine(self, ds: CropDataset, epoch: int) -> None:
        """Give ``ds`` this epoch's hard examples, mined with the network being trained:
        `none` tiles (``data.hard_negatives``) and each lesion class's (``data.hard_lesions``)."""
        d, trainer = self.cfg.data, self.trainer
        plans = [(NONE_IDX, d.hard_negatives, (self.cfg.seed, epoch, 1))]
        plans += [(c, d.hard_lesions, (self.cfg.seed, epoch, 2, c)) for c in range(len(CLASSES)) if c != NONE_IDX]
        plans = [(c, m, key) for c, m, key in plans if m is not None and epoch >= m.start_epoch]
        if trainer is None or not plans:
            return
        module = trainer.lightning_module
        was_training = module.training
        module.eval()
        logged: dict[str, list[float]] = {}
        try:
            for c, m, key in plans:
                hard, h = mine_hard_examples(lambda x: module(x.to(module.device)), ds, c, m.pool, m.keep, key,
                                             context=trainer.precision_plugin.forward_context)
                ds.hard[c], ds.hard_share[c] = hard, m.share
                if len(h):
                    name = "mined_pool_false_alarm_rate" if c == NONE_IDX else "mined_lesion_pool_miss_rate"
                    logged.setdefault(name, []).append(float((h > 0.5).mean()))
        finally:
            module.train(was_training)
        if trainer.logger is not None and logged:
            trainer.logger.log_metrics({**{k: float(np.mean(v)) for k, v in logged.items()}, "epoch": epoch},
                                       step=trainer.global_step)

    def val_dataloader(self) -> DataLoader:
        return self._loader(self.val_set())
