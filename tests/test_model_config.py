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


@pytest.mark.parametrize("overrides, match", [
    (["trainer.max_epoch=2"], "trainer.max_epoch"),
    (["data.batch_size=many"], "data.batch_size"),
    (["nonsense"], "key.sub=value"),
])
def test_bad_configs(overrides, match):
    with pytest.raises(InputError, match=match):
        load_config("configs/default.yaml", overrides)


def test_missing_config(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_config(tmp_path / "nope.yaml")
