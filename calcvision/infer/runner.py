"""The batch: files in, one row per image (or per unusable file) out, resumable.

Flow (``run_inference``): discover every candidate file -> skip what ``--out`` already holds
for this model -> read + resample + tile in worker processes (bounded number of files in
flight, results taken in input order) -> CNN, localisation and differential in the main
process -> one row appended and flushed per image -> summary. Memory is bounded by the
files in flight, not by the number of files.
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, TextIO

from calcvision import NOT_FOR_CLINICAL_USE, __version__
from calcvision.infer import predict as P
from calcvision.infer.loading import Frame, Job, Loaded, Loader, Reader
from calcvision.infer.results import ResultStore
from calcvision.io.radiograph import ASSUMED_SPACING_MM
from calcvision.patterns import CLASSES, NONE

class Progress:
    """A tqdm bar on a terminal; otherwise a quiet log line every ``every_s`` seconds."""

    def __init__(self, total: int, enabled: bool | None, stream: TextIO | None = None, every_s: float = 10.0):
        # sys.stderr is looked up per call, not bound at import: it may have been swapped since
        stream = sys.stderr if stream is None else stream
        self.total, self.stream, self.every_s = total, stream, every_s
        self.tty = stream.isatty() if enabled is None else enabled
        self.t0 = self.last = time.perf_counter()
        self.files = self.images = 0
        self.bar = None
        if self.tty:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="file", file=stream, dynamic_ncols=True)

    def update(self, files: int, images: int) -> None:
        self.files += files
        self.images += images
        now = time.perf_counter()
        rate = self.images / max(now - self.t0, 1e-9)
        if self.bar is not None:
            self.bar.update(files)
            self.bar.set_postfix_str(f"{rate:.2f} images/s", refresh=False)
        elif now - self.last >= self.every_s:
            self.last = now
            per_file = (now - self.t0) / max(self.files, 1)
            eta = per_file * (self.total - self.files)
            print(f"[infer] {self.files}/{self.total} files, {self.images} images, {rate:.2f} images/s, "
                  f"ETA {time.strftime('%H:%M:%S', time.gmtime(eta))}", file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _base_row(path: str, frame: int | None, sop: str, status: str, reason: str, sha: str) -> dict:
    row = {"path": path, "frame": frame, "sop_instance_uid": sop, "status": status, "reason": reason,
           "pattern": None, "confidence": None}
    row.update({f"p_{c}": None for c in CLASSES})
    row.update({"roi_x0": None, "roi_y0": None, "roi_x1": None, "roi_y1": None, "top_diagnosis": None,
                "spacing_source": None, "model_sha256": sha})
    return row


class ContextJoin:
    """Each image's clinical context from a ``calcvision.ddx.ContextSource`` (or none), and
    the join report for the summary. The matching rule is the ContextSource's: a table row
    matches when every identifier it gives (patient_id, study_uid, accession) equals the
    image's, the most specific matching row winning."""

    def __init__(self, source=None):
        self.source = source
        self.images_without_row = 0

    def for_image(self, ids: dict) -> tuple[object | None, int | None]:
        """(context or None, 1-based CSV row number or None)."""
        if self.source is None:
            return None, None
        context, row = self.source.lookup(**ids)
        if self.source.is_table and row is None:
            self.images_without_row += 1
        return context, row

    def report(self) -> dict:
        if self.source is None:
            return {"mode": "none"}
        if not self.source.is_table:
            return {"mode": "single"}
        return {"mode": "table", "unmatched_rows": self.source.unmatched_rows(),
                "images_without_row": self.images_without_row}


@dataclass
class RunStats:
    """Counts and per-stage times (seconds, summed over images) of one run."""

    status: Counter = field(default_factory=Counter)
    pattern: Counter = field(default_factory=Counter)
    spacing_source: Counter = field(default_factory=Counter)  # of the ok rows
    times: Counter = field(default_factory=Counter)
    already_done: int = 0


def run_inference(
    inputs: list[str],
    out: str | Path,
    *,
    model,
    contexts=None,
    workers: int = 1,
    roi: P.Box | None = None,
    progress: bool | None = None,
    overlap: float = P.DEFAULT_OVERLAP,
    default_spacing_mm: float | None = None,
    rank: Callable | None = None,
    discover: Callable | None = None,
    reader: Reader | None = None,
    trainer=None,
    stream: TextIO | None = None,
) -> dict:
    """Run the batch and return the summary (also written to ``out/summary.json``).

    ``contexts``: None (no clinical context), or a ``ContextSource`` from
    ``calcvision.ddx.context.load_contexts`` (one context for all images or a CSV joined by
    patient_id / study_uid / accession). ``rank``, ``discover`` and ``reader`` default to the
    project's ddx engine, file discovery and radiograph reader (parameters for tests).
    ``default_spacing_mm``: pixel spacing (mm) for images whose file states none (None: the
    reader's assumed 0.15 mm); files that state theirs keep it.
    ``trainer``: a ``lightning.Trainer`` to run the CNN through ``Trainer.predict`` (any
    accelerator / devices it is set up for) instead of this process.
    ``stream``: where progress goes (None: whatever ``sys.stderr`` is when called).
    """
    if discover is None:
        from calcvision.io import discover
    if rank is None:
        from calcvision.ddx import rank
    t_start = time.perf_counter()
    out = Path(out)
    params = P.scale_params(model, overlap, default_spacing_mm)
    sha = model.sha256
    scorer = P.TileScorer(model) if trainer is None else None
    join = ContextJoin(contexts)
    out_abs = Path(os.path.abspath(out))
    candidates = [c for c in discover(inputs) if out_abs not in Path(os.path.abspath(c.path)).parents]
    if roi is not None:
        images = [c for c in candidates if c.status == "image"]
        if len(images) != 1 or images[0].n_frames != 1:
            from calcvision.errors import UsageError

            raise UsageError(f"--roi applies to a single image; the inputs hold {sum(c.n_frames for c in images)}")
    stats = RunStats()
    with ResultStore(out) as store:
        done = store.done_by_path(sha)
        sink = RowSink(store, model, join, rank, params, stats, Progress(len(candidates), progress, stream))

        def jobs() -> Iterator[Job | Loaded]:
            for c in candidates:
                path = os.path.abspath(c.path)
                job = Job(path, max(1, int(c.n_frames)), frozenset(done.get(path, ())))
                if (None, "") in job.done:  # a row for the whole file (skipped / error) exists
                    yield Loaded(job, n_already_done=1)
                elif c.status != "image":
                    yield Loaded(job, file_error=c.reason, file_status=c.status)
                else:
                    yield job

        try:
            if trainer is not None:
                from calcvision.infer.lightning import predict_with_trainer

                predict_with_trainer(trainer, list(jobs()), model, params, roi, workers, sink)
            else:
                loader = Loader(workers, params, roi, reader)
                try:
                    for loaded in loader.run(jobs()):
                        sink.write(loaded, predict_frames(loaded, model, scorer, stats.times))
                finally:
                    loader.close()
        finally:
            sink.bar.close()
        seconds = time.perf_counter() - t_start
        summary = _summary(stats, join, seconds, out, sha, len(candidates),
                           getattr(model, "calibration_prevalence", None))
        store.write_summary(summary)
    return summary


def predict_frames(loaded: Loaded, model, scorer, times: Counter) -> list[P.Prediction | None]:
    """The CNN part for one file: a Prediction per prepared frame (None for a failed frame)."""
    preds: list[P.Prediction | None] = []
    for fr in loaded.frames:
        if fr.prep is None:
            preds.append(None)
            continue
        t0 = time.perf_counter()
        probs = P.tile_probabilities(fr.prep, model, scorer=scorer)
        t1 = time.perf_counter()
        preds.append(P.decide(fr.prep, model, probs))
        times["cnn_forward"] += t1 - t0
        times["localise"] += time.perf_counter() - t1
    return preds


@dataclass
class RowSink:
    """Turns one file's predictions into rows: differential with the image's context, then
    appended to the store; keeps the counts and stage times."""

    store: ResultStore
    model: object
    join: ContextJoin
    rank: Callable
    params: P.ScaleParams
    stats: RunStats
    bar: Progress

    def write(self, loaded: Loaded, preds: list[P.Prediction | None]) -> None:
        stats, sha, path = self.stats, self.model.sha256, loaded.job.path
        stats.times["read"] += loaded.read_s
        stats.times["resample_tile"] += loaded.prepare_s
        stats.already_done += loaded.n_already_done
        if loaded.file_error is not None:
            self.store.append(_base_row(path, None, "", loaded.file_status, loaded.file_error, sha))
            stats.status[loaded.file_status] += 1
        n_ok = 0
        for fr, pred in zip(loaded.frames, preds):
            row = _base_row(path, fr.frame, fr.sop, "error", fr.error or "", sha)
            row["spacing_source"] = fr.spacing_source
            if pred is None:
                self.store.append(row)
                stats.status["error"] += 1
                continue
            t0 = time.perf_counter()
            context, ctx_ref = self.join.for_image(fr.ids)
            differential = self.rank(pred.probs, context) if pred.pattern != NONE else None
            t1 = time.perf_counter()
            row.update(status="ok", reason=_ok_reason(fr), pattern=pred.pattern, confidence=pred.confidence)
            row.update({f"p_{c}": v for c, v in pred.probs.items()})
            if pred.box is not None:
                row.update(dict(zip(("roi_x0", "roi_y0", "roi_x1", "roi_y1"), pred.box)))
            row["top_diagnosis"] = differential.top_name if differential is not None else None
            row.update(
                spacing_mm=list(fr.spacing_mm),
                model_mm_per_pixel=self.params.mm_per_pixel,
                n_tiles=pred.n_tiles,
                context_row=ctx_ref,
                context=context.known() if context is not None else {},
                differential=differential.to_dict() if differential is not None else None,
                provenance={"calcvision_version": __version__, "model_sha256": sha,
                            "model_version": self.model.meta.get("version"), "source": fr.source,
                            "note": NOT_FOR_CLINICAL_USE},
            )
            self.store.append(row)
            stats.times["differential"] += t1 - t0
            stats.times["write"] += time.perf_counter() - t1
            stats.status["ok"] += 1
            stats.pattern[pred.pattern] += 1
            stats.spacing_source[fr.spacing_source] += 1
            n_ok += 1
        self.bar.update(1, n_ok)


def _ok_reason(fr: Frame) -> str:
    if fr.spacing_source == "assumed":
        return f"pixel spacing not in the file: assumed {fr.spacing_mm[0]:g} mm"
    if fr.spacing_source == "option":
        return f"pixel spacing not in the file: {fr.spacing_mm[0]:g} mm as given (--spacing-mm)"
    return ""


def _summary(stats: RunStats, join, seconds: float, out: Path, sha: str, n_files: int,
             prevalence: float | None) -> dict:
    n_ok = stats.status["ok"]
    return {
        "out": str(out),
        "files": n_files,
        "rows_written": sum(stats.status.values()),
        "already_done": stats.already_done,
        "status": dict(stats.status),
        "pattern": dict(stats.pattern),
        "spacing_source": dict(stats.spacing_source),
        "seconds": round(seconds, 3),
        "images_per_s": round(n_ok / seconds, 3) if seconds > 0 else None,
        "stage_seconds": {k: round(v, 4) for k, v in stats.times.items()},
        "context": join.report(),
        "model_sha256": sha,
        "lesion_prevalence_assumed": prevalence,
        "calcvision_version": __version__,
    }


def format_summary(s: dict) -> str:
    """The human-readable end-of-run summary."""
    lines = [
        f"calcvision infer: {s['rows_written']} rows written to {s['out']} in {s['seconds']:.1f} s "
        f"({s['images_per_s'] or 0:.2f} images/s); {s['already_done']} already done",
        "  status:  " + (", ".join(f"{k} {v}" for k, v in sorted(s["status"].items())) or "-"),
        "  pattern: " + (", ".join(f"{k} {v}" for k, v in sorted(s["pattern"].items())) or "-"),
    ]
    assumed = s.get("spacing_source", {}).get("assumed", 0)
    if assumed:
        lines.append(f"  spacing: {assumed} image(s) state no pixel spacing and were read at an assumed "
                     f"{ASSUMED_SPACING_MM:g} mm; if their pixels are another size, rerun them with --spacing-mm "
                     "into a new --out")
    if s.get("lesion_prevalence_assumed") is not None:
        lines.append(f"  calibration: the image probabilities assume that {s['lesion_prevalence_assumed']:.0%} of "
                     "images hold a calcification; for a folder with fewer, see `calcvision recalibrate`")
    ctx = s["context"]
    if ctx.get("mode") == "table":
        rows = ctx["unmatched_rows"]
        lines.append(f"  context: {len(rows)} CSV row(s) matched no image"
                     + (f" (rows {', '.join(map(str, rows[:20]))}{' ...' if len(rows) > 20 else ''})" if rows else "")
                     + f"; {ctx['images_without_row']} image(s) matched no row")
    lines.append("  " + NOT_FOR_CLINICAL_USE)
    return "\n".join(lines)
