"""Writing a phantom set to disk: one file per sample (DICOM through the project's writer, or
16-bit PNG), a manifest, deterministic names and UIDs, resumable and parallel.

Sample ``i`` of a set has class ``classes[i % len(classes)]`` and index ``i``: the set is
balanced and every file is a pure function of (seed, i, shape, spacing, confuser probabilities)."""

from __future__ import annotations

import csv
import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from calcvision.phantoms.sample import make_phantom_and_twin

MANIFEST_COLUMNS = ["path", "label", "seed", "index", "roi_x0", "roi_y0", "roi_x1", "roi_y1", "spacing_mm",
                    "photometric", "bits_stored", "compression", "rows", "cols"]
SET_FILE = "phantom_set.json"
PARTIAL = "manifest.partial.csv"
COMPRESSIONS = (None, "rle", "jpeg-ls", "jpeg2000")


@dataclass(frozen=True)
class SetSpec:
    """What a phantom set is; stored in ``phantom_set.json`` so a rerun can resume it."""

    n: int
    seed: int
    classes: tuple[str, ...]
    format: str = "dicom"
    shape: tuple[int, int] | None = None
    spacing_mm: float | None = None
    mix_encodings: bool = False
    simulator: str = ""
    confuser_p: tuple[tuple[str, float], ...] = ()  # (name, p) pairs replacing ranges.yaml's p (sorted)

    def to_json(self) -> str:
        d = asdict(self)
        d["classes"] = list(self.classes)
        d["shape"] = None if self.shape is None else list(self.shape)
        d["confuser_p"] = dict(self.confuser_p)
        return json.dumps(d, sort_keys=True, indent=1)

    @classmethod
    def from_json(cls, text: str) -> "SetSpec":
        d = json.loads(text)
        d["classes"] = tuple(d["classes"])
        d["shape"] = None if d["shape"] is None else tuple(d["shape"])
        d["confuser_p"] = tuple(sorted(d.get("confuser_p", {}).items()))  # sets written before the field: none
        return cls(**d)

    def label(self, i: int) -> str:
        return self.classes[i % len(self.classes)]

    def relpath(self, i: int) -> str:
        ext = "dcm" if self.format == "dicom" else "png"
        return f"{self.label(i)}/{self.label(i)}_{i:06d}.{ext}"

    def compression(self, i: int) -> str | None:
        """With ``mix_encodings``: about half the files compressed (RLE, JPEG-LS, JPEG 2000),
        chosen deterministically from (seed, i)."""
        if not self.mix_encodings or self.format != "dicom":
            return None
        r = np.random.default_rng(np.random.SeedSequence([self.seed, i, 7919])).random()
        return COMPRESSIONS[0] if r < 0.46 else COMPRESSIONS[1 + int((r - 0.46) / 0.18) % 3]


def _uid(*parts: object) -> str:
    """A deterministic UUID-derived UID (2.25.<128-bit integer>, PS3.5 B.2) from ``parts``."""
    digest = hashlib.sha256("|".join(["calcvision-phantom", *map(str, parts)]).encode()).hexdigest()
    return "2.25." + str(int(digest[:32], 16))


def write_one(spec: SetSpec, out: Path, i: int) -> dict:
    """Make sample ``i`` of ``spec``, write it atomically under ``out`` and return its
    manifest row."""
    label = spec.label(i)
    s = make_phantom_and_twin(label, spec.seed, i, shape=spec.shape, spacing_mm=spec.spacing_mm, twin=False,
                              confuser_p=dict(spec.confuser_p))[0]
    rel = spec.relpath(i)
    path = out / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    comp = spec.compression(i)
    h = s.header
    if spec.format == "dicom":
        from calcvision.io.dicom_write import write_radiograph

        window = None if h["window_center"] is None else (h["window_center"], h["window_width"])
        write_radiograph(tmp, s.stored, spacing_mm=h["spacing_mm"], spacing_tag=h["spacing_tag"],
                         photometric=h["photometric"], bits_stored=h["bits_stored"], modality=h["modality"],
                         compression=comp, patient_id=f"PHANTOM{spec.seed}",
                         study_uid=_uid("study", spec.seed), series_uid=_uid("series", spec.seed, label),
                         sop_uid=_uid("sop", spec.seed, i, spec.shape, spec.spacing_mm,
                                      *([spec.confuser_p] if spec.confuser_p else [])), window=window,
                         extra={"SeriesDescription": f"calcvision phantom {label}"[:64],
                                "ImageComments": f"synthetic phantom label={label} seed={spec.seed} index={i}; not for clinical use"})
    else:
        from PIL import Image

        u16 = np.rint(s.radiograph.pixels * 65535.0).astype(np.uint16)
        Image.fromarray(u16).save(tmp, format="PNG")
    os.replace(tmp, path)
    box = s.box or ("", "", "", "")
    return {"path": rel, "label": label, "seed": spec.seed, "index": i, "roi_x0": box[0], "roi_y0": box[1],
            "roi_x1": box[2], "roi_y1": box[3], "spacing_mm": f"{h['spacing_mm'][0]:.6f}",
            "photometric": h["photometric"] if spec.format == "dicom" else "MONOCHROME2",
            "bits_stored": h["bits_stored"] if spec.format == "dicom" else 16,
            "compression": comp or "none", "rows": s.stored.shape[0], "cols": s.stored.shape[1]}


def _job(args: tuple[SetSpec, str, int]) -> dict:
    spec, out, i = args
    return write_one(spec, Path(out), i)


def read_done(out: Path) -> dict[int, dict]:
    """Rows already written by an earlier (finished or interrupted) run whose file exists:
    from ``manifest.csv`` and the partial manifest."""
    done: dict[int, dict] = {}
    for name in ("manifest.csv", PARTIAL):
        p = out / name
        if not p.exists():
            continue
        with p.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                try:
                    i = int(row["index"])
                except (KeyError, TypeError, ValueError):
                    continue  # a torn last line from an interrupted run
                if None not in row.values() and (out / row["path"]).is_file():
                    done[i] = row
    return done


def generate(spec: SetSpec, out: Path, workers: int = 1) -> Iterator[tuple[int, dict]]:
    """Write the missing samples of ``spec`` to ``out``, yielding (i, row) as each finishes,
    in index order; appends each row to the partial manifest once its file is in place."""
    done = read_done(out)
    todo = [i for i in range(spec.n) if i not in done]
    new_file = not (out / PARTIAL).exists()
    with (out / PARTIAL).open("a", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=MANIFEST_COLUMNS)
        if new_file:
            w.writeheader()
        for i in sorted(done):
            yield i, done[i]
        if workers > 1 and len(todo) > 1:
            import multiprocessing as mp

            with mp.get_context("spawn").Pool(workers) as pool:
                for row in pool.imap(_job, [(spec, str(out), i) for i in todo], chunksize=1):
                    w.writerow(row)
                    fh.flush()
                    yield int(row["index"]), row
        else:
            for i in todo:
                row = write_one(spec, out, i)
                w.writerow(row)
                fh.flush()
                yield i, row


def finish(out: Path, rows: dict[int, dict]) -> Path:
    """Write ``manifest.csv`` (rows sorted by index) atomically and drop the partial file."""
    path = out / "manifest.csv"
    tmp = out / "manifest.csv.tmp"
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=MANIFEST_COLUMNS)
        w.writeheader()
        for i in sorted(rows):
            w.writerow(rows[i])
    os.replace(tmp, path)
    (out / PARTIAL).unlink(missing_ok=True)
    return path
