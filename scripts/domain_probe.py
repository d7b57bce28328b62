#!/usr/bin/env python
"""A model's image decisions across domains from one pass over the images: paired comparisons
of two models, other ways to pool tiles into the `none` decision, test-time BatchNorm, an image
temperature, and how far an image's features lie from the training data's.

    PYTHONPATH=. .venv/bin/python scripts/domain_probe.py dump --out D.npz [--adapt-bn N0] [--features] SRC...
    PYTHONPATH=. .venv/bin/python scripts/domain_probe.py compare A.npz B.npz [--pool DOMAIN ...] [--per-class]
    PYTHONPATH=. .venv/bin/python scripts/domain_probe.py pooling D.npz --fit DOMAIN
    PYTHONPATH=. .venv/bin/python scripts/domain_probe.py temperature D.npz [D2.npz ...] --fit DOMAIN [DOMAIN ...]
    PYTHONPATH=. .venv/bin/python scripts/domain_probe.py shift D.npz --fit DOMAIN      (a dump made with --features)

``dump`` scores every tile of every image as ``calcvision infer`` does (tiles, the temperature,
test-time augmentation of the strongest tiles) with ``--model`` (default: the shipped one) and
keeps per image its domain, true label, the strongest tile's seven probabilities and the
lesion evidence 1 - p_none of all its tiles, with the model's image calibration (``--features``:
also the strongest tile's pooled features). A SRC is a benchmark folder with
``local_manifest.csv`` or ``manifest.csv`` (columns path, label: what
``scripts/bench_other_simulator.py`` and ``scripts/bench_infer_accuracy.py`` render); ``real``
adds the images of ``scripts/bench_real_anatomy.py --per-class 24 --windows 30`` (``real-linear``:
the same with ``--linear``). Whole-image
calls made from a dump equal those of ``calcvision infer`` on the same images, so one dump (about
0.2 s per image) replaces a run of each benchmark for the accuracy figures (not the boxes).
``--adapt-bn N0``: before each image, BatchNorm statistics are re-estimated from that image's own
tiles and mixed with the training ones at weights n / (N0 + n) and N0 / (N0 + n) (n tiles;
Schneider et al., NeurIPS 2020), a test-time adaptation to a new domain.

``compare`` prints, per domain, each model's accuracy, lesion-free images called a lesion,
lesion images called `none`, image-level ECE (with the mean confidence: over-confidence on
other domains) and NLL, the images right for one model only and the exact McNemar p; then
those counts pooled over the ``--pool`` domains (default: all); domains only one dump holds are
left out. ``--per-class``: also each class's recall per domain, A / B.

``pooling`` fits, on the images of ``--fit`` (never a test domain), a logistic image decision on
features of the tile evidences (logit of the strongest, ln of the number of tiles, a quantile,
the mean or the second strongest, or the strongest minus a quantile: an image-relative
contrast), and prints per domain the lesion-vs-`none` AUC and the false alarms and misses at
its threshold. The shipped decision is ``base``.

``temperature`` fits one temperature T on the images' seven probabilities as the model gives
them (its own image temperature applied) (p^(1/T), renormalised: the calls stay, the
confidences soften) by NLL on the ``--fit`` domains of the dumps (one model's), and prints each domain's image-level ECE and mean confidence without and
with it: what calibrating for images unlike the training ones costs on images like them.

``shift`` (dumps made with ``--features``: the strongest tile's pooled features, the
classifier's input) fits a Gaussian (shrunk covariance) to the features of half of the
``--fit`` domain's images and scores every image by its Mahalanobis distance to it (Lee et al.,
NeurIPS 2018): per domain the median distance, the AUC of telling the domain's images from the
other half of the fit domain, and the AUC of telling the domain's wrong calls from its right
ones (and, for comparison, of the confidence telling right calls from wrong ones). A confidence
that knows when an image is unlike the training data needs the distance to do both.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_real_anatomy import real_images  # noqa: E402
from compare_bench_runs import mcnemar_exact  # noqa: E402

from calcvision.patterns import CLASSES, NONE  # noqa: E402

NI = CLASSES.index(NONE)


def folder_images(folder: Path):
    """(label, Radiograph) of each row of a benchmark folder's manifest."""
    from calcvision.io import read_radiograph

    manifest = folder / "local_manifest.csv"
    with open(manifest if manifest.exists() else folder / "manifest.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            yield row["label"], read_radiograph(folder / row["path"])[0]


def _bn_adapter(net, n0: float):
    """A function that re-estimates ``net``'s BatchNorm statistics from a batch of tiles, mixed
    with the training statistics at weight n0 / (n0 + n)."""
    import torch

    bns = [m for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    trained = [(m.running_mean.clone(), m.running_var.clone()) for m in bns]

    def adapt(tiles: torch.Tensor) -> None:
        for m in bns:
            m.reset_running_stats()
            m.momentum = None  # a cumulative average over the batches below
            m.train()
        with torch.no_grad():
            for i in range(0, len(tiles), 256):
                net(tiles[i:i + 256])
        w = n0 / (n0 + len(tiles))
        for m, (mean, var) in zip(bns, trained):
            m.running_mean.mul_(1 - w).add_(w * mean)
            m.running_var.mul_(1 - w).add_(w * var)
            m.eval()

    return adapt


def dump(args: argparse.Namespace) -> None:
    import torch

    from calcvision.infer.predict import aggregate, prepare, scale_params, tile_probabilities
    from calcvision.model import load_model

    torch.set_num_threads(2)
    model = load_model(args.model)
    params = scale_params(model)
    adapt = _bn_adapter(model.net, args.adapt_bn) if args.adapt_bn is not None else None
    domains, labels, best, evidence, counts, features = [], [], [], [], [], []
    pooled = {}
    if args.features:  # the classifier's input: a tile's pooled features
        model.net.fc.register_forward_hook(lambda module, inputs, output: pooled.update(x=inputs[0]))
    for source in args.sources:
        images = ((im.label, im.rad) for im in real_images(24, 30, linear=source == "real-linear")) \
            if source in ("real", "real-linear") else folder_images(Path(source))
        name = Path(source).name
        for label, rad in images:
            prep = prepare(rad, params)
            if adapt is not None:
                adapt(torch.from_numpy(prep.tiles))
            probs = tile_probabilities(prep, model)
            strongest, _ = aggregate(probs)
            if args.features:
                with torch.inference_mode():
                    model.net(torch.from_numpy(prep.tiles[strongest:strongest + 1]))
                features.append(pooled["x"][0].float().numpy().copy())
            p = probs.double().numpy()
            domains.append(name)
            labels.append(label)
            best.append(p[strongest])
            evidence.append((1.0 - p[:, NI]).astype(np.float32))
            counts.append(len(p))
        print(f"{name}: {sum(d == name for d in domains)} images", flush=True)
    extra = {"features": np.array(features)} if args.features else {}
    np.savez_compressed(args.out, domain=np.array(domains), label=np.array(labels), best=np.array(best),
                        evidence=np.concatenate(evidence), n_tiles=np.array(counts),
                        image_calibration=np.array(model.image_calibration),
                        image_temperature=model.image_temperature, model_sha256=model.sha256, **extra)
    print(f"wrote {args.out} ({len(domains)} images; model {model.sha256[:12]})")


def load(path: str) -> dict[str, np.ndarray]:
    if not Path(path).is_file():
        raise SystemExit(f"domain_probe: {path}: no such dump")
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def true_classes(d: dict[str, np.ndarray]) -> np.ndarray:
    """Class index of each image's true label."""
    return np.array([CLASSES.index(v) for v in d["label"]])


def image_probabilities(d: dict[str, np.ndarray]) -> np.ndarray:
    """Each image's seven probabilities, as ``calcvision infer`` gives them (dumps of models or
    of runs before the image temperature: 1.0)."""
    from calcvision.model.calibration import image_probs, temper

    p = image_probs(d["best"], NI, *tuple(d["image_calibration"]), n_tiles=d["n_tiles"])
    return temper(p, float(d.get("image_temperature", 1.0)))


def _domains(d: dict[str, np.ndarray], keep: list[str]) -> dict[str, np.ndarray]:
    """The images of ``d`` whose domain is in ``keep``, domain after domain in that order."""
    order = np.concatenate([np.flatnonzero(d["domain"] == dom) for dom in keep])
    tiles = np.split(d["evidence"], np.cumsum(d["n_tiles"])[:-1])
    per_image = {k: d[k][order] for k in ("domain", "label", "best", "n_tiles", "features") if k in d}
    return {**d, **per_image, "evidence": np.concatenate([tiles[i] for i in order])}


def _nll(probs: np.ndarray, truth: np.ndarray) -> float:
    """Mean negative log-likelihood of the true classes (a proper score: it rewards honest
    confidence on right and wrong calls alike, where the ECE only compares bin averages)."""
    return float(-np.log(np.clip(probs[np.arange(len(truth)), truth], 1e-12, 1.0)).mean())


def compare(args: argparse.Namespace) -> None:
    from calcvision.model.calibration import expected_calibration_error

    a, b = load(args.a), load(args.b)
    shared = [dom for dom in dict.fromkeys(a["domain"]) if dom in set(b["domain"])]
    a, b = _domains(a, shared), _domains(b, shared)
    if not (np.array_equal(a["domain"], b["domain"]) and np.array_equal(a["label"], b["label"])):
        raise SystemExit("domain_probe: the two dumps hold different images in the domains they share")

    truth = true_classes(a)
    probs = [image_probabilities(a), image_probabilities(b)]
    right_a, right_b = (p.argmax(1) == truth for p in probs)
    print(f"A {args.a} (model {str(a['model_sha256'])[:12]}), B {args.b} (model {str(b['model_sha256'])[:12]})")
    print("per domain and model: accuracy / lesion-free images called a lesion / lesion images called none / "
          "image ECE (mean confidence) / NLL")
    pool = set(args.pool or a["domain"])
    pooled = [0, 0]
    for dom in dict.fromkeys(a["domain"]):
        m = a["domain"] == dom
        cells = []
        for p in probs:
            call, t = p[m].argmax(1), truth[m]
            false_alarms, missed = int(((t == NI) & (call != NI)).sum()), int(((t != NI) & (call == NI)).sum())
            cells.append(f"{(call == t).mean():.3f} / {false_alarms} of {int((t == NI).sum())} / {missed} / "
                         f"{expected_calibration_error(p[m], t):.3f} ({p[m].max(1).mean():.3f}) / {_nll(p[m], t):.3f}")
        only_a, only_b = int((right_a & ~right_b & m).sum()), int((right_b & ~right_a & m).sum())
        if dom in pool:
            pooled[0] += only_a
            pooled[1] += only_b
        print(f"{dom:14s} {m.sum():5d} images  A {cells[0]}  B {cells[1]};  right for A only {only_a}, B only {only_b} "
              f"(p {mcnemar_exact(only_a, only_b):.2g})")
        if args.per_class:
            recall = [f"{c} {(right_a & m & (truth == i)).sum() / n:.2f} / {(right_b & m & (truth == i)).sum() / n:.2f}"
                      for i, c in enumerate(CLASSES) if (n := int((m & (truth == i)).sum()))]
            print(f"{'':14s} recall A / B: {', '.join(recall)}")
    print(f"pooled over {', '.join(sorted(pool))}: right for A only {pooled[0]}, B only {pooled[1]} "
          f"(p {mcnemar_exact(*pooled):.2g})")


POOLINGS = {
    "base": lambda s: [s["m"], -s["ln_n"]],
    "no ln n": lambda s: [s["m"]],
    "+ median": lambda s: [s["m"], -s["ln_n"], s["q50"]],
    "+ 90th percentile": lambda s: [s["m"], -s["ln_n"], s["q90"]],
    "+ mean": lambda s: [s["m"], -s["ln_n"], s["mean"]],
    "+ second strongest": lambda s: [s["m"], -s["ln_n"], s["second"]],
    "strongest - median": lambda s: [s["m"] - s["q50"], -s["ln_n"]],
    "strongest - 75th percentile": lambda s: [s["m"] - s["q75"], -s["ln_n"]],
    "strongest - 90th percentile": lambda s: [s["m"] - s["q90"], -s["ln_n"]],
}


def _summaries(d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    from scipy.special import logit

    z = logit(np.clip(d["evidence"].astype(np.float64), 1e-7, 1 - 1e-7))
    parts = np.split(z, np.cumsum(d["n_tiles"])[:-1])
    second = [np.sort(p)[-2] if len(p) > 1 else p[0] for p in parts]
    return {"m": np.array([p.max() for p in parts]), "ln_n": np.log(d["n_tiles"]),
            "q50": np.array([np.median(p) for p in parts]), "q75": np.array([np.quantile(p, 0.75) for p in parts]),
            "q90": np.array([np.quantile(p, 0.9) for p in parts]), "mean": np.array([p.mean() for p in parts]),
            "second": np.array(second)}


def _fit_logistic(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    import torch
    import torch.nn.functional as F

    xt, yt = torch.tensor(x), torch.tensor(y, dtype=torch.float64)
    w = torch.zeros(x.shape[1] + 1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w], max_iter=500, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = F.binary_cross_entropy_with_logits(xt @ w[:-1] + w[-1], yt)
        loss.backward()
        return loss

    opt.step(closure)
    return w.detach().numpy()


def pooling(args: argparse.Namespace) -> None:
    from image_operating_points import auc

    d = load(args.dump)
    s = _summaries(d)
    lesion = d["label"] != NONE
    fit = d["domain"] == args.fit
    if not fit.any():
        raise SystemExit(f"domain_probe: no domain {args.fit!r} in {args.dump}")
    print(f"fitted on {args.fit} ({int(fit.sum())} images); per domain: AUC lesion vs none, "
          "lesion-free images called a lesion, lesion images called none")
    for name, features in POOLINGS.items():
        x = np.stack(features(s), 1)
        w = _fit_logistic(x[fit], lesion[fit].astype(float))
        z = x @ w[:-1] + w[-1]
        cells = [f"{dom} {auc(z[m & lesion], z[m & ~lesion]):.3f} {int((m & ~lesion & (z > 0)).sum())}/"
                 f"{int((m & ~lesion).sum())} {int((m & lesion & (z <= 0)).sum())}"
                 for dom in dict.fromkeys(d["domain"]) for m in [d["domain"] == dom]]
        print(f"{name:28s} " + " | ".join(cells))


def temperature(args: argparse.Namespace) -> None:
    from calcvision.model.calibration import expected_calibration_error, fit_image_temperature, temper

    dumps = [load(f) for f in args.dumps]
    if len({str(d["model_sha256"]) for d in dumps}) > 1:
        raise SystemExit("domain_probe: the dumps come from different models")
    domain = np.concatenate([d["domain"] for d in dumps])
    probs = np.concatenate([image_probabilities(d) for d in dumps])
    truth = np.concatenate([true_classes(d) for d in dumps])
    fit = np.isin(domain, args.fit)
    if not fit.any():
        raise SystemExit(f"domain_probe: none of {args.fit} in the dumps")
    t = fit_image_temperature(probs[fit], truth[fit])
    print(f"T = {t:.3f}, fitted on {', '.join(args.fit)} ({int(fit.sum())} images); per domain: accuracy, "
          "image ECE (mean confidence) without and with T")
    for dom in dict.fromkeys(domain):
        m = domain == dom
        cells = [f"{expected_calibration_error(p, truth[m]):.3f} ({p.max(1).mean():.3f})"
                 for p in (probs[m], temper(probs[m], t))]
        print(f"{dom:14s} {m.sum():5d} images  accuracy {(probs[m].argmax(1) == truth[m]).mean():.3f}  "
              f"{cells[0]} -> {cells[1]}")


def shift(args: argparse.Namespace) -> None:
    from image_operating_points import auc

    d = load(args.dump)
    if "features" not in d:
        raise SystemExit(f"domain_probe: {args.dump} has no features (dump --features)")
    x = d["features"].astype(np.float64)
    fit_idx = np.flatnonzero(d["domain"] == args.fit)
    if len(fit_idx) < 20:
        raise SystemExit(f"domain_probe: too few images of {args.fit!r} in {args.dump}")
    ref, held = fit_idx[::2], fit_idx[1::2]
    mean = x[ref].mean(0)
    cov = np.cov(x[ref], rowvar=False)
    cov += 0.1 * np.trace(cov) / len(cov) * np.eye(len(cov))
    diff = x - mean
    dist = np.sqrt(np.einsum("ij,jk,ik->i", diff, np.linalg.inv(cov), diff))
    probs = image_probabilities(d)
    right, confidence = probs.argmax(1) == true_classes(d), probs.max(1)
    print(f"Gaussian of {len(ref)} {args.fit} images; per domain: median distance, AUC against the other "
          f"{len(held)} {args.fit} images, AUC of wrong calls against right ones by distance and of right "
          "calls against wrong ones by confidence")
    for dom in dict.fromkeys(d["domain"]):
        m = np.flatnonzero(d["domain"] == dom)
        if dom == args.fit:
            m = held
        own = auc(dist[m], dist[held]) if dom != args.fit else float("nan")
        wrong = ~right[m]
        both = 0 < wrong.sum() < len(m)
        sep = auc(dist[m][wrong], dist[m][~wrong]) if both else float("nan")
        conf = auc(confidence[m][~wrong], confidence[m][wrong]) if both else float("nan")
        print(f"{dom:14s} {len(m):5d} images  median {np.median(dist[m]):7.2f}  vs {args.fit} {own:.3f}  "
              f"wrong vs right {sep:.3f} ({int(wrong.sum())} wrong)  confidence {conf:.3f}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("dump")
    p.add_argument("sources", nargs="+", help="benchmark folders, and/or 'real' / 'real-linear'")
    p.add_argument("--out", required=True)
    p.add_argument("--model", default=None, help="model file (default: the shipped model)")
    p.add_argument("--adapt-bn", type=float, default=None, metavar="N0")
    p.add_argument("--features", action="store_true", help="also keep the strongest tile's pooled features")
    p = sub.add_parser("compare")
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--pool", nargs="+", default=None, metavar="DOMAIN")
    p.add_argument("--per-class", action="store_true", help="also each class's recall per domain")
    p = sub.add_parser("pooling")
    p.add_argument("dump")
    p.add_argument("--fit", required=True, metavar="DOMAIN")
    p = sub.add_parser("temperature")
    p.add_argument("dumps", nargs="+")
    p.add_argument("--fit", nargs="+", required=True, metavar="DOMAIN")
    p = sub.add_parser("shift")
    p.add_argument("dump")
    p.add_argument("--fit", required=True, metavar="DOMAIN")
    args = ap.parse_args(argv)
    commands = {"dump": dump, "compare": compare, "pooling": pooling, "temperature": temperature, "shift": shift}
    commands[args.command](args)


if __name__ == "__main__":
    main()
