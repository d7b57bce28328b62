"""Training configs: the shipped config validates, overrides apply, mistakes are one-line errors."""

from __future__ import annotations

import pytest

from calcvision.errors import InputError
from calcvision.model.config import load_config


def test_default_config_and_overrides():
    cfg = load_config("configs/default.yaml", ["trainer.max_epochs=2", "data.local.path=x.csv", "model.arch_kwargs={width_mult: 0.5}"])
    assert cfg.trainer.max_epochs == 2 and cfg.data.local.path == "x.csv" and cfg.model.arch_kwargs == {"width_mult": 0.5}
    assert cfg.output == "calcvision/weights/default.safetensors"
    assert load_config("configs/finetune_local.yaml").init_from == "default"


@pytest.mark.parametrize("config", ["configs/default.yaml", "configs/finetune_local.yaml"])
def test_shipped_configs_match_the_shipped_model(config):
    """Fine-tuning starts from the shipped weights, so its network and scale must be theirs."""
    from calcvision.model import read_meta
    from calcvision.model.checkpoint import DEFAULT_MODEL

    meta, m = read_meta(DEFAULT_MODEL), load_config(config).model
    assert (m.arch, m.arch_kwargs, m.mm_per_pixel, m.tile_px) == \
        (meta["arch"], meta["arch_kwargs"], meta["mm_per_pixel"], meta["tile_px"])


@pytest.mark.parametrize("overrides, match", [
    (["trainer.max_epoch=2"], "trainer.max_epoch"),
    (["data.batch_size=many"], "data.batch_size"),
    (["nonsense"], "key.sub=value"),
    (["data.phantoms.confuser_p={markr: 0.5}"], "unknown confuser 'markr'"),
    (["data.phantoms.confuser_p={marker: 1.5}"], "confuser_p.marker must be a probability"),
])
def test_bad_configs(overrides, match):
    with pytest.raises(InputError, match=match):
        load_config("configs/default.yaml", overrides)


def test_missing_config(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_config(tmp_path / "nope.yaml")
