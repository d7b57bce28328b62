"""TorchScript and ONNX exports give the PyTorch model's probabilities."""

from __future__ import annotations

import json

import numpy as np
import onnxruntime as ort
import pytest
import torch

from calcvision.cli import main
from calcvision.model import load_model, save_model
from calcvision.model.checkpoint import make_meta
from calcvision.model.network import build_network


@pytest.mark.parametrize("arch, kwargs", [("mobilenet_v3_small", {"width_mult": 0.25}), ("resnet", {"width": 8}),
                                         ("resnet", {"width": 8, "highpass_sigma_px": 3.0})])
def test_exports_agree_with_pytorch(tmp_path, capsys, arch, kwargs):
    """A MobileNet and the shipped family, a narrow torchvision ResNet, with and without the
    local-contrast stem."""
    torch.manual_seed(1)
    net = build_network(arch, **kwargs).eval()
    path = save_model(tmp_path / "m.safetensors", net,
                      make_meta(mm_per_pixel=0.5, tile_px=64, arch=arch, arch_kwargs=kwargs, temperature=2.5))
    assert main(["export", "--model", str(path), "--out", str(tmp_path / "exp")]) == 0
    assert "onnx: max |p - p_pytorch|" in capsys.readouterr().out
    model = load_model(path)
    x = torch.randn(7, 1, 64, 64)
    with torch.no_grad():
        ref = model.tile_probs(x).numpy()
        ts = torch.jit.load(str(tmp_path / "exp" / "model.pt"))(x).numpy()
    onnx = ort.InferenceSession(str(tmp_path / "exp" / "model.onnx")).run(None, {"tiles": x.numpy()})[0]
    assert np.abs(ts - ref).max() < 1e-5 and np.abs(onnx - ref).max() < 1e-4
    assert abs(ref.sum(1) - 1).max() < 1e-5
    meta = json.loads((tmp_path / "exp" / "model.json").read_text())
    assert meta["temperature"] == 2.5 and meta["source_sha256"] == model.sha256
