"""The model file: a model is data.

One ``.safetensors`` file holds the weights (tensors only: loading never unpickles anything)
and, in its header, a JSON document with everything needed to use them correctly: class ids
in output order, physical scale (mm/pixel), tile size, architecture and its arguments, the
input normalisation, the calibration temperature, version, training-data description and the
metrics measured on held-out data.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from calcvision.errors import InputError
from calcvision.model.network import build_network, check_tiles, target_layer
from calcvision.patterns import CLASSES, NONE

FORMAT = "calcvision-model"
FORMAT_VERSION = 1
META_KEY = "calcvision"
WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"
DEFAULT_MODEL = WEIGHTS_DIR / "default.safetensors"

NORMALISATION = {
    "function": "calcvision.model.preprocess.normalise_tile",
    "low_q": 0.005,
    "high_q": 0.995,
    "input": "Radiograph.pixels (0..1, MONOCHROME2 sense) resampled to mm_per_pixel by resample_to_scale",
}
"""How tiles are made from a radiograph; stored in every checkpoint."""

REQUIRED_META = ("format", "format_version", "classes", "mm_per_pixel", "tile_px", "arch", "arch_kwargs",
                 "normalisation", "temperature", "version")


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass
class CalcModel:
    """A loaded model: network (eval mode) + its metadata.

    ``tile_logits`` / ``tile_probs`` take normalised tiles ``[B, 1, tile_px, tile_px]`` made by
    :mod:`calcvision.model.preprocess`; ``tile_probs`` applies the stored temperature.
    """

    net: nn.Module
    meta: dict[str, Any]
    sha256: str = ""
    path: str = ""

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(self.meta["classes"])

    @property
    def mm_per_pixel(self) -> float:
        return float(self.meta["mm_per_pixel"])

    @property
    def tile_px(self) -> int:
        return int(self.meta["tile_px"])

    @property
    def temperature(self) -> float:
        return float(self.meta["temperature"])

    @property
    def image_calibration(self) -> tuple[float, float, float]:
        """(a, b, c) of :func:`calcvision.model.calibration.image_probs`; c = 0 in files that
        store (a, b), (1, 0, 0) in older ones."""
        a, b, c = (list(self.meta.get("image_calibration", (1.0, 0.0))) + [0.0])[:3]
        return float(a), float(b), float(c)

    @property
    def image_temperature(self) -> float:
        """Temperature of :func:`calcvision.model.calibration.temper` on the image's seven
        probabilities after the image calibration; 1.0 in older files."""
        return float(self.meta.get("image_temperature", 1.0))

    @property
    def calibration_prevalence(self) -> float | None:
        """Share of lesion images among the images the image calibration was fitted on: as
        stored, else (older files) that of phantom-only training, whose validation set holds as
        many images of each class; None when neither tells."""
        if "image_calibration_prevalence" in self.meta:
            return float(self.meta["image_calibration_prevalence"])
        data = (self.meta.get("training") or {}).get("data")
        if not isinstance(data, dict) or "local" in data or not isinstance(data.get("phantoms"), dict):
            return None
        classes = data["phantoms"].get("classes") or []
        if NONE not in classes or len(classes) < 2:
            return None
        return (len(classes) - 1) / len(classes)

    @property
    def tta_tiles(self) -> int:
        """Tiles per image re-scored over 8 views (:mod:`calcvision.model.tta`); 0 in older files."""
        return int(self.meta.get("tta_tiles", 0))

    @property
    def target_layer(self) -> nn.Module:
        return target_layer(self.net)

    def tile_logits(self, x: torch.Tensor) -> torch.Tensor:
        """Raw logits ``[B, 7]`` for normalised tiles ``x``."""
        check_tiles(x, self.tile_px)
        return self.net(x)

    def tile_probs(self, x: torch.Tensor) -> torch.Tensor:
        """Temperature-calibrated class probabilities ``[B, 7]``."""
        return torch.softmax(self.tile_logits(x) / self.temperature, dim=1)


def make_meta(*, mm_per_pixel: float, tile_px: int, arch: str, arch_kwargs: dict, temperature: float = 1.0,
              image_calibration: tuple[float, ...] = (1.0, 0.0, 0.0), image_temperature: float = 1.0,
              tta_tiles: int = 0, training: dict | None = None,
              metrics: dict | None = None, model_version: str = "",
              image_calibration_prevalence: float | None = None) -> dict[str, Any]:
    """A complete metadata document for a new model."""
    from calcvision import __version__

    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "classes": list(CLASSES),
        "mm_per_pixel": float(mm_per_pixel),
        "tile_px": int(tile_px),
        "arch": arch,
        "arch_kwargs": dict(arch_kwargs),
        "normalisation": dict(NORMALISATION),
        "temperature": float(temperature),
        "image_calibration": [float(v) for v in image_calibration],
        "image_temperature": float(image_temperature),
        **({} if image_calibration_prevalence is None else {"image_calibration_prevalence": float(image_calibration_prevalence)}),
        "tta_tiles": int(tta_tiles),
        "version": model_version or f"calcvision-{__version__}",
        "training": training or {},
        "metrics": metrics or {},
        "not_for_clinical_use": True,
    }


def save_model(path: str | Path, net: nn.Module, meta: dict[str, Any]) -> Path:
    """Write ``net``'s weights and ``meta`` (JSON) to one safetensors file."""
    missing = [k for k in REQUIRED_META if k not in meta]
    if missing:
        raise ValueError(f"model metadata lacks {missing}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().cpu().contiguous().clone() for k, v in net.state_dict().items()}
    save_file(tensors, str(path), metadata={META_KEY: json.dumps(meta, sort_keys=True)})
    return path


def save_recalibrated(out: str | Path, model: "CalcModel", image_calibration: tuple[float, float, float],
                      prevalence: float | None, tag: str, image_temperature: float | None = None) -> Path:
    """Write a copy of ``model`` whose image calibration is ``(a, b, c)`` for a lesion share
    ``prevalence`` (None: the model's) and, when given, whose image temperature is
    ``image_temperature``: the same weights and tile temperature, the old image-level numbers
    kept under ``recalibrated_from``, image-level metrics dropped (measured with the old ones),
    ``@tag`` appended to the version."""
    meta = copy.deepcopy(model.meta)
    meta["recalibrated_from"] = {"sha256": model.sha256, "image_calibration": list(model.image_calibration),
                                 "image_calibration_prevalence": model.calibration_prevalence,
                                 "image_temperature": model.image_temperature}
    meta["image_calibration"] = [float(v) for v in image_calibration]
    if prevalence is not None:
        meta["image_calibration_prevalence"] = float(prevalence)
    if image_temperature is not None:
        meta["image_temperature"] = float(image_temperature)
    for part in meta.get("metrics", {}).values():
        if isinstance(part, dict):
            part.pop("image_level", None)
    meta["version"] = f"{meta.get('version', '')}@{tag}"
    return save_model(out, model.net, meta)


def read_meta(path: str | Path) -> dict[str, Any]:
    """Only the metadata of a model file (no weights loaded)."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as fh:
            header = fh.metadata() or {}
    except (SafetensorError, OSError) as exc:
        raise InputError(f"{path}: not a calcvision model file ({exc})") from None
    if META_KEY not in header:
        raise InputError(f"{path}: safetensors file without calcvision metadata")
    try:
        meta = json.loads(header[META_KEY])
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: unreadable model metadata ({exc})") from None
    _check_meta(meta, path)
    return meta


def _check_meta(meta: dict[str, Any], path: str | Path) -> None:
    missing = [k for k in REQUIRED_META if k not in meta]
    if missing:
        raise InputError(f"{path}: model metadata lacks {', '.join(missing)}")
    if meta["format"] != FORMAT or int(meta["format_version"]) > FORMAT_VERSION:
        raise InputError(f"{path}: unsupported model format {meta['format']} v{meta['format_version']}")
    if tuple(meta["classes"]) != CLASSES:
        raise InputError(f"{path}: model classes {meta['classes']} differ from calcvision's {list(CLASSES)}")
    if not float(meta["temperature"]) > 0:
        raise InputError(f"{path}: temperature must be > 0, got {meta['temperature']}")


def load_model(path: str | Path | None = None, device: str | torch.device = "cpu") -> CalcModel:
    """Load a model file (``None``: the shipped default in ``calcvision/weights/``) in eval mode."""
    path = Path(path) if path is not None else DEFAULT_MODEL
    if not path.is_file():
        raise InputError(f"{path}: model file not found")
    meta = read_meta(path)
    try:
        net = build_network(meta["arch"], len(CLASSES), **meta["arch_kwargs"])
    except (ValueError, TypeError) as exc:
        raise InputError(f"{path}: cannot build architecture {meta['arch']!r}: {exc}") from None
    try:
        state = load_file(str(path), device=str(device))
        net.load_state_dict(state, strict=True)
    except (SafetensorError, RuntimeError) as exc:
        raise InputError(f"{path}: weights do not fit architecture {meta['arch']!r}: {exc}") from None
    net.to(device).eval()
    return CalcModel(net=net, meta=meta, sha256=file_sha256(path), path=str(path))
