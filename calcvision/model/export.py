"""Export a model to TorchScript and ONNX, each checked against PyTorch.

The exported graph maps normalised tiles ``[B, 1, T, T]`` to calibrated probabilities (the
temperature is baked in); the model metadata is written next to it as ``<file>.json``.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from calcvision.errors import InputError
from calcvision.model.checkpoint import CalcModel


class ProbabilityHead(nn.Module):
    """``softmax(net(x) / temperature)``: what the exported files compute."""

    def __init__(self, net: nn.Module, temperature: float) -> None:
        super().__init__()
        self.net = net
        self.register_buffer("temperature", torch.tensor(float(temperature)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.net(x) / self.temperature, dim=1)


def _example(model: CalcModel, batch: int = 4, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch, 1, model.tile_px, model.tile_px, generator=g).clamp(-4, 4)


def export_torchscript(model: CalcModel, path: str | Path) -> Path:
    head = ProbabilityHead(model.net, model.temperature).eval()
    with torch.no_grad():
        scripted = torch.jit.trace(head, _example(model))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    scripted.save(str(path))
    return path


def export_onnx(model: CalcModel, path: str | Path, opset: int = 17) -> Path:
    head = ProbabilityHead(model.net, model.temperature).eval()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(head, (_example(model),), str(path), input_names=["tiles"], output_names=["probs"],
                          dynamic_axes={"tiles": {0: "batch"}, "probs": {0: "batch"}}, opset_version=opset,
                          dynamo=False)
    return path


def check_exports(model: CalcModel, torchscript: Path | None, onnx_path: Path | None, atol: float = 1e-4) -> dict[str, float]:
    """Max |p_export - p_pytorch| on fresh random tiles (other batch size than the trace);
    InputError if any exceeds ``atol``."""
    x = _example(model, batch=3, seed=1)
    with torch.no_grad():
        ref = model.tile_probs(x).numpy()
    diffs: dict[str, float] = {}
    if torchscript is not None:
        ts = torch.jit.load(str(torchscript))
        with torch.no_grad():
            diffs["torchscript"] = float(np.abs(ts(x).numpy() - ref).max())
    if onnx_path is not None:
        import onnxruntime as ort

        sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
        out = sess.run(["probs"], {"tiles": x.numpy()})[0]
        diffs["onnx"] = float(np.abs(out - ref).max())
    bad = {k: v for k, v in diffs.items() if not v <= atol}
    if bad:
        raise InputError(f"exported model disagrees with PyTorch: max |dp| {bad} > {atol}")
    return diffs


def export_model(model: CalcModel, out_dir: str | Path, formats: tuple[str, ...] = ("torchscript", "onnx")) -> dict[str, object]:
    """Write ``model.pt`` (TorchScript) and/or ``model.onnx`` plus ``model.json`` (metadata);
    verify them; return paths and the max probability differences."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():  # torch.jit / legacy ONNX exporter deprecation notices
        warnings.simplefilter("ignore", (FutureWarning, DeprecationWarning, UserWarning))
        ts = export_torchscript(model, out / "model.pt") if "torchscript" in formats else None
        ox = export_onnx(model, out / "model.onnx") if "onnx" in formats else None
        diffs = check_exports(model, ts, ox)
    meta = {**model.meta, "source_sha256": model.sha256, "exported_output": "calibrated probabilities"}
    (out / "model.json").write_text(json.dumps(meta, indent=2))
    return {"torchscript": str(ts) if ts else None, "onnx": str(ox) if ox else None,
            "metadata": str(out / "model.json"), "max_abs_diff": diffs}
