"""Grad-CAM (Selvaraju et al. 2017) of a tile batch on a model's ``target_layer``: the one
implementation behind both the box ``calcvision infer`` reports and the heat map of the report.

The target layer's output is swapped for a detached leaf, so the backward pass runs only
through the layers after it (the head): about the cost of a second forward pass of the head.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F


def grad_cam(model: Any, tiles: torch.Tensor, cls: int, *, per_tile: bool = False) -> torch.Tensor | None:
    """Grad-CAM maps [N, T, T] of class ``cls`` (raw logit) for ``tiles`` [N, 1, T, T].

    ``model`` is a ``CalcModel`` (``net``, ``target_layer``, ``tile_logits``). Without
    ``per_tile`` the maps are comparable between the tiles of one call (not normalised);
    with it each map is scaled to 0..1 on its own (a flat map stays 0). None when the model
    exposes no usable 4-D target layer."""
    layer = getattr(model, "target_layer", None)
    if layer is None:
        return None
    saved: dict[str, torch.Tensor] = {}

    def hook(_module, _inp, output):
        if isinstance(output, torch.Tensor) and output.ndim == 4:
            saved["a"] = output.detach().requires_grad_(True)
            return saved["a"]
        return None

    params = [p for p in model.net.parameters() if p.requires_grad]
    handle = layer.register_forward_hook(hook)
    try:
        for p in params:  # no graph before the target layer: only the head is differentiated
            p.requires_grad_(False)
        with torch.enable_grad():
            logits = model.tile_logits(tiles)
            acts = saved.get("a")
            if acts is None or not logits.requires_grad:
                return None
            (grad,) = torch.autograd.grad(logits[:, cls].sum(), acts)
    finally:
        handle.remove()
        for p in params:
            p.requires_grad_(True)
    weights = grad.mean(dim=(2, 3), keepdim=True)
    cam = F.relu((weights * acts.detach()).sum(1, keepdim=True))
    cam = F.interpolate(cam, size=tiles.shape[-2:], mode="bilinear", align_corners=False)[:, 0].float().cpu()
    if per_tile:
        lo = cam.amin(dim=(1, 2), keepdim=True)
        span = cam.amax(dim=(1, 2), keepdim=True) - lo
        cam = torch.where(span > 1e-12, (cam - lo) / span.clamp_min(1e-12), torch.zeros_like(cam))
    return cam
