"""`calcvision train`: fit, calibrate on validation tiles, evaluate on held-out test phantoms,
write the model file (weights + metadata) and the run's logs and figures."""

from __future__ import annotations

import json
import resource
import time
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import ModelCheckpoint
from pytorch_lightning.loggers import CSVLogger

from calcvision.errors import InputError
from calcvision.model.calibration import fit_temperature
from calcvision.model.checkpoint import load_model, make_meta, save_model
from calcvision.model.config import TrainConfig
from calcvision.model.data import NONE_IDX, CropDataset, phantom_items
from calcvision.model.datamodule import CalcDataModule, phantom_specs
from calcvision.model.evaluate import (evaluate_net, fit_image_level, format_metrics, image_level,
                                       predict_logits, write_report)
from calcvision.model.lightning_module import CalcLightningModule
from calcvision.model.plots import learning_curve_png, metrics_logs


def _cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime + c.ru_utime + c.ru_stime


def _init_from(module: CalcLightningModule, path: str, cfg: TrainConfig) -> None:
    """Fine-tuning: start from another model file of the same architecture and scale."""
    src = load_model(path)
    m = cfg.model
    if (src.meta["arch"], src.meta["arch_kwargs"], src.tile_px) != (m.arch, m.arch_kwargs, m.tile_px) or \
            abs(src.mm_per_pixel - m.mm_per_pixel) > 1e-9:
        raise InputError(f"init_from {path}: model is {src.meta['arch']} {src.meta['arch_kwargs']} "
                         f"{src.tile_px} px at {src.mm_per_pixel} mm/px; config asks for {m.arch} {m.arch_kwargs} "
                         f"{m.tile_px} px at {m.mm_per_pixel} mm/px")
    module.net.load_state_dict(src.net.state_dict())


def _trained_on(cfg: TrainConfig) -> str:
    """The model's data in words: phantoms, the local dataset's description, or both."""
    if cfg.data.local is None:
        return "synthetic phantoms only"
    return (cfg.data.local.description or "local dataset") + (" + phantoms" if cfg.data.phantoms else "")


def train(cfg: TrainConfig, log: Any = print) -> dict[str, Any]:
    """Run the whole training recipe of ``cfg``; returns a summary (paths, metrics, times)."""
    t0, c0 = time.perf_counter(), _cpu_seconds()
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    if cfg.resume and not Path(cfg.resume).is_file():
        raise InputError(f"resume: checkpoint not found: {cfg.resume}")
    pl.seed_everything(cfg.seed, workers=True, verbose=False)
    run_dir = Path(cfg.run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.json").write_text(cfg.model_dump_json(indent=2))

    dm = CalcDataModule(cfg)
    dm.build()
    t_data = time.perf_counter() - t0
    log(f"data ready in {t_data:.0f} s: {len(dm.train_items)} training images, {len(dm.val_items)} validation images")
    if cfg.data.phantoms is None:
        log("no phantoms, so no lesion masks: the lesion-map loss is off (optim.lesion_map_weight 0)")

    m, o = cfg.model, cfg.optim
    module = CalcLightningModule(m.arch, m.arch_kwargs, m.mm_per_pixel, m.tile_px, o.lr, o.weight_decay, o.label_smoothing,
                                 o.lesion_map_weight, o.decay_norm_bias)
    if cfg.init_from:
        _init_from(module, cfg.init_from, cfg)
    trainer = pl.Trainer(
        **cfg.trainer.model_dump(),
        default_root_dir=str(run_dir),
        logger=CSVLogger(str(run_dir), name="logs"),
        callbacks=[ModelCheckpoint(dirpath=str(run_dir / "checkpoints"), save_last=True, save_top_k=0)],
        reload_dataloaders_every_n_epochs=1,
        num_sanity_val_steps=0,
        enable_model_summary=False,
    )
    trainer.fit(module, datamodule=dm, ckpt_path=cfg.resume, weights_only=True)
    if trainer.global_rank != 0:
        return {}
    net = module.net.cpu().eval()
    t_fit = time.perf_counter() - t0 - t_data
    log(f"learning curve: {learning_curve_png(metrics_logs(run_dir), run_dir / 'learning_curve.png')}")

    val_logits, val_labels = predict_logits(net, dm.val_set())
    temperature = fit_temperature(val_logits, val_labels)
    val_metrics, _, _ = evaluate_net(net, temperature, dm.val_set())
    log(f"temperature {temperature:.3f} (fitted on {len(val_labels)} validation tiles); val accuracy {val_metrics['accuracy']:.4f}")
    image_cal, image_t, by_source = fit_image_level(net, temperature, dm.val_items, m.tile_px, m.tta_tiles,
                                                    dm.val_domains)
    log("image-level calibration a={:.3f} b={:.3f} c={:.3f}".format(*image_cal)
        + f" (fitted on {len(dm.val_items)} validation images), image temperature {image_t:.3f}"
        + f" (every one of {len(by_source['sources'])} sources weighing the same; pooled: "
        + f"{by_source['pooled_temperature']:.3f}); per source, image accuracy and ECE without -> with it: "
        + "; ".join(f"{name} ({v['images']}) {v['accuracy']:.3f}, {v['image_ece']:.3f} -> {v['image_ece_tempered']:.3f}"
                    for name, v in by_source["sources"].items()))

    metrics: dict[str, Any] = {"validation": {**_brief(val_metrics), "image_by_source": by_source}}
    if cfg.evaluate is not None:
        items = phantom_items(phantom_specs(cfg)["test"], m.mm_per_pixel, max(cfg.data.keep_px, m.tile_px),
                              cfg.data.generate_workers, cfg.data.cache_dir)
        test, probs, labels = evaluate_net(net, temperature, CropDataset(items, m.tile_px, seed=cfg.evaluate.seed))
        test["image_level"] = image_level(net, temperature, items, m.tile_px, image_cal, tta_tiles=m.tta_tiles,
                                          image_temperature=image_t)
        what = f"held-out phantoms, {cfg.evaluate.phantoms_per_class} per class, seed {cfg.evaluate.seed}"
        write_report({**test, "data": what}, probs, labels, run_dir / "test")
        metrics["test_phantoms"] = {**test, "seed": cfg.evaluate.seed, "phantoms_per_class": cfg.evaluate.phantoms_per_class}
        log("held-out test phantoms:\n" + format_metrics(test))

    wall, cpu = time.perf_counter() - t0, _cpu_seconds() - c0
    training = {
        "config": json.loads(cfg.model_dump_json()),
        "data": dm.description,
        "epochs": trainer.current_epoch,
        "steps": trainer.global_step,
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "data_s": round(t_data, 1),
        "fit_s": round(t_fit, 1),
        "torch": torch.__version__,
        "trained_on": _trained_on(cfg),
    }
    meta = make_meta(mm_per_pixel=m.mm_per_pixel, tile_px=m.tile_px, arch=m.arch, arch_kwargs=m.arch_kwargs,
                     temperature=temperature, image_calibration=image_cal, image_temperature=image_t,
                     tta_tiles=m.tta_tiles, training=training,
                     metrics=metrics, model_version=cfg.name,
                     image_calibration_prevalence=sum(it.label != NONE_IDX for it in dm.val_items) / len(dm.val_items))
    out = save_model(cfg.output, net, meta)
    log(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB) in {wall:.0f} s wall, {cpu:.0f} s CPU")
    return {"model": str(out), "metrics": metrics, "temperature": temperature, "wall_s": wall, "cpu_s": cpu,
            "run_dir": str(run_dir)}


def _brief(m: dict[str, Any]) -> dict[str, Any]:
    return {k: m[k] for k in ("n", "accuracy", "macro_f1", "none_false_positive_rate", "ece", "nll")}
