"""The one class activation map (calcvision.model.cam): equal to Layer-CAM computed with the
full backward pass, per-tile scaling, and no map for a model without a target layer."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from calcvision.model.cam import layer_cam
from calcvision.model.checkpoint import CalcModel, make_meta
from calcvision.model.network import build_network


def _model() -> CalcModel:
    torch.manual_seed(0)
    net = build_network("resnet", 7, width=8).eval()
    return CalcModel(net, make_meta(mm_per_pixel=0.3, tile_px=32, arch="resnet", arch_kwargs={"width": 8}))


def _reference(model: CalcModel, x: torch.Tensor, cls: int) -> torch.Tensor:
    """Textbook Layer-CAM: each activation weighted by its own positive gradient of the class
    logit, gradients through the whole network."""
    acts = {}
    handle = model.target_layer.register_forward_hook(lambda m, i, o: acts.setdefault("a", o))
    try:
        logits = model.net(x.requires_grad_(True))
    finally:
        handle.remove()
    (grad,) = torch.autograd.grad(logits[:, cls].sum(), acts["a"])
    cam = F.relu((F.relu(grad) * acts["a"]).sum(1, keepdim=True))
    return F.interpolate(cam, size=x.shape[-2:], mode="bilinear", align_corners=False)[:, 0].detach()


def test_cheap_layer_cam_equals_the_full_backward_pass():
    model = _model()
    x = torch.randn(3, 1, 32, 32, generator=torch.Generator().manual_seed(1))
    nonzero = 0
    for cls in range(7):
        want = _reference(model, x.clone(), cls)
        got = layer_cam(model, x, cls)
        assert got.shape == (3, 32, 32)
        assert torch.allclose(got, want, rtol=1e-4, atol=1e-6)
        nonzero += int(want.abs().max() > 0)
    assert nonzero >= 2  # the comparison is not between empty maps
    assert all(p.requires_grad for p in model.net.parameters())  # parameters restored


def test_per_tile_maps_span_zero_to_one():
    model = _model()
    x = torch.randn(4, 1, 32, 32, generator=torch.Generator().manual_seed(2))
    peaks = set()
    for cls in range(7):
        for cam in layer_cam(model, x, cls, per_tile=True):
            assert float(cam.min()) == 0.0 and float(cam.max()) in (0.0, 1.0)
            peaks.add(float(cam.max()))
    assert 1.0 in peaks


def test_no_target_layer_gives_none():
    class NoLayer:
        target_layer = None

    assert layer_cam(NoLayer(), torch.zeros(1, 1, 8, 8), 0) is None
