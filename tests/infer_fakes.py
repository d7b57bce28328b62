"""A transparent stand-in model for the inference tests: a 'bright spot detector'.

Its evidence for ``rice_grain`` is the mean of a bright-spot map over a normalised tile, so a tile
holding a small bright spot on a flat background says ``rice_grain`` and Layer-CAM on its
feature layer marks exactly the spot. The geometry of prediction (resampling, tiling, roi,
box back in original pixels) can then be checked against a known answer, independently of
how well the shipped model is trained.
"""

from __future__ import annotations

import torch
from torch import nn

from calcvision.patterns import CLASSES


class Spot(nn.Module):
    """Bright (> 3 after normalisation) and contiguous over 3 x 3 pixels: a spot, not noise."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        bright = torch.relu(x - 3.0)
        return torch.relu(torch.nn.functional.avg_pool2d(bright, 3, 1, 1, count_include_pad=False) - 0.5)


class SpotNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = Spot()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.features(x).mean(dim=(1, 2, 3))
        logits = torch.full((x.shape[0], len(CLASSES)), -3.0)
        logits[:, CLASSES.index("none")] = 0.0
        logits[:, CLASSES.index("rice_grain")] = 20000.0 * a - 4.0
        return logits


class SpotModel:
    """The CalcModel interface around ``SpotNet``."""

    def __init__(self, mm_per_pixel: float = 0.4, tile_px: int = 64):
        self.net = SpotNet()
        self.meta = {"classes": list(CLASSES), "mm_per_pixel": mm_per_pixel, "tile_px": tile_px,
                     "arch": "spot", "temperature": 1.0, "version": "test-spot"}
        self.sha256 = "0" * 64
        self.target_layer = self.net.features
        self.image_calibration = (1.0, 0.0)
        self.image_temperature = 1.0
        self.tta_tiles = 2  # exercises calcvision.model.tta (a bright spot reads the same in all 8 views)

    def tile_logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def tile_probs(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.tile_logits(x) / self.meta["temperature"], dim=1)

