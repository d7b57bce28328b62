"""One phantom radiograph: draw a scene (anatomy, confusers, lesion, exposure, display), form
the X-ray image, process it like a CR/DX system and quantise it to stored pixels.

A sample is a pure function of (label, seed, index, shape, spacing_mm): every random draw
comes from ``numpy.random.default_rng`` streams spawned from one ``SeedSequence`` of
(seed, class, index), and shape/spacing enter only through the geometry, so the bytes do
not depend on process, worker count or call order."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from calcvision.io.radiograph import Provenance, Radiograph
from calcvision.patterns import CLASSES, NONE, class_index
from calcvision.phantoms import display as dsp
from calcvision.phantoms import physics
from calcvision.phantoms.anatomy import Anatomy, anatomy_maps, draw_anatomy
from calcvision.phantoms.confusers import (add_bony_confusers, add_soft_confusers, annotation_spec, collimation_mask,
                                           grid_lines, marker_line_integral)
from calcvision.phantoms.geometry import Grid
from calcvision.phantoms.hardware import hardware_line_integral
from calcvision.phantoms.lesions import MIN_VISIBLE_MM2, RECIPES, Canvas
from calcvision.phantoms.params import Section

DEFAULT_SHAPE: tuple[int, int] = (1024, 1024)
MIN_FIELD_MM = 24.0
"""Smallest field side (mm) a phantom is made for: the largest small lesions (12 mm rice
grains, 10 mm phleboliths) must fit with a margin."""
BOX_THRESHOLD = 0.01
"""Lesion pixels are those whose lesion line integral (excess attenuation) exceeds this,
about 1 % more attenuation than without the lesion."""


@dataclass
class PhantomSample:
    """A synthetic radiograph. ``box`` = (x0, y0, x1, y1) pixel coordinates of the lesion,
    half-open like a slice (``pixels[y0:y1, x0:x1]`` holds it), None for ``none``.
    ``stored``: the integer pixels a DICOM file of it holds; ``header``: the DICOM
    parameters used (bits_stored, photometric, spacing, window...); ``params``: every value
    drawn (for provenance and debugging); ``lesion``: the lesion's excess attenuation line
    integral per pixel (where it is dense, for training crops), None for ``none``."""

    radiograph: Radiograph
    label: str
    box: tuple[int, int, int, int] | None
    stored: np.ndarray
    header: dict
    params: dict = field(default_factory=dict)
    lesion: np.ndarray | None = None


@dataclass
class Scene:
    """Everything drawn for one sample, before image formation."""

    label: str
    grid: Grid
    anatomy: Anatomy
    thickness: dict[str, np.ndarray]
    mu: dict[str, float]
    lesion: np.ndarray  # excess line integral of the lesion (0 for none)
    extra_li: np.ndarray | None  # line integral of the lead marker and any metal (hardware)
    collimation: np.ndarray | None
    grid_lines: np.ndarray | None
    exposure: dict
    display: dict
    noise_seed: np.random.SeedSequence
    params: dict
    annotation: dict | None = None  # burned-in text (confusers.annotation_spec)

    def anatomy_mask(self) -> np.ndarray:
        """Pixels of exposed anatomy: inside the body, not under a collimator blade or marker."""
        m = self.thickness["muscle"] + self.thickness["fat"] > 1.0
        if self.collimation is not None:
            m &= self.collimation > 0.5
        if self.extra_li is not None:
            m &= self.extra_li == 0
        return m

    def anatomy_line_integral(self) -> np.ndarray:
        li = physics.line_integral(self.thickness, self.mu)
        return li if self.extra_li is None else li + self.extra_li


def _streams(label: str, seed: int, index: int) -> list[np.random.SeedSequence]:
    """Independent random streams (field, anatomy, confusers, lesion, exposure+display, noise)
    keyed by (seed, class, index). Shape and spacing act on the sample deterministically
    through the geometry; keeping them out of the key means the same scene rendered at
    another pixel spacing over the same field in mm has the same lesion in mm."""
    if seed < 0 or index < 0:
        raise ValueError(f"seed and index must be >= 0, got seed={seed}, index={index}")
    return np.random.SeedSequence([int(seed), class_index(label), int(index)]).spawn(6)


def draw_scene(label: str, seed: int, index: int, *, shape: tuple[int, int] | None = None,
               spacing_mm: float | None = None, confuser_p: Mapping[str, float] | None = None) -> Scene:
    """Draw the scene of a sample (everything but the noise realisation). ``confuser_p``
    replaces the probability of named ``confusers`` entries of ranges.yaml (e.g. ``{"marker":
    0.6}``; a training-set choice, the same for every class)."""
    ss_field, ss_anat, ss_conf, ss_lesion, ss_expo, ss_noise = _streams(label, seed, index)
    rec: dict = {}
    F = Section(np.random.default_rng(ss_field), "field", rec)
    shp = tuple(int(s) for s in (shape or DEFAULT_SHAPE))
    if len(shp) != 2 or min(shp) < 32:
        raise ValueError(f"shape must be two sizes >= 32 px, got {shape}")
    if spacing_mm is None:  # drawn; a small field is kept at least MIN_FIELD_MM wide
        lo, hi = F.bounds("spacing_mm")
        lo = max(lo, MIN_FIELD_MM / min(shp))
        if lo > hi:
            raise ValueError(f"shape {shp} is too small: at most {hi} mm per pixel, each side must be "
                             f">= {MIN_FIELD_MM} mm; give a larger shape")
        sp = float(F.rng.uniform(lo, hi))
        rec["field.spacing_mm"] = sp
    else:
        sp = float(spacing_mm)
    if not sp > 0:
        raise ValueError(f"spacing_mm must be > 0, got {spacing_mm}")
    grid = Grid(shp, sp)  # type: ignore[arg-type]
    if min(grid.size_mm) < MIN_FIELD_MM:
        raise ValueError(f"field {grid.size_mm[0]:.1f} x {grid.size_mm[1]:.1f} mm is too small for the lesion "
                         f"recipes: each side must be >= {MIN_FIELD_MM} mm (shape x spacing_mm)")

    A = Section(np.random.default_rng(ss_anat), "anatomy", rec)
    kind = A("kind")
    if label == "chondrocalcinosis_line" and kind not in ("joint", "hand"):
        kind = "joint"  # the line lies inside a joint (the one documented exception)
        rec["anatomy.kind"] = kind
    anat = draw_anatomy(A, grid, kind)
    thick, u, v = anatomy_maps(anat, grid, A)

    C = Section(np.random.default_rng(ss_conf), "confusers", rec, confuser_p)
    add_soft_confusers(C, anat, grid, thick, u, v)
    add_bony_confusers(C, anat, grid, thick, u, v)
    marker = marker_line_integral(C, grid)
    colli = collimation_mask(C, grid)
    glines = grid_lines(C, grid)
    annotation = annotation_spec(C, grid)

    M = Section(np.random.default_rng(ss_expo), "materials", rec)
    t = M("energy_t")
    jit = {m: M("mu_jitter") for m in ("fat", "muscle", "marrow", "bone", "deposit")}
    mu = physics.mu_per_mm(t, M("mu30"), M("mu40"), jit)
    X = Section(M.rng, "exposure", rec)
    exposure = {k: X(k) for k in ("photons", "heel_strength", "heel_angle_deg", "spr", "scatter_sigma_mm",
                                  "detector_blur_mm", "electronic_noise", "line_noise", "collimator_leak")}
    D = Section(M.rng, "display", rec)
    disp = {k: D(k) for k in ("low_quantile", "high_quantile", "range_compression", "range_compression_sigma_mm",
                              "edge_enhancement", "edge_sigma_mm", "tone", "gamma", "sigmoid_slope",
                              "sigmoid_centre", "window_centre", "window_width", "bits_stored", "range_used",
                              "monochrome1", "voi_in_header", "jpeg_history", "jpeg_quality", "eight_bit_history")}
    disp["offset_frac"] = float(M.rng.uniform())

    lesion = np.zeros(shp, np.float32)
    if label != NONE:
        L = Section(np.random.default_rng(ss_lesion), f"lesions.{label}", rec)
        for _attempt in range(20):  # redraw (same stream, so still deterministic) until in view
            sev = float(L.rng.uniform())
            rec["lesions.severity"] = sev
            canvas = Canvas(grid, anat, u, v, L, sev)
            RECIPES[label](canvas)
            m = canvas.maps
            lesion = (m["deposit"] * np.float32(mu["deposit"] - mu["muscle"])
                      + m["bone"] * np.float32(mu["bone"] - mu["muscle"]) + m["muscle"] * np.float32(mu["muscle"]))
            need = min(MIN_VISIBLE_MM2[label], 0.1 * grid.size_mm[0] * grid.size_mm[1])
            if (lesion > BOX_THRESHOLD).sum() * sp * sp >= need:
                break
        else:
            raise RuntimeError(f"could not place a {label} lesion in the field (seed={seed}, index={index})")
    metal = hardware_line_integral(C, grid, anat, lesion > BOX_THRESHOLD)  # last draw of the confuser stream
    if metal is not None:
        marker = metal if marker is None else marker + metal
    return Scene(label, grid, anat, thick, mu, lesion, marker, colli, glines, exposure, disp, ss_noise, rec, annotation)


def form_image(scene: Scene, *, with_lesion: bool = True) -> np.ndarray:
    """X-ray image formation up to the negative log (float32, higher = more attenuation).
    The exposure is set by AEC on the anatomy alone, and the noise realisation is fixed by the
    scene, so the same scene with and without its lesion differs only where the lesion is
    (and through its scatter)."""
    g, e = scene.grid, scene.exposure
    li_anat = scene.anatomy_line_integral()
    li = li_anat + scene.lesion if with_lesion else li_anat
    body = scene.anatomy_mask()
    step = dsp.subsample_step(li)
    sub = li_anat[::step, ::step][body[::step, ::step]]
    median_li = float(np.median(sub)) if sub.size else 0.0
    flat = e["photons"] * float(np.exp(median_li))  # AEC: median body pixel gets `photons`
    incident = np.float32(flat) * physics.heel_factor(g.shape, e["heel_strength"], e["heel_angle_deg"])
    if scene.grid_lines is not None:
        incident = incident * scene.grid_lines
    primary = incident * np.exp(-li)
    if scene.collimation is not None:
        primary = primary * (scene.collimation + (1 - scene.collimation) * np.float32(e["collimator_leak"]))
    mean = primary + physics.scatter(primary, e["spr"], e["scatter_sigma_mm"] / g.spacing)
    ss = scene.noise_seed
    gauss, low, elec, line = (np.random.default_rng(np.random.SeedSequence(ss.entropy, spawn_key=ss.spawn_key + (k,)))
                              for k in range(4))
    counts = physics.quantum_noise(mean, gauss, low)
    q = np.sqrt(e["photons"])
    signal = physics.detect(counts, e["detector_blur_mm"] / g.spacing, e["electronic_noise"] * q, elec)
    signal = physics.line_noise(signal, e["line_noise"] * q, line)
    return physics.neg_log(signal, flat)


def process(scene: Scene, log_img: np.ndarray) -> tuple[np.ndarray, dict]:
    """Display chain + quantisation: (stored uint16 pixels, header dict)."""
    d, sp = scene.display, scene.grid.spacing
    mask = scene.anatomy_mask()
    lo, hi = dsp.robust_range(log_img, d["low_quantile"], d["high_quantile"], mask)
    img = dsp.normalise(log_img, lo, hi)
    img = dsp.compress_range(img, d["range_compression"], d["range_compression_sigma_mm"] / sp)
    img = dsp.unsharp(img, d["edge_enhancement"], d["edge_sigma_mm"] / sp)
    lo2, hi2 = dsp.robust_range(img, 0.002, 0.998)
    img = dsp.normalise(img, lo2, hi2)
    step = dsp.subsample_step(img)
    sub = img[::step, ::step][mask[::step, ::step]]
    median = float(np.median(sub)) if sub.size > 100 else 0.5
    img = dsp.tone(img, d["tone"], d["gamma"], d["sigmoid_slope"], float(np.clip(median + d["sigmoid_centre"], 0.2, 0.8)))
    img = dsp.burn_in(img, scene.annotation)
    img = dsp.degrade(img, jpeg_quality=int(d["jpeg_quality"]) if d["jpeg_history"] else None,
                      eight_bit=bool(d["eight_bit_history"]))
    bits = int(d["bits_stored"])
    top = (1 << bits) - 1
    header = {"bits_stored": bits, "signed": False, "slope": None, "intercept": None,
              "window_center": None, "window_width": None, "spacing_mm": (sp, sp),
              "spacing_tag": "ImagerPixelSpacing", "modality": "DX",
              "photometric": "MONOCHROME1" if d["monochrome1"] else "MONOCHROME2"}
    if d["voi_in_header"]:
        stored = dsp.quantise(img, bits, d["range_used"], d["offset_frac"])
        span = d["range_used"] * top
        base = d["offset_frac"] * (1 - d["range_used"]) * top
        centre = base + d["window_centre"] * span
        if d["monochrome1"]:
            centre = top - centre
        header["window_center"] = round(float(centre) + 0.5, 2)
        header["window_width"] = round(float(d["window_width"] * span) + 1, 2)
    else:
        stored = dsp.quantise(dsp.window(img, d["window_centre"], d["window_width"]), bits, d["range_used"], d["offset_frac"])
    if d["monochrome1"]:
        stored = (np.uint16(top) - stored).astype(np.uint16)
    return stored, header


def lesion_box(lesion: np.ndarray) -> tuple[int, int, int, int] | None:
    """Half-open pixel box (x0, y0, x1, y1) of the lesion's visible extent, or None."""
    mask = lesion > BOX_THRESHOLD
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return None
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def make_phantom(label: str, seed: int, index: int, *, shape: tuple[int, int] | None = None,
                 spacing_mm: float | None = None) -> PhantomSample:
    """A synthetic radiograph of class ``label`` (a calcvision.patterns id).

    ``shape`` (rows, cols) defaults to 1024 x 1024; ``spacing_mm`` (isotropic pixel size)
    defaults to a draw from 0.1-0.2 mm. Pure function of its arguments: the same call gives
    byte-identical ``stored`` pixels in any process.
    """
    return make_phantom_and_twin(label, seed, index, shape=shape, spacing_mm=spacing_mm, twin=False)[0]


def make_phantom_and_twin(label: str, seed: int, index: int, *, shape: tuple[int, int] | None = None,
                          spacing_mm: float | None = None, twin: bool = True,
                          confuser_p: Mapping[str, float] | None = None) -> tuple[PhantomSample, PhantomSample | None]:
    """``make_phantom(label, seed, index, ...)`` and, for a lesion class (``twin``), its
    lesion-free twin: the same scene (anatomy, confusers, exposure, noise realisation, display
    settings) imaged without the lesion, labelled ``none`` (None for ``none`` or without
    ``twin``). The pair shows the same joint or bone end with and without the deposit.
    ``confuser_p``: as for :func:`draw_scene`."""
    if label not in CLASSES:
        raise ValueError(f"unknown pattern {label!r}; expected one of: {', '.join(CLASSES)}")
    scene = draw_scene(label, seed, index, shape=shape, spacing_mm=spacing_mm, confuser_p=confuser_p)
    box = lesion_box(scene.lesion) if label != NONE else None
    name = f"phantom:{label}:{seed}:{index}"
    sample = _render(scene, label, box, name, seed=seed, index=index)
    if not twin or label == NONE:
        return sample, None
    return sample, _render(scene, NONE, None, f"{name}:twin", seed=seed, index=index, twin_of=label)


def _render(scene: Scene, label: str, box: tuple[int, int, int, int] | None, path: str, **extra) -> PhantomSample:
    """The sample of ``scene`` labelled ``label``: imaged with its lesion unless ``label`` is ``none``."""
    from calcvision.io.pixel_pipeline import stored_to_unit  # io layer (below phantoms)

    stored, header = process(scene, form_image(scene, with_lesion=label != NONE))
    pixels = stored_to_unit(stored, bits_stored=header["bits_stored"], signed=False,
                            photometric=header["photometric"], slope=header["slope"],
                            intercept=header["intercept"], window_center=header["window_center"],
                            window_width=header["window_width"])
    sp = scene.grid.spacing
    prov = Provenance(path=path, modality="DX", photometric_interpretation=header["photometric"],
                      bits_stored=header["bits_stored"], file_format="phantom")
    rad = Radiograph(pixels=pixels.astype(np.float32, copy=False), spacing_mm=(sp, sp),
                     spacing_source="ImagerPixelSpacing", provenance=prov,
                     extra={"label": label, "box": box, **extra})
    return PhantomSample(rad, label, box, stored, header, scene.params, None if label == NONE else scene.lesion)
