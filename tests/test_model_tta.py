"""Test-time augmentation (calcvision.model.tta): the eight views, which rows change, and the
same probabilities in ``calcvision infer`` and in the whole-image evaluation that fits the
image calibration."""

from __future__ import annotations

import numpy as np
import torch

from calcvision.infer.predict import prepare, scale_params, tile_probabilities
from calcvision.io.radiograph import Provenance, Radiograph
from calcvision.model import load_model, save_model
from calcvision.model.checkpoint import make_meta
from calcvision.model.data import Item
from calcvision.model.evaluate import strongest_tiles
from calcvision.model.network import build_network
from calcvision.model.preprocess import quantise
from calcvision.model.tta import dihedral_views, refine_strongest
from calcvision.patterns import CLASSES, NONE

NI = CLASSES.index(NONE)


def _key(t: torch.Tensor) -> tuple:
    return tuple(t.flatten().tolist())


def test_dihedral_views_are_the_eight_symmetries_of_a_square():
    x = torch.arange(16.0).reshape(1, 1, 4, 4)
    views = dihedral_views(x)
    assert views.shape == (8, 1, 4, 4) and torch.equal(views[0], x[0])
    keys = {_key(v) for v in views}
    assert len(keys) == 8
    assert {_key(torch.rot90(v, 1, (1, 2))) for v in views} == keys  # closed under a turn
    assert {_key(torch.flip(v, (2,))) for v in views} == keys  # and under a flip


def _corner_score(tiles: torch.Tensor) -> torch.Tensor:
    """Lesion evidence = the top-left pixel: a different answer in each view."""
    e = tiles[:, 0, 0, 0].clamp(0, 1)
    p = torch.zeros(len(tiles), len(CLASSES))
    p[:, 0], p[:, NI] = e, 1 - e
    return p


def test_only_the_most_suspicious_tiles_get_the_mean_over_their_views():
    tiles = torch.rand(6, 1, 5, 5, generator=torch.Generator().manual_seed(1))
    probs = _corner_score(tiles)
    out = refine_strongest(probs, tiles, _corner_score, NI, 2)
    top = set(torch.argsort(probs[:, NI])[:2].tolist())
    for j in range(6):
        if j in top:  # the four corners, each seen twice among the eight views
            corners = tiles[j, 0][[0, 0, -1, -1], [0, -1, 0, -1]].mean()
            assert torch.allclose(out[j, 0], corners) and not torch.equal(out[j], probs[j])
        else:
            assert torch.equal(out[j], probs[j])
    assert torch.equal(refine_strongest(probs, tiles, _corner_score, NI, 0), probs)
    assert torch.allclose(refine_strongest(probs, tiles, _corner_score, NI, 99)[:, 0],
                          torch.stack([t[0][[0, 0, -1, -1], [0, -1, 0, -1]].mean() for t in tiles]))


def test_inference_and_evaluation_score_an_image_the_same_way(tmp_path):
    """The image calibration is fitted on ``strongest_tiles``; ``calcvision infer`` must see the
    same probabilities (same tiles, same re-scored views) or the calibration does not apply."""
    torch.manual_seed(0)
    arch, kw, t = "resnet", {"width": 8}, 64
    net = build_network(arch, **kw).eval()
    torch.nn.init.normal_(net.fc.weight, std=3.0)  # a random net whose answers vary between tiles and views
    meta = make_meta(mm_per_pixel=0.5, tile_px=t, arch=arch, arch_kwargs=kw, temperature=1.3, tta_tiles=3)
    model = load_model(save_model(tmp_path / "m.safetensors", net, meta))
    assert model.tta_tiles == 3
    rng = np.random.default_rng(0)
    img = (0.3 + 0.05 * rng.standard_normal((150, 170))).astype(np.float32)
    img[60:80, 90:104] = 0.8
    levels = quantise(img)
    best, _, _, _, _ = strongest_tiles(model.net, model.temperature, [Item(levels, 0, None, "t")], t, tta_tiles=3)
    rad = Radiograph(levels.astype(np.float32) / 65535.0, (0.5, 0.5), "PixelSpacing", Provenance("mem"))
    probs = tile_probabilities(prepare(rad, scale_params(model)), model)
    strongest = probs[int(torch.argmax(1 - probs[:, NI]))]
    assert np.allclose(strongest.numpy(), best[0], atol=1e-5)
    model.meta["tta_tiles"] = 0
    plain = tile_probabilities(prepare(rad, scale_params(model)), model)
    assert (plain - probs).abs().max() > 1e-4  # the views changed something
