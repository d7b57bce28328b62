"""Training data: images at model scale ("items") and the tile crops cut from them.

Sources: (a) phantoms from ``calcvision.phantoms.make_phantom`` generated in worker processes
into an in-memory cache (optionally saved as ``.npz``), (b) a local dataset (a folder with one
sub-folder per class id, or a CSV manifest ``path,label[,roi_x0,roi_y0,roi_x1,roi_y1][,spacing_mm]``)
read through ``calcvision.io.read_radiograph``, validated up front, split stratified, (c) both.

Every crop goes through :mod:`calcvision.model.preprocess` (resample_to_scale, pad_to_tile,
quantise, normalise_uint16_tiles), exactly as inference tiles do: after augmentation a crop is
quantised to 16-bit levels again, like every inference tile.
"""

from __future__ import annotations

import csv
import hashlib
import json
import multiprocessing as mp
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from calcvision.errors import InputError
from calcvision.model.augment import Augment
from calcvision.model.insertion import insert_line_integral, insertion_gain, window_of
from calcvision.model.preprocess import normalise_uint16_tiles, pad_to_tile, quantise, resample_to_scale
from calcvision.patterns import CLASS_INDEX, CLASSES, NONE

NONE_IDX = CLASS_INDEX[NONE]
IMAGE_SUFFIXES = {".dcm", ".dicom", ".png", ".tif", ".tiff", ".jpg", ".jpeg", ""}
Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels


@dataclass
class Item:
    """One image at model scale: ``pixels`` uint16 (0..65535 = 0..1, to halve the cache's
    memory), its class index and the lesion box (x0, y0, x1, y1) at model scale, if known."""

    pixels: np.ndarray
    label: int
    box: Box | None
    source: str
    points: np.ndarray | None = None  # (N, 2) int32 (y, x) of dense lesion pixels, when known
    twin: bool = False  # a lesion phantom imaged without its lesion: `none`, ``box`` and ``points`` of the lesion
    mask: np.ndarray | None = None  # lesion pixels, np.packbits(bool [H, W], axis=1); None: unknown (see lesion_mask_tile)
    lesion: np.ndarray | None = None  # float16 lesion line integral over its bounding patch (data.transplant)
    lesion_at: tuple[int, int] | None = None  # (y, x) of ``lesion``'s first pixel in ``pixels``
    levels: tuple[float, float, float] | None = None  # 1st / 50th / 99th percentile of pixels (0..1), once needed


def to_item(pixels: np.ndarray, spacing_mm: tuple[float, float], mm_per_pixel: float, label: int,
            box: Box | None, source: str, keep_px: int | None = None, rng: np.random.Generator | None = None,
            lesion_map: np.ndarray | None = None, lesion_threshold: float | None = None,
            keep_lesion: bool = False) -> Item:
    """Resample an image (and its box) to ``mm_per_pixel``; optionally keep only a window of
    at most ``keep_px`` around the box (or a random one without box) to bound memory.

    ``lesion_map`` (same shape as ``pixels``, the lesion's excess attenuation) gives the points
    where the lesion is dense, so that crops of lesions larger than a tile still show it, and,
    with ``lesion_threshold``, the lesion mask (``Item.mask``: the pixels where it exceeds it);
    ``keep_lesion`` keeps the map itself over the patch where it exceeds a tenth of that
    threshold (``Item.lesion``), for inserting the lesion elsewhere."""
    img = resample_to_scale(pixels, spacing_mm, mm_per_pixel)
    lmap = None if lesion_map is None else resample_to_scale(lesion_map.astype(np.float32), spacing_mm, mm_per_pixel)
    sy, sx = spacing_mm[0] / mm_per_pixel, spacing_mm[1] / mm_per_pixel
    if box is not None:
        x0, y0, x1, y1 = box
        box = (int(np.floor(x0 * sx)), int(np.floor(y0 * sy)), int(np.ceil(x1 * sx)), int(np.ceil(y1 * sy)))
    if keep_px is not None:
        img, box, (oy, ox) = _window(img, box, keep_px, rng or np.random.default_rng(0))
        if lmap is not None:
            lmap = lmap[oy:oy + img.shape[0], ox:ox + img.shape[1]]
    if lmap is None:
        return Item(quantise(img), label, box, source)
    mask = None if lesion_threshold is None else np.packbits(lmap > lesion_threshold, axis=1)
    item = Item(quantise(img), label, box, source, _dense_points(lmap), mask=mask)
    if keep_lesion:
        rows, cols = np.nonzero(lmap > 0.1 * (lesion_threshold or 0.01))
        if len(rows):
            item.lesion = lmap[rows.min():rows.max() + 1, cols.min():cols.max() + 1].astype(np.float16)
            item.lesion_at = (int(rows.min()), int(cols.min()))
    return item


def _dense_points(lmap: np.ndarray, max_points: int = 256) -> np.ndarray | None:
    """Up to ``max_points`` (y, x) where the lesion map exceeds a quarter of its peak."""
    peak = float(lmap.max()) if lmap.size else 0.0
    if peak <= 0:
        return None
    ys, xs = np.nonzero(lmap > 0.25 * peak)
    step = max(1, len(ys) // max_points)
    return np.stack([ys[::step], xs[::step]], axis=1).astype(np.int32)


def _window(img: np.ndarray, box: Box | None, keep: int, rng: np.random.Generator) -> tuple[np.ndarray, Box | None, tuple[int, int]]:
    h, w = img.shape

    def axis(n: int, lo: int | None, hi: int | None) -> int:
        if n <= keep:
            return 0
        if lo is None:
            return int(rng.integers(0, n - keep + 1))
        centre = (lo + hi) // 2
        return int(np.clip(centre - keep // 2, 0, n - keep))

    oy = axis(h, None if box is None else box[1], None if box is None else box[3])
    ox = axis(w, None if box is None else box[0], None if box is None else box[2])
    out = img[oy:oy + keep, ox:ox + keep]
    if box is not None:
        box = (max(0, box[0] - ox), max(0, box[1] - oy), min(out.shape[1], box[2] - ox), min(out.shape[0], box[3] - oy))
    return np.ascontiguousarray(out), box, (oy, ox)


# --------------------------------------------------------------------------- phantoms


@dataclass(frozen=True)
class PhantomSpec:
    """Which phantoms to make: ``n_per_class`` of each class with ``seed``; ``shape`` and
    ``spacing_mm`` passed to make_phantom (None = the simulator's own choice)."""

    seed: int
    n_per_class: int
    shape: tuple[int, int] | None = None
    spacing_mm: float | None = None
    classes: tuple[str, ...] = CLASSES
    twins: bool = False  # also each lesion phantom's lesion-free twin (Item.twin)
    confuser_p: tuple[tuple[str, float], ...] = ()  # (name, p): confuser probabilities replaced (draw_scene)
    lesion_maps: bool = False  # keep each lesion's line integral (Item.lesion, for data.transplant)


def _phantom_job(args: tuple) -> list[Item]:
    label, seed, index, shape, spacing, mm_per_pixel, keep_px, twins, confuser_p, lesion_maps = args
    from calcvision.phantoms.sample import BOX_THRESHOLD, make_phantom_and_twin

    s, t = make_phantom_and_twin(label, seed, index, shape=shape, spacing_mm=spacing, twin=twins,
                                 confuser_p=dict(confuser_p))
    r = s.radiograph
    box = None if s.box is None else tuple(int(v) for v in s.box)
    lesion = None if box is None else s.lesion
    # the same window rng for the twin, so that it keeps the same window around the same box
    items = [to_item(r.pixels, r.spacing_mm, mm_per_pixel, CLASS_INDEX[label], box, s.radiograph.provenance.path,
                     keep_px, np.random.default_rng([seed, index, CLASS_INDEX[label]]), lesion, BOX_THRESHOLD,
                     lesion_maps)]
    if t is not None and box is not None:
        twin = to_item(t.radiograph.pixels, r.spacing_mm, mm_per_pixel, NONE_IDX, box, t.radiograph.provenance.path,
                       keep_px, np.random.default_rng([seed, index, CLASS_INDEX[label]]), lesion)
        twin.twin = True  # imaged without the lesion: its points, but no lesion pixels (no mask)
        items.append(twin)
    return items


def phantom_items(spec: PhantomSpec, mm_per_pixel: float, keep_px: int, workers: int = 2,
                  cache_dir: str | Path | None = None) -> list[Item]:
    """Generate (or load from ``cache_dir``) the phantoms of ``spec`` at model scale.

    Deterministic: the items are make_phantom(label, seed, index) in order (each lesion item
    followed by its lesion-free twin with ``spec.twins``) whatever ``workers`` is."""
    key = json.dumps([spec.seed, spec.n_per_class, spec.shape, spec.spacing_mm, list(spec.classes),
                      mm_per_pixel, keep_px, _phantoms_version(), "masks"] + (["twins"] if spec.twins else [])
                     + ([["confuser_p", list(map(list, spec.confuser_p))]] if spec.confuser_p else [])
                     + (["lesion_maps"] if spec.lesion_maps else []),
                     sort_keys=True)
    cache = None
    if cache_dir is not None:
        cache = Path(cache_dir) / f"phantoms-{hashlib.sha256(key.encode()).hexdigest()[:16]}.npz"
        if cache.is_file():
            return _load_items(cache)
    jobs = [(label, spec.seed, i, spec.shape, spec.spacing_mm, mm_per_pixel, keep_px, spec.twins, spec.confuser_p,
             spec.lesion_maps)
            for i in range(spec.n_per_class) for label in spec.classes]
    if workers > 1:
        with mp.get_context("fork").Pool(workers) as pool:
            items = [it for group in pool.map(_phantom_job, jobs, chunksize=4) for it in group]
    else:
        items = [it for j in jobs for it in _phantom_job(j)]
    if cache is not None:
        _save_items(cache, items)
    return items


def _phantoms_version() -> str:
    try:
        from calcvision import phantoms

        return str(getattr(phantoms, "__version__", getattr(phantoms, "VERSION", "")))
    except ImportError:
        return ""


def _save_items(path: Path, items: list[Item]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {f"p{i}": it.pixels for i, it in enumerate(items)}
    arrays.update({f"q{i}": it.points for i, it in enumerate(items) if it.points is not None})
    arrays.update({f"m{i}": it.mask for i, it in enumerate(items) if it.mask is not None})
    arrays.update({f"l{i}": it.lesion for i, it in enumerate(items) if it.lesion is not None})
    index = [{"label": it.label, "box": it.box, "source": it.source, **({"twin": True} if it.twin else {}),
              **({"lesion_at": it.lesion_at} if it.lesion is not None else {})} for it in items]
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, index=np.frombuffer(json.dumps(index).encode(), dtype=np.uint8), **arrays)
    tmp.replace(path)


def _load_items(path: Path) -> list[Item]:
    with np.load(path, allow_pickle=False) as z:
        index = json.loads(bytes(z["index"]).decode())
        return [Item(z[f"p{i}"], d["label"], None if d["box"] is None else tuple(d["box"]), d["source"],
                     z[f"q{i}"] if f"q{i}" in z.files else None, d.get("twin", False),
                     z[f"m{i}"] if f"m{i}" in z.files else None, z[f"l{i}"] if f"l{i}" in z.files else None,
                     tuple(d["lesion_at"]) if "lesion_at" in d else None) for i, d in enumerate(index)]


# --------------------------------------------------------------------------- local dataset


@dataclass(frozen=True)
class LocalRow:
    path: Path
    label: str
    roi: Box | None
    spacing_mm: float | None
    where: str  # "manifest.csv row 3" or the file path, for messages


def scan_local(root: str | Path) -> list[LocalRow]:
    """Rows of a local dataset: ``root`` is a CSV manifest or a folder of class sub-folders.

    Raises InputError naming the row / folder and why (bad label, missing file, bad ROI)."""
    root = Path(root)
    if not root.exists():
        raise InputError(f"{root}: local dataset not found")
    rows = _scan_manifest(root) if root.is_file() else _scan_folder(root)
    if not rows:
        raise InputError(f"{root}: local dataset holds no images")
    return rows


def _scan_folder(root: Path) -> list[LocalRow]:
    rows = []
    for sub in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if sub.name not in CLASS_INDEX:
            raise InputError(f"{sub}: folder name {sub.name!r} is not a class id; expected one of: {', '.join(CLASSES)}")
        for f in sorted(p for p in sub.rglob("*") if p.is_file() and not p.name.startswith(".")):
            if f.suffix.lower() in IMAGE_SUFFIXES:
                rows.append(LocalRow(f, sub.name, None, None, str(f)))
    return rows


def _scan_manifest(path: Path) -> list[LocalRow]:
    roi_cols = ("roi_x0", "roi_y0", "roi_x1", "roi_y1")
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        cols = reader.fieldnames or []
        for need in ("path", "label"):
            if need not in cols:
                raise InputError(f"{path}: manifest lacks the column {need!r} (has: {', '.join(cols)})")
        rows = []
        for n, rec in enumerate(reader, start=2):  # row 1 is the header
            where = f"{path} row {n}"
            label = (rec.get("label") or "").strip()
            if label not in CLASS_INDEX:
                raise InputError(f"{where}: label {label!r} is not a class id; expected one of: {', '.join(CLASSES)}")
            f = Path((rec.get("path") or "").strip())
            if not str(f):
                raise InputError(f"{where}: empty path")
            f = f if f.is_absolute() else path.parent / f
            if not f.is_file():
                raise InputError(f"{where}: file not found: {f}")
            roi = None
            vals = [(rec.get(c) or "").strip() for c in roi_cols]
            if any(vals):
                try:
                    x0, y0, x1, y1 = (int(float(v)) for v in vals)
                except ValueError:
                    raise InputError(f"{where}: roi_x0..roi_y1 must be four numbers, got {vals}") from None
                if not (0 <= x0 < x1 and 0 <= y0 < y1):
                    raise InputError(f"{where}: roi must satisfy 0 <= x0 < x1 and 0 <= y0 < y1, got {vals}")
                roi = (x0, y0, x1, y1)
            spacing = None
            sp = (rec.get("spacing_mm") or "").strip()
            if sp:
                try:
                    spacing = float(sp)
                except ValueError:
                    raise InputError(f"{where}: spacing_mm {sp!r} is not a number") from None
                if not 0 < spacing < 10:
                    raise InputError(f"{where}: spacing_mm {spacing} outside (0, 10) mm")
            rows.append(LocalRow(f, label, roi, spacing, where))
    return rows


def local_items(rows: list[LocalRow], mm_per_pixel: float, keep_px: int) -> list[Item]:
    """Read every row (all frames) to model scale. Any unreadable image -> InputError naming
    its row, raised here, before training starts."""
    from calcvision.io import read_radiograph

    items = []
    for row in rows:
        try:
            frames = read_radiograph(row.path)
        except InputError as exc:
            raise InputError(f"{row.where}: unreadable image: {exc}") from None
        except Exception as exc:  # a reader bug or odd file: still name the row
            raise InputError(f"{row.where}: unreadable image: {type(exc).__name__}: {exc}") from None
        if not frames:
            raise InputError(f"{row.where}: no image frames in {row.path}")
        for k, r in enumerate(frames):
            spacing = (row.spacing_mm, row.spacing_mm) if row.spacing_mm else tuple(r.spacing_mm)
            if row.roi is not None and (row.roi[2] > r.shape[1] or row.roi[3] > r.shape[0]):
                raise InputError(f"{row.where}: roi {row.roi} outside the image ({r.shape[1]} x {r.shape[0]} px)")
            items.append(to_item(r.pixels, spacing, mm_per_pixel, CLASS_INDEX[row.label], row.roi,
                                 f"{row.path}#{k}", keep_px, np.random.default_rng(k)))
    return items


def stratified_split(items: list[Item], val_fraction: float, seed: int) -> tuple[list[Item], list[Item]]:
    """Split per class (at least one validation image per class that has two or more)."""
    rng = np.random.default_rng(seed)
    train, val = [], []
    for c in range(len(CLASSES)):
        group = [it for it in items if it.label == c]
        order = rng.permutation(len(group))
        n_val = 0 if len(group) < 2 else max(1, int(round(val_fraction * len(group))))
        val += [group[i] for i in order[:n_val]]
        train += [group[i] for i in order[n_val:]]
    return train, val


# --------------------------------------------------------------------------- crops


def crop_origin(shape: tuple[int, int], box: Box | None, tile_px: int, rng: np.random.Generator,
                points: np.ndarray | None = None) -> tuple[int, int]:
    """Top-left (y, x) of a tile: containing the box when it fits (jittered); for a lesion
    larger than a tile, around one of its dense ``points`` (in the tile's central half) when
    known, else inside the box near its centre; anywhere without a box."""
    h, w = shape
    if box is not None and points is not None and len(points) and \
            (box[2] - box[0] > tile_px or box[3] - box[1] > tile_px):
        py, px = points[int(rng.integers(len(points)))]
        oy = int(py) - int(rng.integers(tile_px // 4, 3 * tile_px // 4 + 1))
        ox = int(px) - int(rng.integers(tile_px // 4, 3 * tile_px // 4 + 1))
        return int(np.clip(oy, 0, max(0, h - tile_px))), int(np.clip(ox, 0, max(0, w - tile_px)))

    def axis(n: int, lo: int | None, hi: int | None) -> int:
        if n <= tile_px:
            return 0
        if lo is None:
            return int(rng.integers(0, n - tile_px + 1))
        if hi - lo <= tile_px:
            a, b = hi - tile_px, lo
        else:  # lesion larger than a tile: stay well inside it
            a, b = lo - tile_px // 4, hi - 3 * tile_px // 4
        a, b = max(0, a), min(n - tile_px, b)
        return int(rng.integers(a, b + 1)) if a <= b else int(np.clip((lo + hi - tile_px) // 2, 0, n - tile_px))

    return axis(h, None if box is None else box[1], None if box is None else box[3]), \
        axis(w, None if box is None else box[0], None if box is None else box[2])


def background_origin(shape: tuple[int, int], box: Box, tile_px: int, rng: np.random.Generator,
                      margin: int = 8, tries: int = 12) -> tuple[int, int] | None:
    """A tile origin that does not touch the lesion box (plus ``margin``), or None."""
    h, w = shape
    for _ in range(tries):
        y = int(rng.integers(0, max(1, h - tile_px + 1)))
        x = int(rng.integers(0, max(1, w - tile_px + 1)))
        if x + tile_px <= box[0] - margin or x >= box[2] + margin or y + tile_px <= box[1] - margin or y >= box[3] + margin:
            return y, x
    return None


def make_tile(item: Item, origin: tuple[int, int], tile_px: int) -> np.ndarray:
    """The float32 0..1 tile of ``item`` at ``origin`` (edge-padded if the image is small)."""
    image = pad_to_tile(item.pixels, tile_px)
    y, x = origin
    return image[y:y + tile_px, x:x + tile_px].astype(np.float32) / 65535.0


MASK_UNKNOWN = 255
"""Value of every pixel of a lesion-mask tile whose image has no known mask (a local lesion image)."""


def lesion_mask_tile(item: Item, origin: tuple[int, int], tile_px: int, label: int | None = None) -> np.ndarray:
    """The uint8 lesion mask (1 = lesion pixel) of the tile of ``item`` at ``origin`` labelled
    ``label`` (default: the item's): all 0 for a `none` tile (no lesion pixel, whatever item it
    is cut from), else the item's mask where known, else all ``MASK_UNKNOWN``."""
    if (item.label if label is None else label) == NONE_IDX:
        return np.zeros((tile_px, tile_px), np.uint8)
    if item.mask is None:
        return np.full((tile_px, tile_px), MASK_UNKNOWN, np.uint8)
    y, x = origin
    rows = np.unpackbits(item.mask[y:y + tile_px], axis=1, count=item.pixels.shape[1])[:, x:x + tile_px]
    out = np.zeros((tile_px, tile_px), np.uint8)  # zero beyond a small image's edge, like pad_to_tile's extension
    out[:rows.shape[0], :rows.shape[1]] = rows
    return out


def model_input(tile: np.ndarray) -> torch.Tensor:
    """A 0..1 float tile -> the network's input [1, T, T]: 16-bit levels normalised by
    ``normalise_uint16_tiles``, the function inference tiles go through (its radix sort of
    16-bit levels is about 4x faster per crop than partitioning floats)."""
    return torch.from_numpy(normalise_uint16_tiles(quantise(tile)[None]))


class CropDataset(Dataset):
    """Tiles cut from items: ``(normalised tile [1, T, T], class index)``.

    Training (``augment`` given): sample ``index`` of epoch ``epoch`` is a pure function of
    ``(seed, epoch, index)``; classes are drawn uniformly (``balance``) so rare classes are
    seen as often as common ones (``none_share``: the probability of a ``none`` tile instead of
    1/7: a whole-plate scan meets mostly lesion-free tiles); a ``none`` draw takes, with probability
    ``background_fraction``, a tile away from the lesion of a lesion image (hard negatives).
    ``hard``: class index -> (item index, tile origin) of mined hard examples of that class
    (:mod:`calcvision.model.mining`); a draw of that class takes one of them with probability
    ``hard_share[class]``. ``twin_share``: the probability that a ``none`` draw takes a lesion-free
    twin (``Item.twin``) at its lesion's place, as that lesion's crop would be cut. ``transplant``:
    the probability that a lesion tile whose line integral is known (``Item.lesion``) is shown
    on a ``none`` tile drawn as training draws one, instead of on its own image
    (:mod:`calcvision.model.insertion`): the same pattern over other anatomy, from any source;
    ``transplant_classes``: the class indices that may be (default: every lesion class).
    Evaluation (``augment`` None): a fixed list, one tile per item plus one background tile
    per lesion item.
    """

    def __init__(self, items: list[Item], tile_px: int, *, seed: int, length: int | None = None,
                 augment: Augment | None = None, balance: bool = True, background_fraction: float = 0.5,
                 none_share: float | None = None, epoch: int = 0,
                 hard: dict[int, list[tuple[int, tuple[int, int]]]] | None = None,
                 hard_share: dict[int, float] | None = None, twin_share: float = 0.0, masks: bool = False,
                 transplant: float = 0.0, transplant_classes: set[int] | None = None) -> None:
        if not items:
            raise InputError("no images to make tiles from")
        self.items, self.tile_px, self.seed, self.augment = items, tile_px, seed, augment
        self.balance, self.background_fraction, self.epoch = balance, background_fraction, epoch
        self.none_share, self.twin_share, self.masks, self.transplant = none_share, twin_share, masks, transplant
        self.transplant_classes = set(transplant_classes) if transplant_classes is not None else \
            set(range(len(CLASSES))) - {NONE_IDX}
        self.hard, self.hard_share = dict(hard or {}), dict(hard_share or {})
        self.by_class = {c: [i for i, it in enumerate(items) if it.label == c and not it.twin] for c in range(len(CLASSES))}
        self.twins = [i for i, it in enumerate(items) if it.twin]
        self.lesion_with_box = [i for i, it in enumerate(items) if it.label != NONE_IDX and it.box is not None]
        self.present = [c for c, v in self.by_class.items() if v]
        if augment is None:
            self.fixed = self._fixed_plan()
            self.length = len(self.fixed)
        else:
            self.fixed = None
            self.length = int(length or len(items))

    def _fixed_plan(self) -> list[tuple[int, tuple[int, int], int]]:
        plan = []
        for i, it in enumerate(self.items):
            rng = np.random.default_rng([self.seed, i])
            plan.append((i, crop_origin(it.pixels.shape, it.box, self.tile_px, rng, it.points), it.label))
            if it.label != NONE_IDX and it.box is not None:
                o = background_origin(it.pixels.shape, it.box, self.tile_px, rng)
                if o is not None:
                    plan.append((i, o, NONE_IDX))
        return plan

    def __len__(self) -> int:
        return self.length

    def labels(self) -> list[int]:
        """Labels of the fixed evaluation plan."""
        return [lab for _, _, lab in self.fixed or []]

    def _draw_class(self, rng: np.random.Generator) -> int:
        if not self.balance:
            return self.items[int(rng.integers(len(self.items)))].label
        lesions = [c for c in self.present if c != NONE_IDX]
        has_none = NONE_IDX in self.present or bool(self.lesion_with_box)
        if self.none_share is not None and has_none and lesions:
            return NONE_IDX if rng.random() < self.none_share else lesions[int(rng.integers(len(lesions)))]
        return self.present[int(rng.integers(len(self.present)))]

    def _background(self, rng: np.random.Generator) -> tuple[int | None, tuple[int, int] | None]:
        """A ``none`` tile away from the lesion of a lesion image, with probability
        ``background_fraction`` (always when there are no ``none`` images); else (None, None)."""
        if self.lesion_with_box and (not self.by_class[NONE_IDX] or rng.random() < self.background_fraction):
            i = self.lesion_with_box[int(rng.integers(len(self.lesion_with_box)))]
            return i, background_origin(self.items[i].pixels.shape, self.items[i].box, self.tile_px, rng)
        return None, None

    def _tile_of(self, cls: int, rng: np.random.Generator) -> tuple[int, tuple[int, int], int]:
        """(item index, origin, label) of a tile of class ``cls``, drawn as training draws it
        (a class without images falls back to the first class present)."""
        if cls == NONE_IDX and self.twins and self.twin_share > 0 and rng.random() < self.twin_share:
            i = self.twins[int(rng.integers(len(self.twins)))]
            it = self.items[i]
            return i, crop_origin(it.pixels.shape, it.box, self.tile_px, rng, it.points), NONE_IDX
        i, origin = self._background(rng) if cls == NONE_IDX else (None, None)
        if origin is not None:
            return i, origin, NONE_IDX
        pool = self.by_class[cls] if self.by_class[cls] else self.by_class[self.present[0]]
        i = pool[int(rng.integers(len(pool)))]
        it = self.items[i]
        return i, crop_origin(it.pixels.shape, it.box, self.tile_px, rng, it.points), it.label

    def _transplanted(self, lesion_item: Item, origin: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
        """The tile of ``lesion_item``'s lesion at ``origin``, inserted into a `none` tile at
        the gain of that tile's image (its 1st / 50th / 99th percentiles) for a line-integral span
        drawn from 2.5-4 (:func:`insertion_gain`)."""
        j, o, _ = self._tile_of(NONE_IDX, rng)
        background = self.items[j]
        if background.levels is None:  # items outlive the epoch's dataset: computed once per image
            background.levels = tuple(float(v) for v in np.percentile(background.pixels[::4, ::4], [1, 50, 99]) / 65535.0)
        k = insertion_gain(*background.levels, rng.uniform(2.5, 4.0))
        lesion = window_of(lesion_item.lesion, lesion_item.lesion_at, origin, self.tile_px)
        return insert_line_integral(make_tile(background, o, self.tile_px), lesion, k).astype(np.float32)

    def candidates(self, cls: int, n: int, key: tuple[int, ...]) -> list[tuple[int, tuple[int, int]]]:
        """Up to ``n`` (item index, origin) of tiles of class ``cls`` drawn as training draws
        them, a pure function of ``key`` (integers): the pool hard examples are mined from."""
        draws = (self._tile_of(cls, np.random.default_rng([*key, k])) for k in range(n))
        return [(i, origin) for i, origin, label in draws if label == cls]

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int] | tuple[torch.Tensor, int, torch.Tensor]:
        if self.fixed is not None:
            i, origin, label = self.fixed[index]
            return model_input(make_tile(self.items[i], origin, self.tile_px)), label
        rng = np.random.default_rng([self.seed, self.epoch, index])
        cls = self._draw_class(rng)
        hard = self.hard.get(cls)
        if hard and rng.random() < self.hard_share.get(cls, 0.0):
            (i, origin), label = hard[int(rng.integers(len(hard)))], cls
        else:
            i, origin, label = self._tile_of(cls, rng)
        if self.transplant and label in self.transplant_classes and self.items[i].lesion is not None and \
                rng.random() < self.transplant:
            tile = self._transplanted(self.items[i], origin, rng)
        else:
            tile = make_tile(self.items[i], origin, self.tile_px)
        seed = int(rng.integers(2**31))
        if not self.masks:
            return model_input(self.augment(tile, seed)), label
        tile, mask = self.augment.with_mask(tile, lesion_mask_tile(self.items[i], origin, self.tile_px, label), seed)
        return model_input(tile), label, torch.from_numpy(mask)
