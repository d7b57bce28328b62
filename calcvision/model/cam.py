"""Layer-CAM (Jiang et al. 2021, IEEE TIP 30:5875) of a tile batch on a model's
``target_layer``: the one class activation map behind both the box ``calcvision infer``
reports and the heat map of the report.

Layer-CAM weighs each activation by its own positive gradient, where Grad-CAM (Selvaraju et
al. 2017) weighs a whole channel by its mean gradient; it stays sharp on a layer before the
last, so the map can sit on ``target_layer``, the shipped ResNet's third stage (8 x 8 cells
of 3.2 mm on a 25.6 mm tile) instead of the fourth (4 x 4 cells of 6.4 mm), and the box fits
rings and lines (``scripts/tune_box.py``; docs/infer.md).

The target layer's output is swapped for a detached leaf, so the backward pass runs only
through the layers after it.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F


def layer_cam(model: Any, tiles: torch.Tensor, cls: int, *, per_tile: bool = False) -> torch.Tensor | None:
    """Layer-CAM maps [N, T, T] of class ``cls`` (raw logit) for ``tiles`` [N, 1, T, T].

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
    cam = F.relu((F.relu(grad) * acts.detach()).sum(1, keepdim=True))
    cam = F.interpolate(cam, size=tiles.shape[-2:], mode="bilinear", align_corners=False)[:, 0].float().cpu()
    if per_tile:
        lo = cam.amin(dim=(1, 2), keepdim=True)
        span = cam.amax(dim=(1, 2), keepdim=True) - lo
        cam = torch.where(span > 1e-12, (cam - lo) / span.clamp_min(1e-12), torch.zeros_like(cam))
    return cam
