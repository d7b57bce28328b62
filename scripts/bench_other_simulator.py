"""Benchmark calcvision on radiographs from independently written X-ray simulators.

Usage:
    PYTHONPATH=. .venv/bin/python scripts/bench_other_simulator.py --per-class 20 --seed 1 \
        --out runs/other_sim [--simulator other|third|fourth|fifth] [--model PATH] [--workers 2] \
        [--montage PNG] [--keep | --render-only]
    PYTHONPATH=. .venv/bin/python scripts/bench_other_simulator.py --images runs/kept --out runs/scored \
        --simulator NAME [--model PATH] [--false-alarms PNG]   # score a model on the images a run kept

What it measures: how well the shipped (or given) model classifies the seven morphology
classes of shared/spec/patterns.md on images it has never seen the like of. Each renderer
is a package written by a separate session from physics and patterns.md only, without
reading calcvision's phantoms or the other renderers; it imports nothing from calcvision and
its parameter ranges (each with its source) live in its own ranges.yaml:
scripts/other_simulator/ (analytic projection of limb geometry; `--simulator other`, the
default), scripts/third_simulator/ (material volumes projected with a polychromatic
spectrum, then a vendor-like processing chain; `--simulator third`), scripts/fourth_simulator/
(cone-beam projection of implicit-surface anatomy: magnification, focal-spot penumbra, CR or
flat-panel detector; `--simulator fourth`) and scripts/fifth_simulator/ (statistical anatomy in
the line-integral domain with real-world clutter such as hardware and casts; `--simulator fifth`).

This command renders the images (in a pool) as DX/CR DICOM under --out/images, writes
manifest.csv (truth: class, lesion box), runs the CLI `calcvision infer` on the folder, and
scores its results.csv against the truth; optionally it draws a montage with one image per
class.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from functools import lru_cache, partial
from multiprocessing import Pool
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
# the harness's file plumbing (names, ledger, cleanup); each renderer writes its own DICOM
from other_simulator.dicom_files import LEDGER_NAME, cleanup_images, image_name, prepare_images_dir

SIMULATORS = {"other": "other_simulator", "third": "third_simulator", "fourth": "fourth_simulator",
              "fifth": "fifth_simulator"}

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
# the scoring (not the renderer above) uses the project's own helpers
from bench_infer_accuracy import iou

from calcvision.model.evaluate import wilson_interval

# ---------------------------------------------------------------------------- rendering

@lru_cache(maxsize=None)
def load_simulator(name: str) -> tuple:
    """(render_case, write_dicom, cfg) of the renderer package SIMULATORS[name]."""
    pkg = SIMULATORS[name]
    cfg = importlib.import_module(f"{pkg}.params").load_cfg()
    return (importlib.import_module(f"{pkg}.case").render_case,
            importlib.import_module(f"{pkg}.dicom_files").write_dicom, cfg)


def render_and_write(job: tuple[int, int, str], images: Path, simulator: str) -> dict:
    """Worker: render case `index` of class `label`, write it under images/, return its row."""
    seed, index, label = job
    render_case, write_dicom, cfg = load_simulator(simulator)
    case = render_case(seed, index, label, cfg)
    name = image_name(index)
    uid = write_dicom(images / name, case, seed, index)
    return {"name": name, "label": label, "spacing": case["spacing"], "box": case["box"], "uid": uid,
            "kind": case["kind"], "mono1": case["mono1"]}


# ---------------------------------------------------------------------------- inference / scoring

def run_infer(images: Path, results: Path, workers: int, model: str | None, log: Path) -> None:
    """Run `python -m calcvision infer` on the folder; exit with a clear message on failure."""
    cmd = [sys.executable, "-m", "calcvision", "infer", str(images), "--out", str(results),
           "--workers", str(workers), "--no-progress"]
    if model:
        cmd += ["--model", model]
    env = dict(os.environ, PYTHONPATH=str(REPO) + (os.pathsep + os.environ["PYTHONPATH"] if os.environ.get("PYTHONPATH") else ""))
    with open(log, "w", encoding="utf-8") as f:
        rc = subprocess.run(cmd, check=False, cwd=REPO, env=env, stdout=f, stderr=subprocess.STDOUT).returncode
    if rc != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-15:]
        sys.exit(f"error: calcvision infer exited with {rc} (log {log}):\n" + "\n".join(tail))


def read_results(results: Path, rows: list[dict]) -> dict[str, dict]:
    """results.csv rows of our images, keyed by file name, matched by name + SOP UID; if a
    resumed folder holds several, the one of summary.json's model, else the last."""
    want = {r["name"]: r["uid"] for r in rows}
    model_sha = None
    try:
        summ = json.loads((results / "summary.json").read_text())
        model_sha = summ.get("model_sha256") or (summ.get("model") or {}).get("sha256")
    except (OSError, ValueError, AttributeError):
        pass
    found: dict[str, dict] = {}
    with open(results / "results.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            name = Path(row["path"]).name
            if want.get(name) != row.get("sop_instance_uid"):
                continue
            if name in found and model_sha and row.get("model_sha256") != model_sha and \
                    found[name].get("model_sha256") == model_sha:
                continue
            found[name] = row
    return found


def score(rows: list[dict], found: dict[str, dict], classes: list[str]) -> list[str]:
    """Printable lines: accuracy (Wilson CI), recall per class, confusion matrix, none/lesion
    confusions, box hits, status counts, accuracy per anatomy kind."""
    out = []
    preds, statuses = {}, {}
    for r in rows:
        row = found.get(r["name"])
        statuses[r["name"]] = row["status"] if row else "missing"
        preds[r["name"]] = row["pattern"] if row and row["status"] == "ok" else "(no result)"
    n = len(rows)
    k = sum(preds[r["name"]] == r["label"] for r in rows)
    lo, hi = wilson_interval(k, n) or (0.0, 1.0)
    st = Counter(statuses.values())
    out.append(f"images: {n}   infer status: " + ", ".join(f"{s} {c}" for s, c in sorted(st.items())))
    out.append(f"accuracy: {k}/{n} = {k / max(n, 1):.3f}  (Wilson 95% CI {lo:.3f}-{hi:.3f})")
    out.append("recall per class:")
    for c in classes:
        rc = [r for r in rows if r["label"] == c]
        kc = sum(preds[r["name"]] == c for r in rc)
        out.append(f"  {c:<26} {kc:>3}/{len(rc):<3} = {kc / max(len(rc), 1):.2f}")
    cols = classes + (["(no result)"] if "(no result)" in preds.values() else [])
    short = [c[:6] for c in cols]
    out.append("confusion matrix (rows true, cols predicted):")
    out.append(" " * 27 + " ".join(f"{s:>6}" for s in short))
    for c in classes:
        cnt = [sum(1 for r in rows if r["label"] == c and preds[r["name"]] == p) for p in cols]
        out.append(f"  {c:<25}" + " ".join(f"{x:>6}" for x in cnt))
    nn = [r for r in rows if r["label"] == "none"]
    les = [r for r in rows if r["label"] != "none"]
    fa = sum(preds[r["name"]] not in ("none", "(no result)") for r in nn)
    miss = sum(preds[r["name"]] == "none" for r in les)
    out.append(f"none images called a lesion: {fa}/{len(nn)} = {fa / max(len(nn), 1):.3f}")
    out.append(f"lesion images called none:   {miss}/{len(les)} = {miss / max(len(les), 1):.3f}")
    hits = tot = 0
    for r in les:
        row = found.get(r["name"])
        if preds[r["name"]] != r["label"] or row is None:
            continue
        tot += 1
        try:
            pb = tuple(float(row[c]) for c in ("roi_x0", "roi_y0", "roi_x1", "roi_y1"))
        except (TypeError, ValueError):
            continue
        hits += iou(pb, r["box"]) >= 0.3
    out.append(f"correct lesions with box IoU >= 0.3: {hits}/{tot} = {hits / max(tot, 1):.3f}")
    kinds = sorted({r["kind"] for r in rows})
    acc_k = []
    for kd in kinds:
        rk = [r for r in rows if r["kind"] == kd]
        acc_k.append(f"{kd} {sum(preds[r['name']] == r['label'] for r in rk)}/{len(rk)}")
    out.append("accuracy per anatomy: " + ", ".join(acc_k))
    return out


# ---------------------------------------------------------------------------- montage / manifest

def _write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    """One CSV with a header row."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def _box_cells(r: dict) -> list:
    """x0, y0, x1, y1 of the lesion box, or four empty cells for a lesion-free image."""
    return list(r["box"]) if r["box"] else ["", "", "", ""]


def write_manifest(path: Path, rows: list[dict], seed: int) -> None:
    """manifest.csv: path,label,seed,spacing_mm,x0,y0,x1,y1 (box empty for none),kind (body part)."""
    _write_csv(path, ["path", "label", "seed", "spacing_mm", "x0", "y0", "x1", "y1", "kind"],
               [[f"images/{r['name']}", r["label"], seed, r["spacing"], *_box_cells(r), r["kind"]] for r in rows])


def write_local_manifest(path: Path, rows: list[dict]) -> None:
    """local_manifest.csv in calcvision's local-dataset format: path,label,roi_x0..roi_y1,spacing_mm
    (the lesion box as the ROI; none images without one)."""
    _write_csv(path, ["path", "label", "roi_x0", "roi_y0", "roi_x1", "roi_y1", "spacing_mm"],
               [[f"images/{r['name']}", r["label"], *_box_cells(r), r["spacing"]] for r in rows])


def display_values(path: Path) -> np.ndarray:
    """The stored image of a DICOM file scaled to 0-1 of its bit depth, bright = dense
    (MONOCHROME1 inverted back)."""
    import pydicom
    ds = pydicom.dcmread(path)
    a = ds.pixel_array.astype(np.float32)
    top = float((1 << int(ds.BitsStored)) - 1)
    return (top - a if ds.PhotometricInterpretation == "MONOCHROME1" else a) / top


def write_false_alarms(png: Path, images: Path, rows: list[dict], found: dict[str, dict], n: int = 24) -> int:
    """Up to n lesion-free images called a lesion: each a 256-pixel crop around the box the model
    reported (windowed to its own 1-99 %), with the call, its probability and the body part.
    Returns how many were drawn."""
    from PIL import Image, ImageDraw

    called = ((r, found.get(r["name"])) for r in rows if r["label"] == "none")
    hits = [(r, row) for r, row in called if row and row.get("pattern") not in ("none", "", None)
            and row.get("roi_x0")][:n]
    size, cols = 256, 6
    sheet = Image.new("RGB", (size * cols, size * max(1, -(-len(hits) // cols))), (0, 0, 0))
    for i, (r, row) in enumerate(hits):
        a = display_values(images / r["name"])
        x0, y0, x1, y1 = (float(row[c]) for c in ("roi_x0", "roi_y0", "roi_x1", "roi_y1"))
        half = int(max(x1 - x0, y1 - y0, 200) * 0.8)
        cx, cy = int((x0 + x1) / 2), int((y0 + y1) / 2)
        ox, oy = max(0, cx - half), max(0, cy - half)
        crop = a[oy:cy + half, ox:cx + half]
        lo, hi = np.percentile(crop, [1, 99])
        im = Image.fromarray((np.clip((crop - lo) / (hi - lo + 1e-9), 0, 1) * 255).astype(np.uint8))
        f = size / max(crop.shape)
        im = im.resize((max(1, int(crop.shape[1] * f)), max(1, int(crop.shape[0] * f)))).convert("RGB")
        dr = ImageDraw.Draw(im)
        dr.rectangle([(x0 - ox) * f, (y0 - oy) * f, (x1 - ox) * f, (y1 - oy) * f], outline=(255, 40, 40))
        p = float(row.get(f"p_{row['pattern']}") or "nan")
        dr.text((3, 3), f"{row['pattern']} {p:.2f} ({r['kind']})", fill=(255, 255, 0))
        sheet.paste(im, ((i % cols) * size, (i // cols) * size))
    png.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(png)
    return len(hits)


def write_montage(png: Path, images: Path, rows: list[dict], classes: list[str], max_rows: int = 2) -> None:
    """One tile per class (up to max_rows per class), displayed as a radiograph (MONOCHROME1
    inverted back), 8 bit, true box in red, label on top."""
    from PIL import Image, ImageDraw

    tile_h = 420
    tiles: list[list[Image.Image]] = []
    for rep in range(max_rows):
        line = []
        for c in classes:
            rc = [r for r in rows if r["label"] == c]
            if rep >= len(rc):
                continue
            r = rc[rep]
            a = display_values(images / r["name"])
            f = tile_h / a.shape[0]
            small = Image.fromarray(np.clip(a * 255, 0, 255).astype(np.uint8)).resize(
                (max(1, int(a.shape[1] * f)), tile_h), Image.LANCZOS).convert("RGB")
            dr = ImageDraw.Draw(small)
            if r["box"]:
                x0, y0, x1, y1 = (v * f for v in r["box"])
                dr.rectangle([x0 - 3, y0 - 3, x1 + 3, y1 + 3], outline=(255, 40, 40), width=1)
            canvas = Image.new("RGB", (small.width, tile_h + 18), (20, 20, 60))
            canvas.paste(small, (0, 18))
            ImageDraw.Draw(canvas).text((3, 3), f"{c} ({r['kind']}, {r['spacing']} mm)", fill=(255, 255, 0))
            line.append(canvas)
        if line:
            tiles.append(line)
    W = max(sum(t.width + 4 for t in line) for line in tiles)
    H = sum(tile_h + 22 for _ in tiles)
    out = Image.new("RGB", (W, H), (0, 0, 0))
    y = 0
    for line in tiles:
        x = 0
        for t in line:
            out.paste(t, (x, y))
            x += t.width + 4
        y += tile_h + 22
    png.parent.mkdir(parents=True, exist_ok=True)
    out.save(png)


# ---------------------------------------------------------------------------- main

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--simulator", choices=sorted(SIMULATORS), default="other",
                    help="renderer package: scripts/<name>_simulator")
    ap.add_argument("--per-class", type=int, default=20, help="images per class (7 classes)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, required=True, help="output folder (images/, manifest.csv, results/)")
    ap.add_argument("--model", default=None, help="checkpoint passed to calcvision infer --model")
    ap.add_argument("--workers", type=int, default=2, help="render processes and infer --workers")
    ap.add_argument("--montage", type=Path, default=None, help="write a PNG with one image per class")
    ap.add_argument("--false-alarms", type=Path, default=None,
                    help="write a PNG of up to 24 lesion-free images called a lesion, cropped around the box reported")
    ap.add_argument("--keep", action="store_true", help="keep the DICOM folder")
    ap.add_argument("--images", type=Path, default=None,
                    help="score the images a previous run kept (its --out, holding images/ and manifest.csv: "
                         "--keep or --render-only) instead of rendering; give that run's --simulator (--per-class "
                         "and --seed are then those of that run)")
    ap.add_argument("--render-only", action="store_true",
                    help="render and keep the images, write local_manifest.csv (calcvision's local-dataset "
                         "format, for `calcvision train data.local.path=...`), run no inference")
    return ap.parse_args(argv)


def infer_and_report(args: argparse.Namespace, classes: list[str], images: Path, out: Path, rows: list[dict],
                     what: str) -> float:
    """Run calcvision infer on images/ into out/results, print the scores; return the infer time (s)."""
    t1 = time.perf_counter()
    run_infer(images, out / "results", max(args.workers, 0), args.model, out / "infer.log")
    t_infer = time.perf_counter() - t1
    found = read_results(out / "results", rows)
    print(f"{args.simulator}-simulator benchmark ({SIMULATORS[args.simulator]}): {what}, model "
          f"{args.model or '(shipped default)'}")
    for line in score(rows, found, classes):
        print(line)
    if args.false_alarms:
        n = write_false_alarms(args.false_alarms, images, rows, found)
        print(f"false alarms: {n} lesion-free images called a lesion drawn in {args.false_alarms}")
    return t_infer


def read_kept_rows(kept: Path) -> list[dict]:
    """The rows of a kept run (kept/manifest.csv), each with the SOP UID and photometric of its file."""
    import pydicom
    rows = []
    with open(kept / "manifest.csv", newline="", encoding="utf-8") as f:
        for m in csv.DictReader(f):
            path = kept / m["path"]
            ds = pydicom.dcmread(path, stop_before_pixels=True,
                                 specific_tags=["SOPInstanceUID", "PhotometricInterpretation"])
            box = tuple(int(m[c]) for c in ("x0", "y0", "x1", "y1")) if m["x0"] else None
            rows.append({"name": path.name, "label": m["label"], "spacing": float(m["spacing_mm"]), "box": box,
                         "uid": str(ds.SOPInstanceUID), "kind": m["kind"],
                         "mono1": ds.PhotometricInterpretation == "MONOCHROME1"})
    return rows


def score_kept(args: argparse.Namespace, classes: list[str], out: Path) -> int:
    """--images: infer and score the images of a kept run; its files are only read."""
    kept = args.images.resolve()
    try:
        rows = read_kept_rows(kept)
    except (OSError, KeyError, ValueError) as e:
        print(f"error: --images {kept}: not a kept run of this script ({e})", file=sys.stderr)
        return 2
    if out == kept:
        print("error: --out must differ from --images (the kept run is only read)", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(kept / "manifest.csv", out / "manifest.csv")  # so that out/ is a whole run (compare_bench_runs.py)
    t_infer = infer_and_report(args, classes, kept / "images", out, rows, f"images of {kept}")
    print(f"wall time: infer {t_infer:.1f} s ({t_infer / len(rows):.2f} s/image)")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Render, write, infer, score."""
    args = parse_args(argv)
    classes = list(load_simulator(args.simulator)[2]["classes"]["value"])
    out = args.out.resolve()
    if args.images is not None:
        return score_kept(args, classes, out)
    images = out / "images"
    ledger = out / LEDGER_NAME
    try:
        prepare_images_dir(images, ledger)
    except FileExistsError as e:
        print(f"error: {e}; use another --out", file=sys.stderr)
        return 2
    images.mkdir(parents=True, exist_ok=True)
    jobs = [(args.seed, i, classes[i % len(classes)]) for i in range(args.per_class * len(classes))]
    names = [image_name(i) for _, i, _ in jobs]
    ledger.write_text("\n".join(names) + "\n")  # before writing, so a crash leaves no unowned file

    t0 = time.perf_counter()
    work = partial(render_and_write, images=images, simulator=args.simulator)
    procs = max(1, args.workers)
    if procs > 1:
        with Pool(procs) as pool:
            rows = list(pool.imap(work, jobs, chunksize=1))
    else:
        rows = [work(j) for j in jobs]
    t_render = time.perf_counter() - t0
    write_manifest(out / "manifest.csv", rows, args.seed)
    if args.render_only:
        write_local_manifest(out / "local_manifest.csv", rows)
        print(f"rendered {len(rows)} images in {t_render:.1f} s; training manifest: {out / 'local_manifest.csv'}")
        return 0

    t_infer = infer_and_report(args, classes, images, out, rows, f"seed {args.seed}, {args.per_class} per class")
    print(f"wall time: render {t_render:.1f} s ({t_render / len(rows):.2f} s/image, "
          f"{procs} process(es)), infer {t_infer:.1f} s ({t_infer / len(rows):.2f} s/image)")
    print(f"manifest: {out / 'manifest.csv'}   results: {out / 'results' / 'results.csv'}")
    if args.montage:
        write_montage(args.montage, images, rows, classes)
        print(f"montage: {args.montage}")
    if not args.keep:
        cleanup_images(images, ledger, names)
    else:
        print(f"images kept: {images}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
