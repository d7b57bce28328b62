"""Where the model looked: a Layer-CAM map for the predicted class, on the original pixel grid.

The CAM is the project's one class activation map, Layer-CAM
(``calcvision.model.cam.layer_cam`` on ``model.target_layer``, the same that places the box of
``calcvision infer``). The model sees tiles at its own physical scale, so the map is computed
the same way: the image is resampled to ``model.meta["mm_per_pixel"]`` with the shared
preprocessing (``calcvision.model.preprocess``), cut into overlapping tiles
(around the reported box, or over the whole image), each tile's CAM is weighted by that
tile's calibrated probability of the class (every tile's map is scaled to 0..1 on its
own, so an unweighted tile with nothing in it would look as hot as the lesion), tiles are
blended with weights that fall towards their borders (no seams), and the result is
resampled back to the original image's rows x cols.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from calcvision.io.radiograph import Radiograph
from calcvision.model.cam import layer_cam
from calcvision.model.preprocess import normalise_tile, pad_to_tile, resample_to_scale, tile_grid
from calcvision.patterns import class_index


def _region(box: tuple[float, float, float, float] | None, scale: tuple[float, float],
            shape: tuple[int, int], margin: int) -> tuple[int, int, int, int]:
    """(y0, y1, x0, x1) at model scale: the box (original pixels) grown by ``margin`` model
    pixels, clipped to the image; the whole image when there is no box."""
    h, w = shape
    if box is None:
        return 0, h, 0, w
    x0, y0, x1, y1 = box
    sy, sx = scale
    return (max(0, int(y0 * sy) - margin), min(h, int(np.ceil(y1 * sy)) + margin),
            max(0, int(x0 * sx) - margin), min(w, int(np.ceil(x1 * sx)) + margin))


def _blend_window(tile: int) -> np.ndarray:
    """Weights that fall smoothly towards a tile's border, so overlapping tiles blend without
    seams (the sliding-window practice of MONAI's importance maps)."""
    ramp = np.hanning(tile + 2)[1:-1].astype(np.float32)
    return np.outer(ramp, ramp)


def saliency_map(model: Any, radiograph: Radiograph, target: str | int, *,
                 box: tuple[float, float, float, float] | None = None,
                 stride_fraction: float = 0.5, batch_size: int = 32) -> np.ndarray:
    """Layer-CAM saliency of class ``target`` (id or index) over ``radiograph``.

    ``model`` is a ``CalcModel`` (``.net``, ``.target_layer``, ``.tile_probs``, ``.meta``
    with ``mm_per_pixel`` and ``tile_px``). With ``box`` (x0, y0, x1, y1 in original
    pixels) only the box and half a tile around it are analysed (faster; the rest is 0).
    Returns float32 (rows, cols) in 0..1 on the original pixel grid, where 1 means a tile
    fully confident in the class with all the CAM's weight at that pixel.
    """
    cls = class_index(target) if isinstance(target, str) else int(target)
    mm = float(model.meta["mm_per_pixel"])
    tile = int(model.meta["tile_px"])
    scaled = resample_to_scale(radiograph.pixels, radiograph.spacing_mm, mm)
    scale = (scaled.shape[0] / radiograph.shape[0], scaled.shape[1] / radiograph.shape[1])
    y0, y1, x0, x1 = _region(box, scale, scaled.shape, tile // 2)
    crop = pad_to_tile(scaled[y0:y1, x0:x1], tile)
    origins = tile_grid(crop.shape[0], crop.shape[1], tile, max(1, int(tile * stride_fraction)))
    weight_sum = np.zeros(crop.shape, np.float32)
    merged = np.zeros(crop.shape, np.float32)
    window = _blend_window(tile)
    device = next(model.net.parameters()).device
    for start in range(0, len(origins), batch_size):
        chunk = origins[start:start + batch_size]
        tiles = np.stack([crop[oy:oy + tile, ox:ox + tile] for oy, ox in chunk])
        x = normalise_tile(tiles)[:, None].to(device)
        maps = layer_cam(model, x, cls, per_tile=True)
        with torch.no_grad():
            weight = model.tile_probs(x)[:, cls].float().cpu().numpy()
        for k, ((oy, ox), p) in enumerate(zip(chunk, weight)):
            m = 0.0 if maps is None else np.nan_to_num(maps[k].numpy())
            merged[oy:oy + tile, ox:ox + tile] += window * m * float(p)
            weight_sum[oy:oy + tile, ox:ox + tile] += window
    # half-overlapping Hann windows sum to 1 inside the region; where they sum to less (its
    # border) the map fades out instead of ending in a hard edge
    merged /= np.maximum(weight_sum, 1.0)
    full = np.zeros(scaled.shape, np.float32)
    full[y0:y1, x0:x1] = merged[: y1 - y0, : x1 - x0]
    t = torch.from_numpy(full)[None, None]
    out = F.interpolate(t, size=radiograph.shape, mode="bilinear", align_corners=False)[0, 0].numpy()
    return np.clip(out, 0.0, 1.0).astype(np.float32)
