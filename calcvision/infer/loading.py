"""Reading and preparing files, in worker processes: the part of the batch that needs no model.

``load_job`` reads one file (all its frames) with the project's reader and prepares every
frame not yet done (``calcvision.infer.predict.prepare``), at the caller's pixel spacing where
the file states none; it never raises for a bad file.
``Loader`` runs it over the files in a pool of processes, results in input order, a bounded
number of files in flight, and survives a decoder that kills its process.
"""

from __future__ import annotations

import signal
import time
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import Callable, Iterable, Iterator

import torch

from calcvision.errors import CalcvisionError
from calcvision.infer import predict as P

Reader = Callable[[str], list]


@dataclass(frozen=True)
class Job:
    """One file to read: its path, frame count and the (frame, SOP UID) pairs already done."""

    path: str
    n_frames: int
    done: frozenset = frozenset()


@dataclass
class Frame:
    """One frame read and prepared by a worker (``prep`` None when ``error`` says why)."""

    frame: int
    sop: str
    prep: P.PreparedImage | None
    error: str | None
    spacing_mm: tuple[float, float] | None = None
    spacing_source: str | None = None
    source: dict = field(default_factory=dict)
    ids: dict = field(default_factory=dict)  # context join keys: patient_id, study_uid, accession


@dataclass
class Loaded:
    """What a worker sends back for one file."""

    job: Job
    frames: list[Frame] = field(default_factory=list)
    file_error: str | None = None
    file_status: str = "error"  # of a file_error: "error", or "skipped" for a readable non-image
    n_already_done: int = 0
    read_s: float = 0.0
    prepare_s: float = 0.0


def _header_sop(path: str) -> str:
    """SOP Instance UID from the header alone ('' for a non-DICOM file)."""
    import pydicom

    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=["SOPInstanceUID"])
        return str(ds.get("SOPInstanceUID", "") or "")
    except Exception:
        return ""


def _source_fields(prov) -> dict:
    """Provenance copied to the JSONL (no patient name; tag values are data, never file names)."""
    keys = ("study_instance_uid", "series_instance_uid", "sop_class_uid", "modality",
            "photometric_interpretation", "transfer_syntax_uid", "bits_stored", "file_format", "n_frames")
    return {k: getattr(prov, k, None) for k in keys}


def load_job(job: Job, params: P.ScaleParams, roi: P.Box | None, reader: Reader | None) -> Loaded:
    """Worker side: read a file, prepare each frame not yet done. Never raises for bad input."""
    from calcvision.io import NotAnImage

    if reader is None:
        from calcvision.io import read_radiograph as reader
    res = Loaded(job)
    if job.done:
        sop = _header_sop(job.path)
        if all((f, sop) in job.done for f in range(job.n_frames)):
            res.n_already_done = job.n_frames
            return res
    t0 = time.perf_counter()
    try:
        rads = reader(job.path)
    except CalcvisionError as exc:
        res.file_error = _without_path(str(exc), job.path)
        res.file_status = "skipped" if isinstance(exc, NotAnImage) else "error"
        return res
    except MemoryError:
        res.file_error = "unreadable: image too large for memory"
        return res
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # a decoder's own error (Rust decoders panic with a BaseException)
        res.file_error = f"unreadable: {type(exc).__name__}: {' '.join(str(exc).split())}"[:300]
        return res
    t1 = time.perf_counter()
    res.read_s = t1 - t0
    for i, rad in enumerate(rads):
        rad = P.with_default_spacing(rad, params.default_spacing_mm)
        prov = rad.provenance
        frame = int(getattr(prov, "frame", i))
        sop = prov.sop_instance_uid or ""
        if (frame, sop) in job.done:
            res.n_already_done += 1
            continue
        item = Frame(frame, sop, None, None, tuple(float(s) for s in rad.spacing_mm), rad.spacing_source,
                     _source_fields(prov), {"patient_id": prov.patient_id, "study_uid": prov.study_instance_uid,
                                            "accession": prov.accession})
        try:
            item.prep = P.prepare(rad, params, roi)
        except CalcvisionError as exc:
            item.error = _without_path(str(exc), job.path)
        res.frames.append(item)
    del rads
    res.prepare_s = time.perf_counter() - t1
    return res


def _without_path(message: str, path: str) -> str:
    """A reader's message without its leading "<path>: " (the row names the file already)."""
    return message[len(path) + 2:] if message.startswith(f"{path}: ") else message


def _init_worker() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    torch.set_num_threads(1)


class Loader:
    """Runs ``load_job`` over jobs in ``workers`` processes (0: in this process), yielding
    results in job order with at most ``2 * workers`` files in flight. A worker that dies
    (a decoder crash) breaks the pool: the pool is restarted and the files that were in
    flight are retried one at a time; the one that kills its worker again becomes an error row.
    """

    def __init__(self, workers: int, params: P.ScaleParams, roi: P.Box | None, reader: Reader | None):
        self.workers, self.args = workers, (params, roi, reader)
        self.pool: ProcessPoolExecutor | None = None

    def _start(self) -> ProcessPoolExecutor:
        if self.pool is None:
            self.pool = ProcessPoolExecutor(self.workers, mp_context=get_context("spawn"), initializer=_init_worker)
        return self.pool

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def _isolated(self, job: Job) -> Loaded:
        try:
            return self._start().submit(load_job, job, *self.args).result()
        except BrokenProcessPool:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = None
            return Loaded(job, file_error="unreadable: the reader process crashed on this file")

    def run(self, jobs: Iterable[Job | Loaded]) -> Iterator[Loaded]:
        """Results in input order; a ``Loaded`` given as input (nothing to read) passes through."""
        if self.workers <= 0:
            for job in jobs:
                yield job if isinstance(job, Loaded) else load_job(job, *self.args)
            return
        inflight: deque[tuple[Job | None, Future]] = deque()
        it = iter(jobs)
        while True:
            while len(inflight) < 2 * self.workers:
                job = next(it, None)
                if job is None:
                    break
                if isinstance(job, Loaded):
                    fut: Future = Future()
                    fut.set_result(job)
                    inflight.append((None, fut))
                else:
                    inflight.append((job, self._start().submit(load_job, job, *self.args)))
            if not inflight:
                return
            job, fut = inflight.popleft()
            try:
                yield fut.result()
            except BrokenProcessPool:
                self.pool.shutdown(wait=False, cancel_futures=True)
                self.pool = None
                retry = [(job, fut)] + list(inflight)
                inflight.clear()
                for j, f in retry:
                    yield f.result() if j is None else self._isolated(j)
