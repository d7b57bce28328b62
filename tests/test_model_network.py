"""The optional local-contrast stem of the ResNet family (``highpass_sigma_px``)."""

from __future__ import annotations

import torch

from calcvision.model.network import LocalContrast, build_network


def _dot_on_a_ramp(contrast: float) -> torch.Tensor:
    """A 128 px tile: a steep ramp from -4 to 4 (a bone edge's gradient), noise of sd 0.01 and a
    3 px deposit of ``contrast`` at its centre."""
    g = torch.Generator().manual_seed(0)
    x = torch.linspace(-4, 4, 128).repeat(128, 1) + 0.01 * torch.randn(128, 128, generator=g)
    yy, xx = torch.meshgrid(torch.arange(128), torch.arange(128), indexing="ij")
    x = x + contrast * (((yy - 64) ** 2 + (xx - 64) ** 2) <= 2).float()
    return x[None, None]


def test_local_contrast_lifts_a_faint_deposit_above_the_tile_fluctuation():
    x = _dot_on_a_ramp(0.1)  # 10 times the noise, 1.25 % of the tile's grey range
    out = LocalContrast(5.0)(x)
    assert out.shape == (1, 2, 128, 128)
    assert torch.equal(out[:, :1], x)
    hp = out[0, 1]
    assert hp[64, 64] > 5  # the deposit, in units of the tile's own fluctuation
    rest = hp.clone()
    rest[60:69, 60:69] = 0
    assert rest.abs().max() < 4.5  # the ramp is gone, up to the tile's edges: only noise is left
    without = LocalContrast(5.0)(_dot_on_a_ramp(0.0))[0, 1]
    assert without[64, 64].abs() < 3


def test_local_contrast_is_float32_under_bfloat16_autocast():
    x = _dot_on_a_ramp(0.08)
    stem = LocalContrast(5.0)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        amp = stem(x)
    assert amp.dtype == torch.float32
    assert torch.allclose(amp, stem(x))


def test_resnet_with_the_stem_takes_one_channel_tiles():
    torch.manual_seed(0)
    net = build_network("resnet", width=8, highpass_sigma_px=3.0).eval()
    with torch.no_grad():
        assert net(torch.randn(3, 1, 64, 64)).shape == (3, 7)
    assert net.conv1[1].in_channels == 2
