"""Training end to end (tiny, CPU): phantoms, local folder / CSV datasets, resume, bad data."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from calcvision.cli import main
from calcvision.errors import InputError
from calcvision.model import load_model
from calcvision.model.config import load_config
from calcvision.model.data import NONE_IDX, CropDataset, PhantomSpec, phantom_items
from calcvision.model.datamodule import CalcDataModule
from calcvision.model.evaluate import evaluate_net
from calcvision.model.network import build_network
from calcvision.model.plots import epoch_series, metrics_logs
from calcvision.model.train import train
from calcvision.patterns import CLASSES

TINY = [
    "model.mm_per_pixel=0.5", "model.tile_px=64", "data.keep_px=160", "data.batch_size=32", "data.num_workers=0",
    "data.generate_workers=2", "trainer.log_every_n_steps=5", "trainer.max_time=null", "threads=1",
    "data.local=null",  # the shipped config's rendered simulator images are not in a fresh checkout
]


def _cfg(tmp_path, *over):
    return load_config("configs/default.yaml", TINY + [f"run_dir={tmp_path}/run", f"output={tmp_path}/m.safetensors",
                                                        f"data.cache_dir={tmp_path}/cache", *over])


THREE = ("tumoral_glob", "trabeculated_ossification", "none")
PHANTOMS = ["data.phantoms.train_per_class=20", "data.phantoms.val_per_class=5", "data.phantoms.shape=[320, 320]",
            "data.phantoms.spacing_mm=0.2", f"data.phantoms.classes=[{', '.join(THREE)}]", "evaluate.phantoms_per_class=8",
            "data.crops_per_epoch=768", "optim.lr=0.003"]


def test_tiny_phantom_training_learns_and_resumes(tmp_path):
    """Three phantom classes (chance 1/3), 4 short epochs: the network fits its phantoms far
    better than the same network untrained; the Lightning checkpoint resumes."""
    res = train(_cfg(tmp_path, *PHANTOMS, "trainer.max_epochs=4"), log=lambda s: None)
    model = load_model(res["model"])
    assert model.meta["metrics"]["test_phantoms"]["n"] >= 24
    # the shipped recipe trains under bfloat16 autocast; the weights it saves stay float32
    assert model.meta["training"]["config"]["trainer"]["precision"] == "bf16-mixed"
    assert {t.dtype for t in model.net.state_dict().values() if t.is_floating_point()} == {torch.float32}
    assert model.meta["training"]["data"]["phantoms"]["classes"] == list(THREE)
    items = phantom_items(PhantomSpec(1, 20, (320, 320), 0.2, THREE), 0.5, 160, 1, tmp_path / "cache")
    tiles = CropDataset(items, 64, seed=0)
    trained, _, _ = evaluate_net(model.net, model.temperature, tiles)
    torch.manual_seed(0)
    untrained, _, _ = evaluate_net(build_network("resnet").eval(), 1.0, tiles)
    assert trained["accuracy"] >= 0.5 and trained["accuracy"] >= untrained["accuracy"] + 0.15, (trained["accuracy"], untrained["accuracy"])

    last = tmp_path / "run" / "checkpoints" / "last.ckpt"
    assert last.is_file()
    res2 = train(_cfg(tmp_path, *PHANTOMS, "trainer.max_epochs=5", f"resume={last}", f"output={tmp_path}/m2.safetensors",
                      "evaluate=null"), log=lambda s: None)
    m2 = load_model(res2["model"])
    assert m2.meta["training"]["epochs"] == 5 and m2.meta["training"]["steps"] == 5 * 24  # continued from step 96
    assert not torch.equal(m2.net.fc.weight, model.net.fc.weight)
    # every epoch is validated, and the shipped recipe mines hard negatives from its 5th epoch:
    # the resumed epoch did
    logged = [row for f in metrics_logs(tmp_path / "run") for row in csv.DictReader(open(f))]
    assert sorted(int(r["epoch"]) for r in logged if r.get("val_acc")) == [0, 1, 2, 3, 4]
    mined = [float(r["mined_pool_false_alarm_rate"]) for r in logged if r.get("mined_pool_false_alarm_rate")]
    assert len(mined) == 1 and 0.0 <= mined[0] <= 1.0
    # the learning curve spans both log folders: epochs 0-3 of the first run, 4 of the resumed one
    curve = epoch_series(metrics_logs(tmp_path / "run"), ["val_acc"])
    assert sorted(curve["val_acc"]) == [0, 1, 2, 3, 4]
    assert Image.open(tmp_path / "run" / "learning_curve.png").size[0] > 500


def _png(path, img):
    Image.fromarray((np.clip(img, 0, 1) * 65535).astype(np.uint16)).save(path)


def _toy(label: str, rng: np.random.Generator, n=96) -> np.ndarray:
    """Toy images: a bright disc for phlebolith_ring, stripes for sheet, flat noise for none."""
    img = 0.4 + 0.03 * rng.standard_normal((n, n))
    yy, xx = np.mgrid[:n, :n]
    if label == "phlebolith_ring":
        img += 0.4 * (np.hypot(yy - n / 2 - rng.integers(-9, 9), xx - n / 2) < n / 5)
    elif label == "sheet":
        img += 0.4 * ((xx // 6) % 2)
    return img.astype(np.float32)


TOY = ("phlebolith_ring", "sheet", "none")
LOCAL = ["data.phantoms=null", "evaluate=null", "data.crops_per_epoch=128", "trainer.max_epochs=2",
         "data.local.val_fraction=0.25", "model.mm_per_pixel=0.3"]


def test_local_folder_dataset_trains(tmp_path):
    rng = np.random.default_rng(0)
    for label in TOY:
        (tmp_path / "data" / label).mkdir(parents=True)
        for i in range(6):
            _png(tmp_path / "data" / label / f"{i}.png", _toy(label, rng))
    logs: list[str] = []
    res = train(_cfg(tmp_path, *LOCAL, f"data.local.path={tmp_path}/data", "optim.lr=0.01"), log=logs.append)
    m = load_model(res["model"])
    assert m.meta["training"]["data"]["local"]["images"] == 18
    assert m.meta["training"]["trained_on"] == "local dataset"
    # a local dataset has no lesion masks: the lesion-map loss configs/default.yaml sets is off (not trained on
    # `none` cells alone), the run says so, and the model records the weight it was trained with
    assert load_config("configs/default.yaml").optim.lesion_map_weight > 0
    assert any("lesion-map loss is off" in line for line in logs)
    assert m.meta["training"]["config"]["optim"]["lesion_map_weight"] == 0
    assert m.meta["metrics"]["validation"]["n"] >= 3


def test_csv_manifest_dataset_with_dicom_and_roi_trains(tmp_path):
    from calcvision.io.dicom_write import write_radiograph

    rng = np.random.default_rng(1)
    rows = []
    for label in TOY:
        for i in range(5):
            img = _toy(label, rng)
            big = np.full((160, 200), 0.4, np.float32)
            big[30:126, 50:146] = img
            name = f"{label}_{i}.dcm"
            write_radiograph(tmp_path / name, (big * 4095).astype(np.uint16), spacing_mm=(0.2, 0.2), bits_stored=12)
            rows.append({"path": name, "label": label, "roi_x0": 50, "roi_y0": 30, "roi_x1": 146, "roi_y1": 126,
                         "spacing_mm": 0.3 if i == 0 else ""})
    # two manifests given as a list are one dataset (the shipped config's two simulators)
    for name, part in (("a.csv", rows[::2]), ("b.csv", rows[1::2])):
        with open(tmp_path / name, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(part)
    local = f"data.local={{path: [{tmp_path}/a.csv, {tmp_path}/b.csv], val_fraction: 0.2, description: toy DICOMs}}"
    logs = []
    res = train(_cfg(tmp_path, *LOCAL, local), log=logs.append)
    model = load_model(res["model"])
    meta = model.meta["training"]
    assert meta["data"]["local"]["images"] == 15
    assert meta["trained_on"] == "toy DICOMs"
    # the image temperature weighs each manifest the same; the validation images know theirs
    assert 0.05 <= model.image_temperature <= 20 and "every one of 2 sources weighing the same" in "\n".join(logs)
    dm = CalcDataModule(_cfg(tmp_path, *LOCAL, local))
    dm.build()
    in_a = {tmp_path / r["path"] for r in rows[::2]}
    assert len(dm.val_domains) == len(dm.val_items) >= 2 and set(dm.val_domains) <= {f"{tmp_path}/a.csv", f"{tmp_path}/b.csv"}
    assert all((Path(it.source.rsplit("#", 1)[0]) in in_a) == dom.endswith("a.csv")
               for it, dom in zip(dm.val_items, dm.val_domains))
    sources = model.meta["metrics"]["validation"]["image_by_source"]["sources"]
    assert {name: v["images"] for name, v in sources.items()} == {d: dm.val_domains.count(d) for d in set(dm.val_domains)}
    assert all(0 <= v["accuracy"] <= 1 and 0 <= v["image_ece_tempered"] <= 1 for v in sources.values())


def _manifest(tmp_path, rows):
    p = tmp_path / "m.csv"
    with open(p, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["path", "label"])
        w.writerows(rows)
    return p


def test_bad_local_datasets_fail_up_front_naming_row(tmp_path, capsys):
    _png(tmp_path / "ok.png", np.zeros((32, 32), np.float32))
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    cases = [
        ([["ok.png", "none"], ["ok.png", "calcium"]], "row 3: label 'calcium' is not a class id"),
        ([["ok.png", "none"], ["gone.png", "sheet"]], "row 3: file not found"),
        ([["broken.png", "sheet"]], "row 2: unreadable image"),
    ]
    for rows, msg in cases:
        path = _manifest(tmp_path, rows)
        with pytest.raises(InputError, match=msg):
            train(_cfg(tmp_path, *LOCAL, f"data.local.path={path}"), log=lambda s: None)
        assert not (tmp_path / "run" / "logs").exists()  # failed before any training started
    (tmp_path / "tree" / "calcium").mkdir(parents=True)
    with pytest.raises(InputError, match="folder name 'calcium' is not a class id"):
        train(_cfg(tmp_path, *LOCAL, f"data.local.path={tmp_path}/tree"), log=lambda s: None)
    # through the CLI: exit 2 and one line naming the row
    path = _manifest(tmp_path, [["ok.png", "calcium"]])
    code = main(["train", "--config", "configs/default.yaml", *TINY, *LOCAL, f"data.local.path={path}",
                 f"run_dir={tmp_path}/run"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "m.csv row 2" in err[0]


def test_crops_are_deterministic_and_balanced(tmp_path):
    items = phantom_items(PhantomSpec(5, 2, (256, 256), 0.2), 0.5, 160, 1)
    from calcvision.model.augment import Augment

    ds = CropDataset(items, 64, seed=1, length=700, augment=Augment(), epoch=2)
    a, b = ds[17], ds[17]
    assert torch.equal(a[0], b[0]) and a[1] == b[1]
    counts = np.bincount([ds[i][1] for i in range(700)], minlength=len(CLASSES))
    assert counts.min() > 60  # each class about 1/7 of 700
    ds.epoch = 3
    assert not torch.equal(ds[17][0], a[0])


def test_confuser_p_reaches_the_training_phantoms_and_their_cache_key(tmp_path):
    spec = PhantomSpec(5, 2, (256, 256), 0.2, classes=("none",))
    plain = phantom_items(spec, 0.5, 160, 1, tmp_path)
    open_field = phantom_items(dataclasses.replace(spec, confuser_p=(("collimation", 0.0),)), 0.5, 160, 1, tmp_path)
    bladed = phantom_items(dataclasses.replace(spec, confuser_p=(("collimation", 1.0),)), 0.5, 160, 1, tmp_path)
    assert len(list(tmp_path.glob("phantoms-*.npz"))) == 3  # one cache file per set
    assert any(not np.array_equal(a.pixels, b.pixels) for a, b in zip(open_field, bladed))
    assert all(np.array_equal(a.pixels, b.pixels) for a, b in zip(plain, phantom_items(spec, 0.5, 160, 1)))


def test_lesion_free_twins_are_none_tiles_at_the_lesion_place(tmp_path):
    plain = phantom_items(PhantomSpec(5, 2, (256, 256), 0.2), 0.5, 160, 1)
    items = phantom_items(PhantomSpec(5, 2, (256, 256), 0.2, twins=True), 0.5, 160, 2, tmp_path / "cache")
    assert phantom_items(PhantomSpec(5, 2, (256, 256), 0.2, twins=True), 0.5, 160, 1, tmp_path / "cache")[1].twin  # cached too
    twins = [it for it in items if it.twin]
    lesions = [it for it in items if not it.twin]
    assert len(twins) == 2 * (len(CLASSES) - 1) and len(lesions) == len(plain)
    by_source = {it.source: it for it in lesions}
    for t in twins:
        twin_of = by_source[t.source.removesuffix(":twin")]
        assert t.label == CLASSES.index("none") and t.box == twin_of.box and t.pixels.shape == twin_of.pixels.shape
        assert t.mask is None and twin_of.mask is not None  # imaged without its lesion: no lesion pixels
        x0, y0, x1, y1 = t.box
        assert not np.array_equal(t.pixels[y0:y1, x0:x1], twin_of.pixels[y0:y1, x0:x1])
    # without twin_share the draws are those of the set without twins
    from calcvision.model.augment import Augment, AugmentConfig

    kw = dict(seed=1, length=300, none_share=0.5, epoch=1, augment=Augment(AugmentConfig(enabled=False)))
    base, same = CropDataset(plain, 64, **kw), CropDataset(items, 64, twin_share=0.0, **kw)
    assert all(torch.equal(base[i][0], same[i][0]) for i in range(0, 300, 7))
    # with twin_share 1 every `none` tile is a twin's, cut where its lesion's crop would be
    ds = CropDataset(items, 64, twin_share=1.0, **kw)
    rng = np.random.default_rng(0)
    for _ in range(20):
        i, (y, x), label = ds._tile_of(CLASSES.index("none"), rng)
        x0, y0, x1, y1 = ds.items[i].box
        assert ds.items[i].twin and label == CLASSES.index("none")
        assert x < x1 and x + 64 > x0 and y < y1 and y + 64 > y0


def test_transplanted_lesions_are_their_line_integral_on_a_none_tile(tmp_path):
    """``data.transplant``: a lesion phantom keeps its line integral (cached with it); with
    ``transplant`` 1 a lesion crop is that lesion inserted into a `none` tile drawn as training
    draws one, with the same label and lesion mask; with 0 the crops are those of before."""
    from calcvision.model.augment import Augment, AugmentConfig
    from calcvision.model.insertion import insert_line_integral, window_of

    plain = phantom_items(PhantomSpec(5, 2, (256, 256), 0.2), 0.5, 160, 1)
    items = phantom_items(PhantomSpec(5, 2, (256, 256), 0.2, lesion_maps=True), 0.5, 160, 2, tmp_path)
    cached = phantom_items(PhantomSpec(5, 2, (256, 256), 0.2, lesion_maps=True), 0.5, 160, 1, tmp_path)
    assert len(list(tmp_path.glob("phantoms-*.npz"))) == 1
    for it, c, p in zip(items, cached, plain):
        assert np.array_equal(it.pixels, p.pixels) and p.lesion is None
        if it.label == NONE_IDX:
            assert it.lesion is None and c.lesion is None
            continue
        assert np.array_equal(c.lesion, it.lesion) and c.lesion_at == it.lesion_at
        m = np.unpackbits(it.mask, axis=1, count=it.pixels.shape[1]).astype(bool)
        (ay, ax), (h, w) = it.lesion_at, it.lesion.shape  # the kept patch covers the lesion pixels
        assert m[ay:ay + h, ax:ax + w].sum() == m.sum() > 0
        assert (window_of(it.lesion, it.lesion_at, (ay, ax), 8) == it.lesion[:8, :8]).all()

    line = np.zeros((32, 32), np.float32)
    line[10:12] = 0.5
    bright = insert_line_integral(np.full((32, 32), 0.4), line, 2.0)
    assert np.allclose(bright[:10], 0.4) and (bright[10:12] > 0.7).all() and bright.max() < 1.0
    linear = insert_line_integral(np.full((32, 32), 0.4), line, 2.0, median=0.5)  # display + k (1 - median) L
    assert np.allclose(linear[:10], 0.4) and np.allclose(linear[10:12], 0.9)
    assert insert_line_integral(np.full((32, 32), 0.9), line, 2.0, median=0.5).max() == 1.0  # clipped, not wrapped
    assert (window_of(line, (40, 40), (0, 0), 32) == 0).all() and window_of(line, (-10, 0), (0, 0), 32)[0:2].sum() > 0

    kw = dict(seed=1, length=200, none_share=0.3, epoch=1, augment=Augment(AugmentConfig(enabled=False)), masks=True)
    base, off, on = CropDataset(plain, 64, **kw), CropDataset(items, 64, **kw), CropDataset(items, 64, transplant=1.0, **kw)
    changed = 0
    for i in range(0, 200, 3):
        b, o, t = base[i], off[i], on[i]
        assert torch.equal(b[0], o[0]) and b[1] == o[1] == t[1] and torch.equal(o[2], t[2])
        if b[1] == NONE_IDX:
            assert torch.equal(b[0], t[0])
        else:
            changed += not torch.equal(b[0], t[0])
    assert changed >= 25
    only = CropDataset(items, 64, transplant=1.0, transplant_classes={CLASSES.index("rice_grain")}, **kw)
    for i in range(0, 200, 3):
        b, t = base[i], only[i]
        assert torch.equal(b[0], t[0]) == (b[1] != CLASSES.index("rice_grain"))
    # the transplanted tile is the lesion on a `none` tile: where the lesion's line integral
    # is zero it is that tile, where it is dense it is brighter
    rng = np.random.default_rng(3)
    it = next(i for i in items if i.label == CLASSES.index("tumoral_glob"))
    o = (it.lesion_at[0], it.lesion_at[1])
    tile = on._transplanted(it, o, rng)
    j, ob, _ = on._tile_of(NONE_IDX, np.random.default_rng(3))
    from calcvision.model.data import make_tile

    under = make_tile(items[j], ob, 64)
    lesion = window_of(it.lesion, it.lesion_at, o, 64)
    assert np.allclose(tile[lesion == 0], under[lesion == 0], atol=1e-6)
    assert (tile[lesion > 0.05] > under[lesion > 0.05]).all()


def test_lesion_masks_are_the_lesion_pixels_and_move_with_their_tiles():
    """A lesion phantom's item carries its lesion pixels (about its lesion box), a `none`
    phantom's none; an augmented training crop's mask follows the crop through flips, turns,
    rotation, scale and the elastic warp, while the crop itself is what augmentation without
    a mask gives."""
    from calcvision.model.augment import Augment, AugmentConfig
    from calcvision.model.data import MASK_UNKNOWN, Item, lesion_mask_tile

    items = phantom_items(PhantomSpec(5, 2, (256, 256), 0.2), 0.5, 160, 1)
    for it in items:
        if it.label == CLASSES.index("none"):
            assert it.mask is None
            continue
        m = np.unpackbits(it.mask, axis=1, count=it.pixels.shape[1]).astype(bool)
        x0, y0, x1, y1 = it.box
        assert m.shape == it.pixels.shape and m.sum() >= 20
        ys, xs = np.nonzero(m)  # inside the box, give or take the resampling filter's reach
        assert ys.min() >= y0 - 2 and ys.max() < y1 + 2 and xs.min() >= x0 - 2 and xs.max() < x1 + 2
    # the tile's mask is the item's, cut at the tile's origin (zero past a small image's edge)
    it = next(i for i in items if i.label == CLASSES.index("tumoral_glob"))
    full = np.unpackbits(it.mask, axis=1, count=it.pixels.shape[1])
    assert np.array_equal(lesion_mask_tile(it, (30, 20), 64), full[30:94, 20:84])
    assert np.array_equal(lesion_mask_tile(it, (60, 60), 64)[:42, :42], full[60:, 60:]) and \
        not lesion_mask_tile(it, (60, 60), 64)[42:].any()
    unknown = Item(it.pixels, it.label, it.box, "local")
    assert (lesion_mask_tile(unknown, (0, 0), 64) == MASK_UNKNOWN).all()

    geometric = Augment(AugmentConfig(p_affine=1.0, p_elastic=1.0, p_gamma=0, p_brightness_contrast=0, p_noise=0,
                                      p_blur=0, p_jpeg=0, rotate_deg=30, scale=(0.8, 1.2)))
    rng = np.random.default_rng(0)
    disc = (np.hypot(*np.mgrid[-32:32, -32:32] - rng.integers(-12, 12, (2, 1, 1))) < 14).astype(np.uint8)
    for seed in range(12):
        img, m = geometric.with_mask(0.2 + 0.6 * disc.astype(np.float32), disc, seed)
        assert np.array_equal(img, geometric(0.2 + 0.6 * disc.astype(np.float32), seed))
        assert m.dtype == np.uint8 and set(np.unique(m)) <= {0, 1}
        assert ((img > 0.5) == (m == 1)).mean() > 0.97  # the mask moved with the disc
    full_aug = Augment()
    assert all(np.array_equal(full_aug(disc * 0.5, s), full_aug.with_mask(disc * 0.5, disc, s)[0]) for s in range(20))

    ds = CropDataset(items, 64, seed=1, length=120, augment=Augment(), none_share=0.3, masks=True)
    samples = [ds[i] for i in range(120)]
    assert all(len(s) == 3 and s[2].shape == (64, 64) for s in samples)
    assert all(int(s[2].sum()) == 0 for s in samples if s[1] == CLASSES.index("none"))
    lesion = [s for s in samples if s[1] != CLASSES.index("none")]
    assert sum(int(s[2].sum()) > 0 for s in lesion) >= 0.9 * len(lesion)
    # the tiles are those of the same draws without masks
    plain = CropDataset(items, 64, seed=1, length=120, augment=Augment(), none_share=0.3)
    assert all(torch.equal(plain[i][0], samples[i][0]) for i in range(0, 120, 9))


def test_lesion_map_loss_trains_a_head_the_model_file_does_not_carry(tmp_path, capsys):
    """optim.lesion_map_weight > 0 trains an extra per-cell lesion head on the class activation
    map layer: its loss is logged and falls, and the model file holds the plain network."""
    from calcvision.model.lightning_module import CalcLightningModule

    res = train(_cfg(tmp_path, *PHANTOMS, "trainer.max_epochs=3", "optim.lesion_map_weight=1.0", "evaluate=null"),
                log=lambda s: None)
    model = load_model(res["model"])
    plain = build_network("resnet", **model.meta["arch_kwargs"])
    assert set(model.net.state_dict()) == set(plain.state_dict())
    assert model.meta["training"]["config"]["optim"]["lesion_map_weight"] == 1.0
    logged = [row for f in metrics_logs(tmp_path / "run") for row in csv.DictReader(open(f))]
    losses = [float(r["train_map_loss"]) for r in sorted(logged, key=lambda r: int(r["epoch"])) if r.get("train_map_loss")]
    assert len(losses) == 3 and losses[-1] < losses[0]
    # cells: any lesion pixel makes a positive cell; masks of unknown images are left out
    logits = torch.zeros(3, 1, 2, 2)
    masks = torch.zeros(3, 8, 8, dtype=torch.uint8)
    masks[0, 1, 6] = 1
    masks[2] = 255
    expected = torch.nn.functional.binary_cross_entropy_with_logits(logits[:2], torch.tensor(
        [[[[0.0, 1.0], [0.0, 0.0]]], [[[0.0, 0.0], [0.0, 0.0]]]]))
    assert torch.allclose(CalcLightningModule._map_loss(logits, masks), expected)
    assert float(CalcLightningModule._map_loss(logits[2:], masks[2:])) == 0.0
    # the run's checkpoint keeps the head: scripts/image_operating_points.py --head-from scores images by it,
    # and refuses a checkpoint whose network is not the model's
    script, ckpt = _script("image_operating_points"), str(tmp_path / "run" / "checkpoints" / "last.ckpt")
    common = ["--seed", "5", "--fit-seed", "6", "--per-class", "1", "--fp", "0.5", "--threads", "1", "--head-from", ckpt]
    capsys.readouterr()
    assert script.main(["--model", res["model"], *common]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("   5 ")]
    assert [r.split()[1] for r in rows] == [res["model"][-32:], "lesion-map", "head"]
    assert all(0 <= float(r.split()[-2]) <= 1 for r in rows[1:])  # AUC, then the missed share at FP 0.5
    with pytest.raises(SystemExit, match="not the model's"):
        script.main(["--model", "calcvision/weights/default.safetensors", *common])
    # phantoms without a lesion class have no mask to learn from: refused up front
    from calcvision.model.datamodule import CalcDataModule

    with pytest.raises(InputError, match="lesion masks"):
        CalcDataModule(_cfg(tmp_path, *PHANTOMS, "data.phantoms.classes=[none]", "data.phantoms.train_per_class=4",
                            "data.phantoms.val_per_class=2", "optim.lesion_map_weight=1.0")).build()


def test_decay_norm_bias_off_leaves_batchnorm_and_biases_undecayed():
    """optim.decay_norm_bias=false: every matrix and kernel decays, no one-dimensional parameter
    does; on (the default) one group decays everything, as every shipped model was trained."""
    from calcvision.model.lightning_module import CalcLightningModule

    def groups(**kw):
        module = CalcLightningModule("resnet", {"width": 8}, 0.2, 64, weight_decay=0.05, **kw)
        opt = torch.optim.AdamW(module._param_groups(), lr=1e-3, weight_decay=0.05)
        return module, [(g["weight_decay"], {id(p) for p in g["params"]}) for g in opt.param_groups]

    module, [(wd_all, ids_all)] = groups()
    assert wd_all == 0.05 and ids_all == {id(p) for p in module.parameters()}
    module, [(wd_w, ids_w), (wd_nb, ids_nb)] = groups(decay_norm_bias=False)
    assert (wd_w, wd_nb) == (0.05, 0.0) and ids_w | ids_nb == {id(p) for p in module.parameters()}
    assert not ids_w & ids_nb
    bn = next(m for m in module.modules() if isinstance(m, torch.nn.BatchNorm2d))
    assert {id(bn.weight), id(bn.bias)} <= ids_nb
    assert all(p.ndim > 1 for p in module.parameters() if id(p) in ids_w)
    assert load_config(None, ["optim.decay_norm_bias=false"]).optim.decay_norm_bias is False


def test_blur_augmentation_kernel_follows_its_sigma():
    """A wide detector blur (sigma 2 px) spreads a point over a kernel that follows the sigma,
    not a fixed 3-5 px kernel that would cut it off beyond 2 px; the image's mean is kept."""
    from calcvision.model.augment import Augment, AugmentConfig

    only_blur = AugmentConfig(flips=False, p_affine=0, p_elastic=0, p_gamma=0, p_brightness_contrast=0,
                              p_noise=0, p_jpeg=0, p_blur=1.0, blur_sigma=(2.0, 2.0))
    point = np.zeros((33, 33), np.float32)
    point[16, 16] = 1.0
    out = Augment(only_blur)(point, seed=3)
    assert out[16, 16] < 0.1 and out[16, 21] > 0.01 * out[16, 16]  # 5 px away: exp(-25/8) ~ 0.044 of the peak
    assert out.sum() == pytest.approx(1.0, abs=0.02)


def _script(name: str):
    """Import ``scripts/<name>.py`` as a module."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, f"scripts/{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_train_arms_share_phantoms_and_tabulate(tmp_path, capsys):
    """scripts/train_arms.py: the phantoms are generated once for all arms, each arm trains with
    its own overrides into its own files, and the table has one row of figures per arm."""
    arms = _script("train_arms")
    common = [f"--set={o}" for o in TINY + PHANTOMS + ["trainer.max_epochs=1", "data.crops_per_epoch=128",
                                                       "evaluate.phantoms_per_class=3"]]
    rc = arms.main(["--out", str(tmp_path), "--parallel", "1", "--arm", "base", "--arm", "seed5", "seed=5", *common])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert len(list((tmp_path / "cache").glob("phantoms-*.npz"))) == 3  # training, validation, test: once
    rows = [line for line in out.splitlines() if line.startswith(("| base |", "| seed5 |"))]
    assert len(rows) == 2, out
    for row in rows:
        figures = [float(c) for c in row.strip("|").split("|")[1:-1]]
        assert len(figures) == 6 and all(0 <= f <= 1 for f in figures), row
    assert load_model(tmp_path / "seed5.safetensors").meta["training"]["config"]["seed"] == 5
    with pytest.raises(SystemExit):
        arms.main(["--out", str(tmp_path), "--arm", "a/b"])


def test_mining_keeps_the_hardest_tiles_of_a_class():
    """The miner keeps the candidates of a class the network finds hardest (here: `none` tiles
    that are brightest, lesion tiles that are darkest), all of them tiles of that class
    (`none` ones away from any lesion box); a dataset given them draws that class's tiles from
    them at the configured share, and draws every other tile exactly as before."""
    from calcvision.model.augment import Augment
    from calcvision.model.data import make_tile, model_input
    from calcvision.model.mining import mine_hard_examples

    items = phantom_items(PhantomSpec(5, 3, (256, 256), 0.2), 0.5, 160, 1)
    ds = CropDataset(items, 64, seed=1, length=400, augment=Augment(), epoch=2, none_share=0.5)
    sheet = CLASSES.index("sheet")

    def logits_of(x):  # the brighter the tile, the more lesion-like
        m = x.mean(dim=(1, 2, 3))
        return torch.stack([m if c != NONE_IDX else -m for c in range(len(CLASSES))], dim=1)

    def level(i, o):
        return float(model_input(make_tile(items[i], o, 64)).mean())

    hard, h = mine_hard_examples(logits_of, ds, NONE_IDX, pool=60, keep=10, key=(1, 2))
    pool = ds.candidates(NONE_IDX, 60, (1, 2))
    assert len(hard) == 10 and len(h) == len(pool) >= 50
    assert sorted(level(i, o) for i, o in hard) == pytest.approx(sorted(level(i, o) for i, o in pool)[-10:], abs=1e-4)
    for i, (y, x) in hard:
        box = items[i].box
        assert items[i].label == NONE_IDX or x + 64 <= box[0] or x >= box[2] or y + 64 <= box[1] or y >= box[3]
    hard_sheet, _ = mine_hard_examples(logits_of, ds, sheet, pool=12, keep=4, key=(1, 3))
    pool = ds.candidates(sheet, 12, (1, 3))
    assert all(items[i].label == sheet for i, _ in pool) and len(pool) == 12
    assert sorted(level(i, o) for i, o in hard_sheet) == pytest.approx(sorted(level(i, o) for i, o in pool)[:4], abs=1e-4)

    ds.augment = lambda tile, seed: tile  # so that a drawn tile can be recognised
    plain = [ds[k] for k in range(400)]
    ds.hard, ds.hard_share = {NONE_IDX: hard, sheet: hard_sheet}, {NONE_IDX: 1.0, sheet: 1.0}
    mined = [ds[k] for k in range(400)]
    assert [y for _, y in mined] == [y for _, y in plain]  # the class draws do not change
    assert all(torch.equal(a[0], b[0]) for a, b in zip(mined, plain) if a[1] not in (NONE_IDX, sheet))
    for cls, kept in ((NONE_IDX, hard), (sheet, hard_sheet)):
        inputs = [model_input(make_tile(items[i], o, 64)) for i, o in kept]
        drawn = [x for x, y in mined if y == cls]
        assert len(drawn) > 20 and all(any(torch.equal(x, t) for t in inputs) for x in drawn)


def test_tile_operating_points_prints_matched_miss_rates(capsys, tmp_path):
    """scripts/tile_operating_points.py: one row per model and seed; the share of lesion tiles
    missed falls as the matched false-alarm rate rises, and the same model twice gives the
    same row; --missed draws the lesion tiles called none, eight to a row."""
    script = _script("tile_operating_points")
    assert script.main(["--model", "calcvision/weights/default.safetensors", "--model",
                        "calcvision/weights/default.safetensors", "--seed", "5", "--per-class", "2",
                        "--fp", "0.05", "0.5", "--threads", "1", "--missed", str(tmp_path / "missed.png")]) == 0
    picture = Image.open(tmp_path / "missed.png")
    assert picture.width == 8 * 128 and picture.height % 128 == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines() if line.startswith("   5 ")]
    assert len(rows) == 2 and rows[0][2:] == rows[1][2:]
    own_fp, own_miss, at_low, at_high = (float(v) for v in rows[0][2:])
    assert 0 <= own_fp <= 1 and 0 <= own_miss <= 1 and 0 <= at_high <= at_low <= 1


def test_image_operating_points_prints_separation_per_model(capsys):
    """scripts/image_operating_points.py: one row per model and seed, plus the ensemble; the
    average of two copies of a model is that model, and more false alarms allowed never
    miss more lesion images."""
    script = _script("image_operating_points")
    assert script.main(["--model", "calcvision/weights/default.safetensors", "--model",
                        "calcvision/weights/default.safetensors", "--ensemble", "--seed", "5", "--fit-seed", "6",
                        "--per-class", "2", "--fp", "0.5", "1.0", "--threads", "1", "--aggregates"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("   5 ")]
    pooled = {name: line[len("   5 ") + 32:].split() for name in script.AGGREGATES for line in lines if name in line}
    assert len(pooled) == len(script.AGGREGATES) and all(0 <= float(v) <= 1 for row in pooled.values() for v in row)
    rows = [line.split() for line in lines[:3]]
    assert len(lines) == 3 + len(script.AGGREGATES) + len(script.PATTERN_SUPPORT) and rows[0][2:] == rows[1][2:]
    patterns = [line for line in lines if "given their pattern" in line]
    assert len(patterns) == len(script.PATTERN_SUPPORT)
    assert all(0 <= float(line.split("pattern ")[1].split()[0]) <= 1 and "of 12)" in line for line in patterns)
    figures = [float(v) for v in rows[0][2:]]
    assert [float(v) for v in rows[2][3:]] == pytest.approx(figures)  # "ensemble (mean)" is two words
    assert all(0 <= v <= 1 for v in figures) and figures[-1] <= figures[-2]
    assert script.auc(np.array([2.0, 3.0]), np.array([1.0, 2.0])) == pytest.approx(0.875)
    z = script._logits(torch.tensor([[0.0] * 6 + [p_none] for p_none in (0.5, 0.1, 0.9)]))  # evidence 0.5, 0.9, 0.1
    assert z == pytest.approx([np.log(9), 0.0, -np.log(9)])
    f = script.AGGREGATES
    assert f["second strongest tile"](z) == pytest.approx(0.0) and f["tiles with evidence > 0.5"](z) == 1
    assert f["noisy-OR of tiles"](z) == pytest.approx(-np.log(0.5 * 0.1 * 0.9))
    assert f["log-sum-exp of tile logits"](z) == pytest.approx(np.log(9 + 1 + 1 / 9))
    # the strongest tile says rice grain; two nearly as strong tiles say sheet
    tiles = torch.zeros(3, len(CLASSES))
    tiles[0, CLASSES.index("rice_grain")], tiles[0, NONE_IDX] = 0.5, 0.1
    tiles[0, CLASSES.index("sheet")] = 0.4
    for i in (1, 2):
        tiles[i, CLASSES.index("sheet")], tiles[i, NONE_IDX] = 0.8, 0.2
    assert CLASSES[script.pooled_pattern(tiles, 1.0)] == "rice_grain"
    assert CLASSES[script.pooled_pattern(tiles, 0.5)] == "sheet"
    tiles[:, NONE_IDX] = 0.95  # a pattern even where every tile calls `none`: never `none` itself
    assert all(script.pooled_pattern(tiles, k) != NONE_IDX for k in script.PATTERN_SUPPORT)


def test_false_alarm_sources_describes_tiles_and_accounts_for_every_image(tmp_path, capsys):
    """scripts/false_alarm_sources.py: a tile over the lead marker holds the marker, one in the
    middle of an open field does not touch its border; every image is counted once per factor."""
    from calcvision.phantoms.sample import draw_scene

    script = _script("false_alarm_sources")
    scene = draw_scene("none", 5, 1, shape=(512, 512), confuser_p={"marker": 1.0, "collimation": 0.0})
    ys, xs = np.nonzero(scene.extra_li)
    assert "marker" in script.tile_features(scene, (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1))
    centre = script.tile_features(scene, (240, 240, 272, 272))
    assert not centre & {"marker", "field border", "collimator edge"}
    png = tmp_path / "alarms.png"
    assert script.main(["--n", "4", "--png", str(png)]) == 0
    out = capsys.readouterr().out
    called = int(out.splitlines()[1].split(": ")[1].split()[0])
    anatomy = [line.split() for line in out.splitlines() if line.startswith("  anatomy = ")]
    assert sum(int(r[3]) for r in anatomy) == 4 and sum(int(r[4]) for r in anatomy) == called
    assert png.exists() == (called > 0)


def test_lesion_visibility_script_measures_detectability(capsys):
    """scripts/lesion_visibility.py: every lesion phantom gets a positive detectability, a
    displayed contrast and a call; the d' ranges and the display check account for every lesion."""
    script = _script("lesion_visibility")
    scene = script.S.draw_scene("phlebolith_ring", 5, 0, shape=(512, 512))
    v = script.visibility(scene, 5, 0, 0.3)
    assert v["d"] > v["peak"] > 0 and 0 < v["contrast"] <= 1
    assert v["radiograph"].pixels.shape == (512, 512)
    assert script.main(["--seed", "5", "--per-class", "1", "--threads", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("6 lesion phantoms")
    assert sum(int(line.split()[2]) for line in out if line.startswith("  d' ")) == 6
    assert sum(int(line.split(": ")[1].split()[0]) for line in out if line.startswith(("  passes:", "  fails:"))) == 6


def test_bench_shift_images_the_same_scene_under_each_shift(tmp_path, capsys):
    """scripts/bench_shift.py: a header shift changes only the spacing, a physics shift only the
    pixels; the 0.3 mm and 0.05 mm images cover the same field in mm with the same lesion box in
    mm; the redrawn scenes keep the field and the lesion box; the table has a row per condition,
    the JSON a line per image and condition, and the montage is written."""
    script = _script("bench_shift")
    scene = script.S.draw_scene("phlebolith_ring", 5, 0, shape=(512, 512))
    sp = scene.grid.spacing

    def image(name: str):
        return script.SHIFTS[name](scene, "phlebolith_ring", 5, 0)

    pixels, sp0, box = image("as drawn")
    assert sp0 == sp and pixels.shape == (512, 512) and box is not None
    header = image("header x1.2")
    assert np.array_equal(header[0], pixels) and header[1] == pytest.approx(1.2 * sp) and header[2] == box
    quiet = image("noise-free")[0]
    assert quiet.shape == pixels.shape and not np.array_equal(quiet, pixels) and 0 <= quiet.min() <= quiet.max() <= 1
    for name, mm in (("0.3 mm pixels", 0.3), ("0.05 mm pixels", 0.05)):
        px, s, b = image(name)
        assert s == mm and px.shape[0] * mm == pytest.approx(512 * sp, abs=2 * mm)
        assert np.allclose(np.array(b) * mm, np.array(box) * sp, atol=1.0)  # lesion box within 1 mm
    for name in ("smooth bone", "no clutter"):  # redrawn: same field and lesion, other textures
        px, s, b = image(name)
        assert s == sp and b == box and not np.array_equal(px, pixels)
    assert script.ranges()["anatomy"]["trabecular_layers"]["range"] == [1, 5]  # the pinning is undone
    out, png = tmp_path / "shift.jsonl", tmp_path / "montage.png"
    assert script.main(["--per-class", "1", "--only", "as drawn", "no log", "--threads", "1", "--json", str(out),
                        "--montage", str(png)]) == 0
    assert Image.open(png).size[0] > 600
    printed = capsys.readouterr().out.splitlines()
    rows = [line for line in printed if line.startswith("| as drawn") or line.startswith("| no log")]
    assert len(rows) == 4  # summary and recall tables
    mean = next(line for line in printed if line.startswith("mean image accuracy over the 2 conditions: "))
    assert float(mean.split()[-1]) == pytest.approx(np.mean([float(r.split("|")[2].split()[0]) for r in rows[:2]]), abs=1e-3)
    assert len(out.read_text().splitlines()) == 2 * len(CLASSES)


def test_tune_box_prints_every_setting_and_the_defaults_per_class(tmp_path, capsys):
    """scripts/tune_box.py: one row per (support, reach, cam threshold, all parts) setting with
    shares and median IoU in 0..1, and the per-class line of the defaults."""
    script = _script("tune_box")
    script.main(["--per-class", "1", "--data", str(tmp_path / "set"), "--workers", "1"])
    out = capsys.readouterr().out.splitlines()
    rows = [line.split() for line in out if line.split()[:1] and line.split()[0] in ("0.3", "0.5", "0.7")]
    assert len(rows) == 54 and all(0 <= float(r[4]) <= 1 and 0 <= float(r[5]) <= 1 for r in rows)
    used = int(next(line for line in out if line.startswith("tuning sets")).split(", ")[-1].split()[0])
    per_class = next(line for line in out if line.startswith("IoU >= 0.3 per class"))
    assert sum(int(part.split(" of ")[1]) for part in per_class.split(": ", 1)[1].split(", ")) == used


def test_tile_count_calibration_prints_both_forms_per_field_size(capsys, tmp_path):
    """scripts/tile_count_calibration.py: the two calibrations fitted on the pooled field sizes
    (c >= 0), then per field size a row for each, with more tiles in the larger field and rates
    in 0..1; --write saves a copy carrying the fitted (a, b, c) and the same weights."""
    from calcvision.model import load_model

    script = _script("tile_count_calibration")
    out_model = tmp_path / "refit.safetensors"
    assert script.main(["--fit-seed", "6", "--fit-per-class", "3", "--fit-shape", "256", "512", "--seed", "5",
                        "--per-class", "2", "--shape", "256", "512", "--threads", "1", "--write", str(out_model)]) == 0
    out = [line for line in capsys.readouterr().out.splitlines() if not line.startswith("wrote ")]
    assert "(42 images of 256 x 256 and 512 x 512, " in out[0]
    abc = [float(v) for v in out[0].split("(a, b, c) = (")[1].split(")")[0].split(", ")]
    assert abc[2] >= 0  # c
    refit, shipped = load_model(out_model), load_model()
    assert list(refit.image_calibration) == pytest.approx(abc, abs=5e-4)
    assert refit.meta["recalibrated_from"]["sha256"] == shipped.sha256
    assert all(torch.equal(a, b) for a, b in zip(refit.net.state_dict().values(), shipped.net.state_dict().values()))
    rows = [line.split() for line in out[2:] if line.split()[:1] in (["256"], ["512"])]
    assert [(r[0], r[2]) for r in rows] == [(side, form) for side in ("256", "512") for form in ("(a,", "(a,", "stored")]
    assert float(rows[3][1]) > float(rows[0][1])
    assert all(0 <= float(v) <= 1 for r in rows for v in r[-4:])


def test_temperature_check_prints_one_row_per_seed(capsys):
    """scripts/temperature_check.py: per seed the tile count (at least one tile per phantom), the
    temperature that set fits for itself, and ECEs in 0..1."""
    script = _script("temperature_check")
    assert script.main(["--seed", "5", "6", "--per-class", "2", "--threads", "1"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[2:]]
    assert [r[0] for r in rows] == ["5", "6"]
    for _, tiles, own, *eces in rows:
        assert int(tiles) >= 14 and float(own) > 0 and all(0 <= float(e) <= 1 for e in eces)


def test_model_card_metrics_quotes_the_intervals_of_metrics_json(tmp_path, monkeypatch, capsys):
    """scripts/model_card_metrics.py: the card's table row carries the Wilson interval that
    compute_metrics wrote, and rows without one stay bare."""
    import json

    from calcvision.model.evaluate import compute_metrics

    labels = np.array([0, 0, 1, 6, 6])
    probs = np.eye(len(CLASSES))[[0, 1, 1, 6, 0]] * 0.9 + 0.1 / len(CLASSES)
    path = tmp_path / "metrics.json"
    path.write_text(json.dumps(compute_metrics(probs, labels)))
    monkeypatch.setattr("sys.argv", ["model_card_metrics.py", str(path)])
    assert _script("model_card_metrics").main() == 0
    rows = {line.split(" | ")[0]: line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")}
    lo, hi = compute_metrics(probs, labels)["accuracy_ci95"]
    assert rows["| accuracy"] == f"| accuracy | 0.6000 (95 % CI {lo:.3f}-{hi:.3f}) |"
    assert "CI" not in rows["| macro-F1"]
