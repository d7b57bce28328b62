"""Training configuration: a YAML file validated by pydantic, with ``key.sub=value`` overrides."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Sequence

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from calcvision.errors import InputError
from calcvision.model.augment import AugmentConfig
from calcvision.patterns import CLASSES, NONE


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelConfig(_Strict):
    arch: str = "mobilenet_v3_small"
    arch_kwargs: dict[str, Any] = {}
    mm_per_pixel: float = 0.3
    tile_px: int = 192
    tta_tiles: int = 2  # strongest tiles of an image re-scored over 8 flips/turns (calcvision.model.tta); 0: off


def _some_of(ids: Optional[list[str]], allowed: Sequence[str], what: str) -> Optional[list[str]]:
    """``ids`` if each is in ``allowed``, else ValueError listing the others."""
    bad = [c for c in ids or [] if c not in allowed]
    if bad:
        raise ValueError(f"{what} {bad}; expected some of {list(allowed)}")
    return ids


class PhantomConfig(_Strict):
    """Phantoms generated in memory: ``train_per_class`` images of each class with ``seed``,
    ``val_per_class`` with ``val_seed``; ``shape`` / ``spacing_mm`` go to make_phantom."""

    train_per_class: int = 200
    val_per_class: int = 40
    seed: int = 1
    val_seed: int = 2
    shape: Optional[tuple[int, int]] = None
    spacing_mm: Optional[float] = None
    classes: Optional[list[str]] = None  # a subset of the class ids (default: all seven)
    twins: bool = False  # training set only: each lesion phantom also imaged without its lesion (data.twin_share)
    confuser_p: dict[str, float] = {}  # training set only: e.g. {marker: 0.6} replaces ranges.yaml's p for every class

    @field_validator("confuser_p")
    @classmethod
    def _confusers(cls, v: dict[str, float]) -> dict[str, float]:
        from calcvision.phantoms.params import check_confuser_p

        return check_confuser_p(v)

    @field_validator("classes")
    @classmethod
    def _known(cls, v: Optional[list[str]]) -> Optional[list[str]]:
        return _some_of(v, CLASSES, "unknown class ids")


class LocalConfig(_Strict):
    """A local dataset: a folder of class sub-folders or a CSV manifest, or a list of them (read
    as one dataset, split per class together); ``description`` says what the images are and is
    recorded as the model's ``trained_on``."""

    path: str | list[str]
    val_fraction: float = 0.2
    description: Optional[str] = None

    @property
    def paths(self) -> list[str]:
        """The dataset paths as a list."""
        return [self.path] if isinstance(self.path, str) else list(self.path)


class MiningConfig(_Strict):
    """Hard-example mining (:mod:`calcvision.model.mining`): from epoch ``start_epoch`` (0-based)
    on, ``pool`` candidate tiles of a class are scored at the start of each epoch and the
    ``keep`` the network finds hardest (lowest probability of their own class) make up
    ``share`` of that epoch's tiles of the class."""

    start_epoch: int = 4
    pool: int = 2560
    keep: int = 640
    share: float = 0.5

    @field_validator("share")
    @classmethod
    def _fraction(cls, v: float) -> float:
        if not 0.0 <= v <= 1.0:
            raise ValueError(f"must be between 0 and 1, got {v}")
        return v


class DataConfig(_Strict):
    phantoms: Optional[PhantomConfig] = PhantomConfig()
    local: Optional[LocalConfig] = None
    keep_px: int = 576
    crops_per_epoch: int = 4096
    batch_size: int = 64
    num_workers: int = 1
    background_fraction: float = 0.5
    balance: bool = True
    none_share: Optional[float] = None
    twin_share: float = Field(0.0, ge=0.0, le=1.0)  # share of `none` tiles from twins at the lesion's place (phantoms.twins)
    transplant: float = Field(0.0, ge=0.0, le=1.0)  # share of phantom lesion tiles inserted into a `none` tile instead (CropDataset)
    transplant_classes: Optional[list[str]] = None  # the lesion classes transplanted (default: all six)
    hard_negatives: Optional[MiningConfig] = None  # mining of `none` tiles
    hard_lesions: Optional[MiningConfig] = None  # mining of each lesion class's tiles (pool, keep per class)
    generate_workers: int = 2
    cache_dir: Optional[str] = None

    @field_validator("transplant_classes")
    @classmethod
    def _lesion_classes(cls, v: Optional[list[str]]) -> Optional[list[str]]:
        return _some_of(v, [c for c in CLASSES if c != NONE], "not lesion class ids:")


class OptimConfig(_Strict):
    lr: float = 3e-3
    weight_decay: float = 1e-4
    # false: no weight decay on BatchNorm scales and shifts or biases (the one-dimensional parameters)
    decay_norm_bias: bool = True
    label_smoothing: float = 0.0
    # weight of the auxiliary lesion-map loss (CalcLightningModule); 0: off, and off without
    # data.phantoms, whose images are the only ones with lesion masks (TrainConfig)
    lesion_map_weight: float = Field(0.0, ge=0.0)


class TrainerConfig(_Strict):
    """Passed to ``lightning.Trainer``: accelerator/devices/num_nodes/strategy scale out."""

    max_epochs: int = 10
    accelerator: str = "cpu"
    devices: Any = 1
    num_nodes: int = 1
    strategy: str = "auto"
    precision: Any = "32-true"
    log_every_n_steps: int = 10
    enable_progress_bar: bool = True
    deterministic: bool = False
    limit_val_batches: Any = 1.0
    max_time: Optional[str] = None  # "DD:HH:MM:SS": stop fitting after this long (then calibrate, evaluate)


class EvalConfig(_Strict):
    """Held-out test phantoms evaluated after training (never used for fitting)."""

    phantoms_per_class: int = 40
    seed: int = 3


class TrainConfig(_Strict):
    name: str = "model"
    seed: int = 0
    threads: Optional[int] = None
    model: ModelConfig = ModelConfig()
    data: DataConfig = DataConfig()
    optim: OptimConfig = OptimConfig()
    trainer: TrainerConfig = TrainerConfig()
    augment: AugmentConfig = AugmentConfig()
    evaluate: Optional[EvalConfig] = EvalConfig()
    run_dir: str = "runs/model"
    output: str = "runs/model/model.safetensors"
    init_from: Optional[str] = None
    resume: Optional[str] = None

    @model_validator(mode="after")
    def _no_lesion_map_without_phantoms(self) -> "TrainConfig":
        """Only phantoms carry lesion masks: without them the lesion-map loss has nothing to learn,
        so a local-only run of a config that sets it (configs/default.yaml) trains, and records,
        without it."""
        if self.data.phantoms is None:
            self.optim.lesion_map_weight = 0.0
        return self


def _set(tree: dict, dotted: str, value: Any, where: str) -> None:
    keys = dotted.split(".")
    node = tree
    for k in keys[:-1]:
        if node.get(k) is None:
            node[k] = {}
        if not isinstance(node[k], dict):
            raise InputError(f"{where}: {'.'.join(keys[:-1])} is not a section")
        node = node[k]
    node[keys[-1]] = value


def load_config(path: str | Path | None, overrides: list[str] = ()) -> TrainConfig:
    """Read ``path`` (YAML) and apply ``key.sub=value`` overrides (values parsed as YAML)."""
    tree: dict = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise InputError(f"{path}: config file not found")
        try:
            tree = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as exc:
            raise InputError(f"{path}: invalid YAML: {exc}".splitlines()[0]) from None
        if not isinstance(tree, dict):
            raise InputError(f"{path}: a config must be a mapping")
    for ov in overrides:
        if "=" not in ov:
            raise InputError(f"override {ov!r}: expected key.sub=value")
        key, raw = ov.split("=", 1)
        _set(tree, key.strip(), yaml.safe_load(raw) if raw.strip() else None, f"override {ov!r}")
    try:
        return TrainConfig.model_validate(tree)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        raise InputError(f"{path or 'config'}: {loc}: {err['msg']}") from None
