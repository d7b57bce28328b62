"""The classifier networks: torchvision architectures adapted to one input channel.

A network maps a normalised tile ``[B, 1, tile_px, tile_px]`` to seven raw logits. Weights are
always initialised from scratch (no downloads). The architecture is named in the checkpoint
(``arch`` + ``arch_kwargs``) so that a model file says how to rebuild itself.
"""

from __future__ import annotations

from typing import Any, Callable

import torch
import torchvision
from torch import nn
from torch.nn import functional as F
from torchvision.models.resnet import BasicBlock, ResNet

from calcvision.patterns import CLASSES


def _one_channel(conv: nn.Conv2d, in_channels: int = 1) -> nn.Conv2d:
    """A copy of ``conv``'s geometry that takes one (or ``in_channels``) input channels (fresh weights)."""
    return nn.Conv2d(in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding, bias=conv.bias is not None)


def _mobilenet_v3(ctor: Callable[..., nn.Module], num_classes: int, width_mult: float = 1.0, dropout: float = 0.2) -> nn.Module:
    net = ctor(weights=None, num_classes=num_classes, width_mult=width_mult, dropout=dropout)
    net.features[0][0] = _one_channel(net.features[0][0])
    for m in net.modules():  # torchvision's 0.01 needs far longer runs than ours to settle
        if isinstance(m, nn.BatchNorm2d):
            m.momentum = 0.1
    return net


def _resnet18(num_classes: int) -> nn.Module:
    net = torchvision.models.resnet18(weights=None, num_classes=num_classes)
    net.conv1 = _one_channel(net.conv1)
    return net


class LocalContrast(nn.Module):
    """A fixed (not learnt) input stem: the tile beside its local contrast in units of its own
    fluctuation, ``[B, 1, H, W] -> [B, 2, H, W]``.

    The second channel is the tile minus its Gaussian blur of ``sigma_px`` (a high-pass that
    keeps deposits up to a few sigma across and removes soft-tissue and bone gradients),
    divided by the tile's mean absolute high-pass value (about the noise and texture level)
    and clipped to +-6. A faint deposit on a bone edge then has the amplitude of its
    contrast-to-fluctuation ratio, not of its share of the tile's whole grey range, which the
    per-tile standardisation (:func:`calcvision.model.preprocess.normalise_tile`) gives it.
    Computed in float32 even under autocast: a high-pass of bfloat16 input is mostly rounding.
    """

    def __init__(self, sigma_px: float) -> None:
        super().__init__()
        radius = max(1, int(3 * sigma_px + 0.5))
        t = torch.arange(-radius, radius + 1, dtype=torch.float32)
        g = torch.exp(-0.5 * (t / sigma_px) ** 2)
        self.radius = radius
        self.register_buffer("kernel", (g / g.sum()).view(1, 1, 1, -1), persistent=False)

    def _extend(self, x: torch.Tensor, dim: int) -> torch.Tensor:
        """Pad ``dim`` by ``radius`` with the point reflection 2 x_edge - x_mirror, which continues
        a gradient across the tile's edge (a mirror would fold it into a ridge there)."""
        r, n = self.radius, x.shape[dim]
        first, last = x.narrow(dim, 0, 1), x.narrow(dim, n - 1, 1)
        before = 2 * first - x.narrow(dim, 1, r).flip(dim)
        after = 2 * last - x.narrow(dim, n - 1 - r, r).flip(dim)
        return torch.cat([before, x, after], dim=dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.autocast(device_type=x.device.type, enabled=False):
            x = x.float()
            blur = F.conv2d(self._extend(x, 3), self.kernel)
            blur = F.conv2d(self._extend(blur, 2), self.kernel.transpose(2, 3))
            hp = x - blur
            scale = hp.abs().mean(dim=(2, 3), keepdim=True) * 1.25 + 1e-3
            return torch.cat([x, (hp / scale).clamp(-6.0, 6.0)], dim=1)


def _resnet(num_classes: int, layers: tuple[int, int, int, int] = (1, 1, 1, 1), width: int = 64,
            highpass_sigma_px: float | None = None) -> nn.Module:
    """torchvision's ResNet with BasicBlocks ``layers`` and stage widths ``width`` x (1, 2, 4, 8)
    (torchvision's own is 64); the stages are rebuilt with ResNet's own ``_make_layer``.
    ``highpass_sigma_px`` puts a :class:`LocalContrast` stem in front of the first convolution."""
    net = ResNet(BasicBlock, list(layers), num_classes=num_classes)
    net.conv1 = _one_channel(net.conv1)
    if width != 64:
        net.inplanes = width
        net.conv1 = nn.Conv2d(1, width, 7, 2, 3, bias=False)
        net.bn1 = nn.BatchNorm2d(width)
        for k, n in enumerate(layers):
            setattr(net, f"layer{k + 1}", net._make_layer(BasicBlock, width << k, n, stride=1 if k == 0 else 2))
        net.fc = nn.Linear(width * 8, num_classes)
        for m in net.modules():  # torchvision's initialisation, for the rebuilt layers
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
    if highpass_sigma_px is not None:
        first = _one_channel(net.conv1, in_channels=2)
        nn.init.kaiming_normal_(first.weight, mode="fan_out", nonlinearity="relu")
        net.conv1 = nn.Sequential(LocalContrast(highpass_sigma_px), first)
    return net


ARCHS: dict[str, Callable[..., nn.Module]] = {
    "mobilenet_v3_small": lambda num_classes, **kw: _mobilenet_v3(torchvision.models.mobilenet_v3_small, num_classes, **kw),
    "mobilenet_v3_large": lambda num_classes, **kw: _mobilenet_v3(torchvision.models.mobilenet_v3_large, num_classes, **kw),
    "resnet18": _resnet18,
    "resnet": _resnet,
}
"""Architecture name -> constructor(num_classes, **arch_kwargs)."""


def build_network(arch: str, num_classes: int = len(CLASSES), **arch_kwargs: Any) -> nn.Module:
    """Build ``arch`` with one input channel and ``num_classes`` outputs, randomly initialised."""
    if arch not in ARCHS:
        raise ValueError(f"unknown arch {arch!r}; expected one of: {', '.join(ARCHS)}")
    return ARCHS[arch](num_classes, **arch_kwargs)


def target_layer(net: nn.Module) -> nn.Module:
    """The block whose class activation map (``calcvision.model.cam``) places boxes and heat
    maps: a ResNet's last block of its third stage (1/16 of the tile's resolution), a
    MobileNet's or EfficientNet's last feature block."""
    if hasattr(net, "features"):  # MobileNet / EfficientNet family
        return net.features[-1]
    if hasattr(net, "layer3"):  # ResNet family
        return net.layer3[-1]
    raise ValueError(f"no class-activation-map target layer known for {type(net).__name__}")


def check_tiles(x: torch.Tensor, tile_px: int) -> None:
    """Raise ValueError unless ``x`` is a ``[B, 1, tile_px, tile_px]`` float tensor."""
    if x.ndim != 4 or x.shape[1] != 1 or x.shape[2] != tile_px or x.shape[3] != tile_px:
        raise ValueError(f"expected tiles of shape [B, 1, {tile_px}, {tile_px}], got {list(x.shape)}")
    if not torch.is_floating_point(x):
        raise ValueError(f"expected a float tensor, got {x.dtype}")
