"""Phantom simulator: physics (Beer-Lambert, noise), lesions in their boxes, physical scale,
determinism, class-independent nuisance factors, documented ranges."""

from __future__ import annotations

import dataclasses
import hashlib
import multiprocessing as mp

import numpy as np
import pytest

from calcvision.patterns import CLASSES, NONE
from calcvision.phantoms import make_phantom
from calcvision.phantoms import sample as sample_mod
from calcvision.phantoms.params import iter_entries
from calcvision.phantoms.sample import draw_scene, form_image, lesion_box, make_phantom_and_twin

LESIONS = [c for c in CLASSES if c != NONE]
SMALL = dict(shape=(192, 192), spacing_mm=0.2)


def _flat_scene(thickness_mm: np.ndarray, photons: float, spr: float = 0.0, blur_mm: float = 0.0):
    """A scene whose anatomy is replaced by ``thickness_mm`` of muscle, without heel effect,
    scatter (unless asked), electronic noise, markers, collimation or grid lines."""
    sc = draw_scene(NONE, 0, 0, shape=thickness_mm.shape, spacing_mm=0.2)
    zero = np.zeros_like(thickness_mm)
    expo = dict(sc.exposure, photons=photons, heel_strength=0.0, spr=spr, electronic_noise=0.0, line_noise=0.0,
                detector_blur_mm=blur_mm)
    return dataclasses.replace(sc, thickness={"muscle": thickness_mm, "fat": zero, "bone": zero, "marrow": zero},
                               lesion=zero, extra_li=None, collimation=None, grid_lines=None, exposure=expo)


def test_step_wedge_log_signal_linear_in_thickness():
    steps = np.arange(0, 80, 10, dtype=np.float32)  # mm of muscle
    wedge = np.repeat(np.repeat(steps, 40)[None, :], 128, axis=0)
    sc = _flat_scene(wedge, photons=2.0e5)
    log = form_image(sc)
    means = np.array([log[:, k * 40 + 5:(k + 1) * 40 - 5].mean() for k in range(len(steps))])
    slope, icpt = np.polyfit(steps, means, 1)
    resid = means - (slope * steps + icpt)
    assert slope == pytest.approx(sc.mu["muscle"], rel=0.02)  # Beer-Lambert: d(-ln I)/dt = mu
    assert np.abs(resid).max() < 0.01
    # scatter adds a slowly varying background: the same wedge shows less contrast
    log_s = form_image(_flat_scene(wedge, photons=2.0e5, spr=0.8))
    means_s = np.array([log_s[:, k * 40 + 5:(k + 1) * 40 - 5].mean() for k in range(len(steps))])
    assert (means_s[-1] - means_s[0]) < 0.8 * (means[-1] - means[0])


def test_quantum_noise_variance_falls_as_one_over_photons():
    flat = np.full((192, 192), 40.0, np.float32)
    v = {n: form_image(_flat_scene(flat, photons=n)).var() for n in (400.0, 4000.0)}
    assert v[400.0] / v[4000.0] == pytest.approx(10.0, rel=0.12)
    # on the log image the variance is ~1/N (Poisson); detector blur lowers it, correlating pixels
    assert v[4000.0] == pytest.approx(1 / 4000.0, rel=0.12)
    assert form_image(_flat_scene(flat, photons=4000.0, blur_mm=0.3)).var() < 0.5 * v[4000.0]


@pytest.mark.parametrize("label", LESIONS)
def test_lesion_present_inside_its_box_and_nowhere_else(label):
    for index in range(3):
        sc = draw_scene(label, 7, index, **SMALL)
        box = lesion_box(sc.lesion)
        assert box is not None
        x0, y0, x1, y1 = box
        h, w = sc.grid.shape
        assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
        d = np.abs(form_image(sc) - form_image(sc, with_lesion=False))
        inside = d[y0:y1, x0:x1]
        ring = np.ones(d.shape, bool)
        ring[max(0, y0 - 3):y1 + 3, max(0, x0 - 3):x1 + 3] = False
        assert np.percentile(inside, 99) > 0.03, "lesion too faint to be present"
        if ring.any():
            assert d[ring].mean() < 0.5 * inside.mean(), "lesion signal outside its box"
        # make_phantom reports the same box
        assert make_phantom(label, 7, index, **SMALL).box == box


def test_none_has_no_lesion_and_no_box():
    for index in range(3):
        sc = draw_scene(NONE, 7, index, **SMALL)
        assert not sc.lesion.any()
        assert np.array_equal(form_image(sc), form_image(sc, with_lesion=False))
        assert make_phantom(NONE, 7, index, **SMALL).box is None


def test_large_trunk_plate_is_drawn_without_numeric_warnings():
    """A 1024 px field whose trunk plate lies far from most pixels once overflowed exp() in the
    branch np.where discards and printed a RuntimeWarning (its pixels were right); a user
    generating phantoms sees no numeric warning."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        sample = make_phantom("trabeculated_ossification", 777003, 5, shape=(1024, 1024))
    assert np.isfinite(sample.radiograph.pixels).all()


def test_twin_is_the_same_image_without_its_lesion():
    for label in LESIONS:
        sample, twin = make_phantom_and_twin(label, 7, 0, **SMALL)
        assert np.array_equal(sample.stored, make_phantom(label, 7, 0, **SMALL).stored)
        assert twin.label == NONE and twin.box is None and twin.lesion is None
        assert twin.radiograph.extra["twin_of"] == label and twin.radiograph.provenance.path.endswith(":twin")
        x0, y0, x1, y1 = sample.box
        d = np.abs(sample.radiograph.pixels - twin.radiograph.pixels)
        outside = np.ones(d.shape, bool)
        outside[max(0, y0 - 3):y1 + 3, max(0, x0 - 3):x1 + 3] = False
        assert d[y0:y1, x0:x1].max() > 0
        if outside.any():  # only the display's window, set from the whole image, moves outside the box
            a, b = sample.radiograph.pixels[outside], twin.radiograph.pixels[outside]
            (slope, offset), *_ = np.linalg.lstsq(np.c_[a, np.ones_like(a)], b, rcond=None)
            assert 0.9 < slope < 1.1 and np.median(np.abs(slope * a + offset - b)) < 0.01, label
    assert make_phantom_and_twin(NONE, 7, 0, **SMALL)[1] is None


def test_confuser_p_sets_that_confusers_probability_and_leaves_the_other_streams():
    for i in range(4):
        base = draw_scene("sheet", 5, i, **SMALL)
        for p in (0.0, 1.0):
            sc = draw_scene("sheet", 5, i, **SMALL, confuser_p={"collimation": p})
            assert sc.params["confusers.collimation"] is bool(p) and (sc.collimation is not None) is bool(p)
            assert np.array_equal(sc.thickness["bone"], base.thickness["bone"])  # anatomy: its own stream
            assert np.array_equal(sc.lesion, base.lesion)  # the lesion too
            assert sc.params["display.gamma"] == base.params["display.gamma"]


def test_burned_in_annotation_is_off_by_default_and_changes_only_the_rows_of_its_text():
    """ranges.yaml's p 0 leaves the image as it was; confuser_p {annotation: 1} writes text
    into the display values along one edge and nowhere else (the window is set before it)."""
    from calcvision.phantoms.sample import form_image, process
    for i in range(3):
        base = draw_scene("none", 5, i, **SMALL)
        off = draw_scene("none", 5, i, **SMALL, confuser_p={"annotation": 0.0})
        on = draw_scene("none", 5, i, **SMALL, confuser_p={"annotation": 1.0})
        assert base.annotation is None and off.annotation is None and on.annotation["text"]
        log_img = form_image(on)
        assert np.array_equal(form_image(base), log_img)  # the physics is untouched
        a, b = process(off, log_img)[0], process(on, log_img)[0]
        rows = np.flatnonzero((a != b).any(axis=1))
        assert rows.size > 0, on.annotation
        y, h = on.annotation["y"], on.annotation["height_px"]
        assert rows.min() >= y - 1.6 * h - 2 and rows.max() <= y + 0.6 * h + 2, (rows.min(), rows.max(), on.annotation)


def test_metal_hardware_is_off_by_default_keeps_off_the_lesion_and_is_not_a_class_cue():
    """ranges.yaml's p 0 leaves the scene as it was; confuser_p {hardware: 1} adds dense metal
    in lesion and lesion-free images alike, covering
    at most 5 % of the lesion's pixels, and changes nothing else (it draws last)."""
    from calcvision.phantoms.sample import BOX_THRESHOLD
    with_metal = {"none": 0, "lesion": 0}
    for label in ("none", "phlebolith_ring", "rice_grain", "sheet"):
        for i in range(4):
            base = draw_scene(label, 5, i, shape=(384, 384))
            on = draw_scene(label, 5, i, shape=(384, 384), confuser_p={"hardware": 1.0})
            assert base.params["confusers.hardware"] is False and "confusers.hardware_kinds" not in base.params
            assert np.array_equal(base.lesion, on.lesion) and base.params["display.gamma"] == on.params["display.gamma"]
            assert np.array_equal(base.thickness["bone"], on.thickness["bone"])
            if not on.params["confusers.hardware_kinds"]:
                continue
            with_metal["none" if label == "none" else "lesion"] += 1
            metal = on.extra_li - (0 if base.extra_li is None else base.extra_li)
            assert metal.min() >= 0 and metal.max() > 0.5  # >= 0.4 mm of metal at >= 0.8 /mm
            lesion_px = on.lesion > BOX_THRESHOLD
            assert np.count_nonzero(metal[lesion_px]) <= 0.05 * lesion_px.sum() + 1e-9, (label, i)
    assert with_metal["none"] >= 3 and with_metal["lesion"] >= 9, with_metal


@pytest.mark.parametrize("label", LESIONS)
def test_lesion_size_in_mm_independent_of_pixel_spacing(label):
    # the same field (76.8 mm) at 0.2 mm and at 0.1 mm per pixel: the same lesion in mm
    a = make_phantom(label, 3, 1, shape=(384, 384), spacing_mm=0.2)
    b = make_phantom(label, 3, 1, shape=(768, 768), spacing_mm=0.1)
    box_a = np.array(a.box) * 0.2
    box_b = np.array(b.box) * 0.1
    extent = max(box_b[2] - box_b[0], box_b[3] - box_b[1])
    # equal within a pixel or two (faint tails cross the box threshold at slightly other places)
    assert np.abs(box_a - box_b).max() <= 0.5 + 0.03 * extent, (box_a, box_b)
    assert a.radiograph.size_mm == pytest.approx(b.radiograph.size_mm)


def test_same_arguments_give_identical_bytes_and_different_index_differs():
    a = make_phantom("phlebolith_ring", 5, 2, **SMALL)
    b = make_phantom("phlebolith_ring", 5, 2, **SMALL)
    c = make_phantom("phlebolith_ring", 5, 3, **SMALL)
    assert a.stored.tobytes() == b.stored.tobytes() and a.box == b.box and a.header == b.header
    assert a.stored.tobytes() != c.stored.tobytes()
    assert a.radiograph.pixels.dtype == np.float32 and a.stored.dtype == np.uint16
    assert 0.0 <= a.radiograph.pixels.min() and a.radiograph.pixels.max() <= 1.0
    assert 10 <= a.header["bits_stored"] <= 16 and a.stored.max() < (1 << a.header["bits_stored"])


def _digest(args: tuple[str, int]) -> str:
    label, index = args
    return hashlib.sha256(make_phantom(label, 9, index, **SMALL).stored.tobytes()).hexdigest()


def test_identical_bytes_in_worker_processes():
    jobs = [(c, i) for i, c in enumerate(CLASSES)]
    here = [_digest(j) for j in jobs]
    with mp.get_context("spawn").Pool(2) as pool:
        there = pool.map(_digest, jobs)
    assert here == there


def test_nuisance_factors_do_not_depend_on_the_label(monkeypatch):
    """Given the same random streams, everything but the lesion is the same for every label
    (the one documented exception: chondrocalcinosis_line always gets a joint)."""
    fixed = sample_mod._streams("none", 4, 4)
    monkeypatch.setattr(sample_mod, "_streams", lambda label, seed, index: fixed)
    ref = draw_scene(NONE, 4, 4, **SMALL)
    for label in LESIONS:
        sc = draw_scene(label, 4, 4, **SMALL)
        assert sc.exposure == ref.exposure and sc.display == ref.display and sc.mu == ref.mu
        nuisance = {k: v for k, v in sc.params.items() if not k.startswith("lesions")}
        ref_nuisance = {k: v for k, v in ref.params.items() if not k.startswith("lesions")}
        if label == "chondrocalcinosis_line" and ref.anatomy.kind not in ("joint", "hand"):
            continue
        assert nuisance == ref_nuisance
        for m in ref.thickness:
            assert np.array_equal(sc.thickness[m], ref.thickness[m])


def test_nuisance_varies_across_samples():
    scenes = [draw_scene(NONE, 1, i, shape=(256, 256)) for i in range(40)]
    assert len({round(s.grid.spacing, 4) for s in scenes}) > 30
    assert all(0.1 <= s.grid.spacing <= 0.2 for s in scenes)
    assert {s.anatomy.kind for s in scenes} == {"shaft", "joint", "trunk", "chest", "hand"}
    assert any(s.anatomy.small_bones for s in scenes)
    assert len({s.display["bits_stored"] for s in scenes}) >= 4
    assert {s.display["monochrome1"] for s in scenes} == {True, False}
    photons = [s.exposure["photons"] for s in scenes]
    assert min(photons) >= 300 and max(photons) <= 10000 and max(photons) / min(photons) > 5


def _first_scene(pred, shape=(512, 512), spacing_mm=0.2):
    for i in range(200):
        sc = draw_scene(NONE, 11, i, shape=shape, spacing_mm=spacing_mm)
        if pred(sc):
            return sc
    pytest.fail("no scene of that kind in 200 draws")


def test_chest_has_air_filled_lungs_ribs_and_spine():
    """A chest field: lungs remove most of the soft-tissue path (air), ribs cross them as
    bony bands, the spine is bone along the midline; the real chest plate RG1 is full of these."""
    from calcvision.phantoms.thorax import thorax_maps

    sc = _first_scene(lambda s: s.anatomy.kind == "chest")
    th = sc.anatomy.thorax
    th = dataclasses.replace(th, s0=0.0, t0=0.0, nodules=[])
    ys, xs = np.mgrid[-150:150:1.0, -200:200:1.0].astype(np.float32)  # u down the body, v across (mm)
    u, v = ys, xs
    soft = np.full(u.shape, 250.0, np.float32)
    maps = {"muscle": soft.copy(), "bone": np.zeros_like(soft), "marrow": np.zeros_like(soft)}
    thorax_maps(th, u, v, maps, depth=120.0, bvf=0.2, tex=np.zeros_like(soft))
    lung = (np.abs(v) > th.mediastinum + 20) & (np.abs(v) < th.lung_out - 20) & (u > -th.apex + 30) & (u < th.diaphragm - th.dome - 20)
    assert np.median(maps["muscle"][lung]) < 0.6 * 250  # air in the lungs
    assert np.median(maps["muscle"][np.abs(v) < 5]) > 0.9 * 250  # none in the mediastinum
    column = maps["bone"][:, np.abs(v[0]) < 5].mean(axis=1)
    assert (column > 5).mean() > 0.5  # vertebral bodies along the midline, discs between them
    from scipy import ndimage

    lateral = maps["bone"][:, (v[0] > th.mediastinum + 30) & (v[0] < th.mediastinum + 40)].mean(axis=1) > 0.5
    assert ndimage.label(lateral)[1] >= 6  # ribs cross a vertical line through the lung as separate bands


def test_chest_shoulders_humeral_heads_and_clavicles():
    """The shoulders of a PA chest (the real chest plate's strongest false alarms lay there):
    each humeral head is a disc of bone about its diameter wide beside the upper lung, with a
    shaft below it, and a clavicle crosses above it."""
    from scipy import ndimage

    from calcvision.phantoms.thorax import thorax_maps

    th = dataclasses.replace(_first_scene(lambda s: s.anatomy.kind == "chest").anatomy.thorax, s0=0.0, t0=0.0)
    u, v = np.mgrid[-250:150:0.5, -250:250:0.5].astype(np.float32)
    maps = {"muscle": np.full(u.shape, 250.0, np.float32), "bone": np.zeros_like(u), "marrow": np.zeros_like(u)}
    thorax_maps(th, u, v, maps, depth=120.0, bvf=0.2, tex=np.zeros_like(u))
    assert len(th.heads) == 2 and {np.sign(h.s) for h in th.heads} == {-1.0, 1.0}
    for hd in th.heads:
        assert th.lung_out <= abs(hd.s) and -th.apex < hd.t < 0  # beside the upper lung
        r, c = int((hd.t + 250) / 0.5), int((hd.s + 250) / 0.5)
        row = maps["bone"][r] > 0.5
        lab, _ = ndimage.label(row)
        width_mm = (lab == lab[c]).sum() * 0.5
        assert lab[c] and 2 * hd.radius - 2 <= width_mm <= 2 * hd.radius + 40  # the head (and the ribs it overlaps)
        below = int((hd.t + hd.radius + 30 + 250) / 0.5)
        assert maps["bone"][below, c - 60:c + 60].max() > 5  # the humeral shaft
        above = maps["bone"][max(r - int(2.6 * hd.radius / 0.5), 0):r - int(hd.radius / 0.5), c - 10:c + 10]
        assert above.max() > 3  # the clavicle reaches the acromion above the head


def test_small_bones_beyond_a_joint():
    """A carpus / tarsus: a short bone after the joint, then corticated small bones with
    bone along their centres."""
    sc = _first_scene(lambda s: bool(s.anatomy.small_bones), shape=(768, 768), spacing_mm=0.2)
    anat = sc.anatomy
    near = anat.bones[1]
    assert np.isfinite(near.u_lo) and np.isfinite(near.u_hi) and near.u_hi - near.u_lo <= 30
    grid = sc.grid
    inside = 0
    for sb in anat.small_bones:
        x, y = anat.frame.xy(sb.u, sb.v)
        c, r = grid.to_px(x, y)
        if 0 <= r < grid.shape[0] and 0 <= c < grid.shape[1]:
            inside += 1
            assert sc.thickness["bone"][int(r), int(c)] > 0.5
    assert inside >= 1


def _calcaneus_px(sc) -> tuple[object, int, int] | None:
    """The largest small bone of a scene with a calcaneus and its centre pixel (row, col), if
    that centre lies in the field."""
    if not (sc.params.get("anatomy.calcaneus") and sc.anatomy.small_bones):
        return None
    big = max(sc.anatomy.small_bones, key=lambda b: b.a)
    c, r = sc.grid.to_px(*sc.anatomy.frame.xy(big.u, big.v))
    inside = 0 <= r < sc.grid.shape[0] and 0 <= c < sc.grid.shape[1]
    return (big, int(r), int(c)) if inside else None


def test_tarsus_can_hold_a_calcaneus():
    """The heel bone: one corticated ovoid 60-85 mm long among the small bones, cancellous
    inside (bone and marrow both along its centre)."""
    from calcvision.phantoms.anatomy import _small_bone_maps

    sc = _first_scene(lambda s: _calcaneus_px(s) is not None, shape=(768, 768), spacing_mm=0.2)
    big, r, c = _calcaneus_px(sc)
    assert 30 <= big.a <= 42.5 and big.b < big.a
    mine = {"bone": np.zeros(sc.grid.shape, np.float32), "marrow": np.zeros(sc.grid.shape, np.float32)}
    u, v = sc.anatomy.frame.uv(sc.grid.xs[None, :], sc.grid.ys[:, None])
    _small_bone_maps(big, sc.grid, sc.anatomy, u, v, 0.2, np.zeros_like(u), mine)
    assert mine["bone"][r, c] > 0.2 * 2 * big.c * 0.5 and mine["marrow"][r, c] > big.c


@pytest.mark.parametrize("beta", [2.5, 3.5])
def test_clutter_has_a_power_law_spectrum_in_physical_units(beta):
    """Anatomical clutter: the radially averaged power falls as f**-beta (f in cycles/mm), and
    its flattening below 1 / longest_mm sits at the same cycles/mm at 0.1 and 0.2 mm/pixel."""
    from calcvision.phantoms.geometry import power_law_noise

    bins = np.geomspace(0.05, 2.0, 11)  # cycles/mm
    centres = np.sqrt(bins[1:] * bins[:-1])

    def spectrum(spacing: float, longest_mm: float) -> np.ndarray:
        field = power_law_noise(np.random.default_rng(0), (512, 512), spacing, beta, longest_mm)
        assert abs(field.mean()) < 1e-4 and abs(field.std() - 1) < 1e-4
        power = np.abs(np.fft.rfft2(field)) ** 2
        f = np.hypot(np.fft.fftfreq(512, spacing)[:, None], np.fft.rfftfreq(512, spacing)[None, :])
        idx = np.digitize(f, bins)
        p = np.array([power[idx == k].mean() for k in range(1, len(bins))])
        return p / p.sum()

    high = centres > 0.2
    slope = np.polyfit(np.log(centres[high]), np.log(spectrum(0.1, 150.0)[high]), 1)[0]
    assert slope == pytest.approx(-beta, abs=0.25)
    knee_1, knee_2 = spectrum(0.1, 5.0), spectrum(0.2, 5.0)  # flat below 0.2 cycles/mm at either spacing
    assert knee_1[0] / knee_1[2] < 2.0 and knee_2[0] / knee_2[2] < 2.0
    assert np.max(np.abs(np.log(knee_1 / knee_2))) < 0.35


def test_trabecular_texture_is_striated_along_the_bone_and_fades_with_depth():
    from calcvision.phantoms.anatomy import Trabecular, _trabeculae
    ys, xs = np.mgrid[0:400, 0:400].astype(np.float32) * np.float32(0.1)  # mm; bone axis along x

    def texture(layers: int, anisotropy: float) -> np.ndarray:
        return _trabeculae(np.random.default_rng(0), xs, ys, Trabecular(0.5, layers, anisotropy, 0.0, 0.0))

    def neighbour_corr(a: np.ndarray, axis: int, k: int = 3) -> float:  # pixels k apart (0.3 mm)
        lead = a[k:, :] if axis == 0 else a[:, k:]
        lag = a[:-k, :] if axis == 0 else a[:, :-k]
        return float(np.corrcoef(lead.ravel(), lag.ravel())[0, 1])

    striated, isotropic = texture(1, 3.0), texture(1, 1.0)
    assert neighbour_corr(striated, axis=1) > neighbour_corr(striated, axis=0) + 0.4
    assert abs(neighbour_corr(isotropic, axis=1) - neighbour_corr(isotropic, axis=0)) < 0.05
    # the beam sums independent layers: the texture's contrast falls about as 1 / sqrt(layers)
    assert striated.std() / texture(4, 3.0).std() == pytest.approx(2.0, rel=0.15)


def test_every_range_has_a_source_and_lesion_sizes_cite_a_document():
    entries = dict(iter_entries())
    assert len(entries) > 80
    for name, e in entries.items():
        assert str(e.get("source", "")).strip(), f"{name} has no source"
    docs = ("UW Radiology", "Dalinka", "slide deck", "Connor", "Melaki", "patterns.md")
    for name in ("lesions.rice_grain.length_mm", "lesions.phlebolith_ring.diameter_mm",
                 "lesions.sheet.length_mm", "lesions.tumoral_glob.size_mm",
                 "lesions.chondrocalcinosis_line.thickness_mm", "lesions.trabeculated_ossification.length_mm",
                 "lesions.trabeculated_ossification.cleft_mm"):
        assert any(d in entries[name]["source"] for d in docs), name


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="unknown pattern"):
        make_phantom("rice", 0, 0)
    with pytest.raises(ValueError, match=">= 0"):
        make_phantom("none", -1, 0)
    with pytest.raises(ValueError, match="too small"):
        make_phantom("sheet", 0, 0, shape=(100, 100), spacing_mm=0.1)
