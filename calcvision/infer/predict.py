"""Whole-radiograph prediction: one calibrated set of seven probabilities and one box per image.

Two stages, so that the batch runner can put the first in worker processes and keep only the
CNN in the main process:

1. ``prepare`` (CPU, no model weights): optional roi crop -> ``resample_to_scale`` to the
   model's mm/pixel -> 16-bit levels -> overlapping ``tile_grid`` -> ``normalise_tile`` on
   every tile: exactly the path the training crops take (``calcvision.model.preprocess`` and
   the uint16 storage of ``calcvision.model.data``).
2. ``predict_prepared`` (the model): temperature-calibrated ``tile_probs`` for every tile,
   the model's ``tta_tiles`` most suspicious tiles re-scored as the mean over their eight
   flips and quarter turns (``calcvision.model.tta``), then the aggregation rule and the
   localisation below.

Aggregation rule (multiple-instance, "strongest tile"): a tile's lesion evidence is
``1 - p_none``. The image's seven probabilities are those of the tile with the strongest
lesion evidence; the pattern is their arg-max. So an image is called ``none`` exactly when
even its most suspicious tile gives ``none`` the highest probability: one convincing tile
is enough to report a lesion, weak evidence spread over many tiles is not. The tile
probabilities are calibrated (temperature scaling), but the maximum over the tiles of an
image overstates the image's lesion probability (more tiles, more chances of a false alarm),
so the winner's lesion mass ``1 - p_none`` is recalibrated at image level by the model's
``image_calibration`` (Platt scaling with a term in the log of the image's number of tiles,
fitted on validation images at training time; ``calcvision.model.calibration.image_probs``);
last, the seven probabilities are softened by the model's ``image_temperature`` (fitted on the
validation images with every training source weighing the same, so that the confidence holds
on images unlike any one of them; the arg-max does not change).
The accuracy benchmark measures the result.

Localisation: the tiles that give the image pattern at least ``support`` (0.3) x the winning
tile's probability of it, and that lie near the winning tile (origins less than ``reach`` (2)
tile widths apart, directly or through each other, so that the separate foci of a scattered
cluster join across a tile that shows none of them), form the finding's region. A Layer-CAM
map of the pattern (on the model's ``target_layer``) over the region's most suspicious tiles
(at most 24; the backward pass runs only through the layers after the target layer) is pasted
into image coordinates;
the box encloses every part of the map above ``cam_threshold`` (0.3) x its peak. Without a ``target_layer`` the box is the union of the region's
tiles. The box is returned in pixel coordinates of the ORIGINAL image (x0, y0, x1, y1;
x1/y1 exclusive).
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from scipy import ndimage

from calcvision.errors import InputError
from calcvision.io.radiograph import Radiograph
from calcvision.model.calibration import image_probs, temper
from calcvision.model.cam import layer_cam
from calcvision.model.preprocess import DEFAULT_OVERLAP, quantise, resample_to_scale, tile_stride, uint16_tile_stack
from calcvision.model.tta import score_tiles
from calcvision.patterns import CLASSES, NONE

NONE_INDEX = CLASSES.index(NONE)

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class ScaleParams:
    """What ``prepare`` needs from the model: its physical scale (mm/pixel) and tile size (px);
    and the pixel spacing (mm) to read images at whose file states none (None: the reader's
    assumed 0.15 mm)."""

    mm_per_pixel: float
    tile_px: int
    overlap: float = DEFAULT_OVERLAP
    default_spacing_mm: float | None = None

    @property
    def stride_px(self) -> int:
        return tile_stride(self.tile_px, self.overlap)


def with_default_spacing(rad: Radiograph, spacing_mm: float | None) -> Radiograph:
    """``rad`` at ``spacing_mm`` (source ``option``) when its file states no spacing and a value
    is given; otherwise ``rad`` itself."""
    if spacing_mm is None or rad.spacing_source != "assumed":
        return rad
    return dataclasses.replace(rad, spacing_mm=(spacing_mm, spacing_mm), spacing_source="option")


def scale_params(model, overlap: float = DEFAULT_OVERLAP, default_spacing_mm: float | None = None) -> ScaleParams:
    """``ScaleParams`` from a ``CalcModel``'s ``meta``."""
    return ScaleParams(float(model.meta["mm_per_pixel"]), int(model.meta["tile_px"]), overlap, default_spacing_mm)


@dataclass
class PreparedImage:
    """The model-scale tiles of one radiograph (or its roi), ready for the CNN.

    ``tiles``: float32 numpy [N, 1, T, T], normalised (numpy so that it pickles by value
    between processes). ``origins``: (y, x) of each tile in the
    model-scale image of shape ``scaled_shape``. ``scale``: original pixels per model pixel
    (row, col). ``offset``: (x0, y0) of the roi in the original image (0, 0 without roi).
    """

    tiles: np.ndarray
    origins: list[tuple[int, int]]
    scaled_shape: tuple[int, int]
    scale: tuple[float, float]
    offset: tuple[int, int]
    original_shape: tuple[int, int]

    def to_original(self, box: Box) -> Box:
        """Model-scale (x0, y0, x1, y1) -> original-image pixels, clipped to the image."""
        x0, y0, x1, y1 = box
        ox, oy = self.offset
        rows, cols = self.original_shape
        sy, sx = self.scale
        return (
            int(np.clip(np.floor(x0 * sx) + ox, 0, cols)),
            int(np.clip(np.floor(y0 * sy) + oy, 0, rows)),
            int(np.clip(np.ceil(x1 * sx) + ox, 0, cols)),
            int(np.clip(np.ceil(y1 * sy) + oy, 0, rows)),
        )


@dataclass
class Prediction:
    """One image's result: calibrated probabilities (class id -> p, sum 1), pattern, its
    confidence, and the box of the finding in original pixels (None for ``none``)."""

    probs: dict[str, float]
    pattern: str
    confidence: float
    box: Box | None
    n_tiles: int


def check_roi(roi: Box, shape: tuple[int, int]) -> Box:
    """Clip a user roi (x0, y0, x1, y1) to an image of ``shape`` (rows, cols); InputError if
    nothing of it is left."""
    rows, cols = shape
    x0, y0, x1, y1 = roi
    c = (max(0, x0), max(0, y0), min(cols, x1), min(rows, y1))
    if c[2] - c[0] < 2 or c[3] - c[1] < 2:
        raise InputError(f"--roi {x0},{y0},{x1},{y1} lies outside the image ({cols} x {rows} px)")
    return c


def prepare(rad: Radiograph, params: ScaleParams, roi: Box | None = None) -> PreparedImage:
    """Crop to ``roi`` (original pixels), resample to the model's scale, tile and normalise."""
    pixels = rad.pixels
    offset = (0, 0)
    if roi is not None:
        x0, y0, x1, y1 = check_roi(roi, rad.shape)
        pixels = pixels[y0:y1, x0:x1]
        offset = (x0, y0)
    scaled = quantise(resample_to_scale(pixels, rad.spacing_mm, params.mm_per_pixel))
    scale = (pixels.shape[0] / scaled.shape[0], pixels.shape[1] / scaled.shape[1])
    tiles, origins = uint16_tile_stack(scaled, params.tile_px, params.stride_px)
    return PreparedImage(tiles[:, None], origins, scaled.shape, scale, offset, rad.shape)


class TileScorer:
    """Calibrated tile probabilities ``softmax(logits / temperature)``, as ``model.tile_probs``,
    but on a copy of the network optimised for CPU inference: batch-norm folded into the
    convolutions (``torch.fx.experimental.optimization.fuse``) and channels-last memory layout,
    about 3x faster for the MobileNet/ResNet models here. The copy is checked against
    ``model.tile_probs`` on random tiles when built; on any failure or mismatch, or off the
    CPU, it falls back to ``model.tile_probs``."""

    def __init__(self, model, optimise: bool = True):
        self.model = model
        self.net = None
        self.temperature = float(model.meta["temperature"])
        if optimise and all(p.device.type == "cpu" for p in model.net.parameters()):
            self.net = self._fused(model)

    def _fused(self, model):
        from torch.fx.experimental.optimization import fuse

        t = int(model.meta["tile_px"])
        try:
            net = fuse(copy.deepcopy(model.net).eval()).to(memory_format=torch.channels_last)
            x = torch.randn(2, 1, t, t, generator=torch.Generator().manual_seed(0)).clamp(-4, 4)
            with torch.inference_mode():
                ok = torch.allclose(self._probs(net, x), model.tile_probs(x).float(), atol=1e-4)
        except Exception:
            return None
        return net if ok else None

    def _probs(self, net, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(net(x.contiguous(memory_format=torch.channels_last)) / self.temperature, dim=1)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self.net is None:
            return self.model.tile_probs(x)
        return self._probs(self.net, x)


def _device(model) -> torch.device:
    return next(iter(model.net.parameters()), torch.empty(0)).device


def tile_probabilities(prep: PreparedImage, model, batch_size: int = 128,
                       scorer: TileScorer | None = None) -> torch.Tensor:
    """Calibrated probabilities [N, 7] of every tile, batched (``scorer`` or ``model.tile_probs``);
    the model's ``tta_tiles`` most suspicious tiles re-scored over eight views
    (:func:`calcvision.model.tta.score_tiles`, the path the image calibration was fitted on)."""
    tiles = torch.from_numpy(prep.tiles).to(_device(model))
    with torch.inference_mode():
        return score_tiles(tiles, scorer or model.tile_probs, NONE_INDEX, model.tta_tiles, batch_size)


def aggregate(probs: torch.Tensor, image_calibration: tuple[float, ...] = (1.0, 0.0, 0.0),
              image_temperature: float = 1.0) -> tuple[int, np.ndarray]:
    """Index of the winning tile (strongest lesion evidence ``1 - p_none``) and the image's seven
    probabilities: the winner's, recalibrated at image level for this many tiles
    (``image_probs``) and softened by the image temperature (``temper``; see the module
    docstring), summing to 1."""
    lesion = 1.0 - probs[:, NONE_INDEX]
    best = int(torch.argmax(lesion))
    p = image_probs(probs[best].double().numpy(), NONE_INDEX, *image_calibration, n_tiles=len(probs))
    return best, temper(p, image_temperature)


def finding_region(prep: PreparedImage, probs: torch.Tensor, best: int, cls: int,
                   support: float = 0.3, reach: float = 2.0) -> list[int]:
    """Tiles forming the finding, most suspicious first: probability of class ``cls`` at least
    ``support`` x the winner's, connected to the winning tile through steps between tile
    origins shorter than ``reach`` tile widths (1: overlapping tiles only). The defaults were
    chosen on two tuning sets of phantoms (seeds 777002 and 777003), apart from the benchmark's."""
    lesion = (1.0 - probs[:, NONE_INDEX]).numpy()
    p_cls = probs[:, cls].numpy()
    agree = p_cls >= support * p_cls[best]
    agree[best] = True
    step = reach * prep.tiles.shape[-1]
    origins = np.asarray(prep.origins)
    region, frontier = {best}, [best]
    while frontier:
        y, x = origins[frontier.pop()]
        near = np.nonzero(agree & (np.abs(origins[:, 0] - y) < step) & (np.abs(origins[:, 1] - x) < step))[0]
        for j in near.tolist():
            if j not in region:
                region.add(j)
                frontier.append(j)
    return sorted(region, key=lambda j: -lesion[j])


@dataclass(frozen=True)
class RegionMap:
    """Layer-CAM of the finding pasted over its region's tiles (model-scale pixels, origin
    ``(y0, x0)``), or ``None`` (no usable target layer) with the region's tile union as box."""
    cam: np.ndarray | None
    y0: int
    x0: int
    union: Box


def region_map(prep: PreparedImage, model, region: list[int], cls: int, cam_tiles: int = 24,
               tile_maps: Callable[[torch.Tensor], torch.Tensor] | None = None) -> RegionMap:
    """Layer-CAM maps of class ``cls`` for the ``cam_tiles`` most suspicious region tiles,
    pasted (maximum where tiles overlap) into one map over the region. ``tile_maps`` (tiles
    [N, 1, T, T] -> maps [N, T, T]) replaces Layer-CAM (``scripts/tune_box.py --head-from``)."""
    t = prep.tiles.shape[-1]
    origins = np.asarray([prep.origins[j] for j in region])
    ry0, rx0 = origins.min(0)
    ry1, rx1 = origins.max(0) + t
    union = (int(rx0), int(ry0), int(min(rx1, prep.scaled_shape[1])), int(min(ry1, prep.scaled_shape[0])))
    top = region[:cam_tiles]
    tiles = torch.from_numpy(prep.tiles[top]).to(_device(model))
    cams = layer_cam(model, tiles, cls) if tile_maps is None else tile_maps(tiles)
    if cams is None or float(cams.max()) <= 0:
        return RegionMap(None, int(ry0), int(rx0), union)
    canvas = np.zeros((ry1 - ry0, rx1 - rx0), np.float32)
    for (y, x), cam in zip(origins[: len(top)], cams.numpy()):
        sub = canvas[y - ry0:y - ry0 + t, x - rx0:x - rx0 + t]
        np.maximum(sub, cam, out=sub)
    return RegionMap(canvas[: prep.scaled_shape[0] - ry0, : prep.scaled_shape[1] - rx0], int(ry0), int(rx0), union)


def map_box(prep: PreparedImage, rmap: RegionMap, cam_threshold: float = 0.3, all_components: bool = True) -> Box:
    """Box (original pixels) of the map's part above ``cam_threshold`` x its peak: every
    component (a scattered cluster) or, without ``all_components``, the one holding the peak."""
    if rmap.cam is None:
        return prep.to_original(rmap.union)
    peak = np.unravel_index(int(np.argmax(rmap.cam)), rmap.cam.shape)
    hot = rmap.cam >= cam_threshold * rmap.cam[peak]
    if not all_components:
        labels, _ = ndimage.label(hot)
        hot = labels == labels[peak]
    ys, xs = np.nonzero(hot)
    y0, x0 = rmap.y0, rmap.x0
    return prep.to_original((int(xs.min() + x0), int(ys.min() + y0), int(xs.max() + 1 + x0), int(ys.max() + 1 + y0)))


def locate(prep: PreparedImage, model, region: list[int], cls: int, cam_threshold: float = 0.3,
           cam_tiles: int = 24, all_components: bool = True) -> Box:
    """Box (original pixels) of the finding inside the region's tiles (see module docstring):
    ``region_map`` then ``map_box``. The defaults were chosen on tuning sets of phantoms (seeds
    777002 and 777003) apart from the benchmark's."""
    return map_box(prep, region_map(prep, model, region, cls, cam_tiles), cam_threshold, all_components)


def decide(prep: PreparedImage, model, probs: torch.Tensor) -> Prediction:
    """From the tile probabilities [N, 7] to the image's probabilities, pattern and box."""
    best, p = aggregate(probs, model.image_calibration, model.image_temperature)
    cls = int(np.argmax(p))
    box = None
    if CLASSES[cls] != NONE:
        region = finding_region(prep, probs, best, cls)
        box = locate(prep, model, region, cls)
    return Prediction(
        probs={c: float(v) for c, v in zip(CLASSES, p)},
        pattern=CLASSES[cls],
        confidence=float(p[cls]),
        box=box,
        n_tiles=len(prep.tiles),
    )


def predict_prepared(prep: PreparedImage, model, batch_size: int = 64) -> Prediction:
    """Run the model over a prepared image: probabilities, pattern and box (original pixels)."""
    return decide(prep, model, tile_probabilities(prep, model, batch_size))


def predict_radiograph(rad: Radiograph, model, roi: Box | None = None,
                       overlap: float = DEFAULT_OVERLAP) -> Prediction:
    """Whole-radiograph prediction in one call (``prepare`` then ``predict_prepared``)."""
    return predict_prepared(prepare(rad, scale_params(model, overlap), roi), model)
