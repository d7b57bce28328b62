#!/usr/bin/env python
"""Train several variants ("arms") of a config side by side on the same phantoms and print
their held-out figures in one table: ablations, seed repeats, compute scaling.

    PYTHONPATH=. python scripts/train_arms.py --out runs/arms --workers 16 --parallel 3 \\
        --arm base --arm none45 data.none_share=0.45 --arm seed7 seed=7 \\
        --set trainer.accelerator=gpu --set data.num_workers=4

1. The phantom caches (training, validation and test sets of the base config, with the
   ``--set`` overrides) are generated once, with ``--workers`` processes, into ``OUT/cache``;
   every arm reads them, so arms differ only in what their overrides change (arms that change
   the phantom sets generate their own).
2. Each arm runs ``calcvision train --config BASE <--set ...> <arm overrides>`` with its own
   ``run_dir`` (``OUT/NAME``), model file (``OUT/NAME.safetensors``) and log (``OUT/NAME.log``);
   ``--parallel`` arms at a time (1 by default; on a GPU machine several share the GPU, each
   with its own loader workers).
3. The table: tile accuracy, ``none`` false-positive rate, ECE, whole-image accuracy, ``none``
   images called a lesion and the share of tiles of ``none`` images called a lesion, from
   each arm's ``test/metrics.json``.

On this project's 2-core CPU one arm of the shipped config takes about 30 minutes; the
per-arm wall time is printed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COLUMNS = (("tile acc", lambda m: m["accuracy"]), ("none FP", lambda m: m["none_false_positive_rate"]),
           ("ECE", lambda m: m["ece"]), ("image acc", lambda m: m["image_level"]["image_accuracy"]),
           ("none imgs called lesion", lambda m: m["image_level"]["image_none_false_positive_rate"]),
           ("tiles of none imgs", lambda m: m["image_level"]["none_image_tile_false_positive_rate"]))


def build_caches(config: str, overrides: list[str], cache: Path, workers: int) -> None:
    """Generate the training, validation and test phantoms of the config once."""
    from calcvision.model.config import load_config
    from calcvision.model.data import phantom_items
    from calcvision.model.datamodule import phantom_specs

    cfg = load_config(config, overrides)
    for spec in phantom_specs(cfg).values():
        phantom_items(spec, cfg.model.mm_per_pixel, max(cfg.data.keep_px, cfg.model.tile_px), workers, cache)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", default=str(ROOT / "configs" / "default.yaml"))
    ap.add_argument("--out", required=True, help="folder for the caches, run folders, models and logs")
    ap.add_argument("--arm", action="append", nargs="+", required=True, metavar="NAME [OVERRIDE ...]",
                    help="an arm: a name, then config overrides key.sub=value (none: the base config)")
    ap.add_argument("--set", action="append", default=[], metavar="OVERRIDE", help="override for every arm")
    ap.add_argument("--workers", type=int, default=2, help="processes generating the shared phantoms")
    ap.add_argument("--parallel", type=int, default=1, help="arms at a time (0: all at once)")
    args = ap.parse_args(argv)

    names = [a[0] for a in args.arm]
    if len(set(names)) != len(names) or any(not n.replace("-", "").replace("_", "").isalnum() for n in names):
        ap.error("--arm names must be unique and made of letters, digits, '-' and '_'")
    from calcvision.errors import InputError

    out, args.config = Path(args.out).resolve(), str(Path(args.config).resolve())  # the arms run from ROOT
    cache = out / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    try:
        build_caches(args.config, args.set, cache, args.workers)
    except InputError as e:
        ap.error(str(e))
    print(f"shared phantoms ready in {time.perf_counter() - t0:.0f} s ({cache})", flush=True)

    def start(arm: list[str]) -> tuple[str, subprocess.Popen, float, Any]:
        name, overrides = arm[0], arm[1:]
        cmd = [sys.executable, "-m", "calcvision", "train", "--config", args.config, *args.set,
               f"name={name}", f"run_dir={out / name}", f"output={out / (name + '.safetensors')}",
               f"data.cache_dir={cache}", *overrides]
        log = open(out / f"{name}.log", "w")
        print(f"arm {name}: {' '.join(overrides) or '(base config)'}", flush=True)
        return name, subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT), time.perf_counter(), log

    pending, running, walls, failed = list(args.arm), [], {}, []
    limit = args.parallel or len(pending)
    while pending or running:
        while pending and len(running) < limit:
            running.append(start(pending.pop(0)))
        time.sleep(2)
        for item in list(running):
            name, proc, t, log = item
            if proc.poll() is not None:
                running.remove(item)
                log.close()
                walls[name] = time.perf_counter() - t
                print(f"arm {name}: exit {proc.returncode} after {walls[name]:.0f} s", flush=True)
                if proc.returncode:
                    failed.append(name)

    print("\n| arm | " + " | ".join(c for c, _ in COLUMNS) + " | wall |")
    print("|---" * (len(COLUMNS) + 2) + "|")
    for name in names:
        path = out / name / "test" / "metrics.json"
        if name in failed or not path.is_file():
            print(f"| {name} | " + " | ".join("-" for _ in COLUMNS) + f" | failed, see {out / name}.log |")
            continue
        m = json.loads(path.read_text())
        print(f"| {name} | " + " | ".join(f"{f(m):.3f}" for _, f in COLUMNS) + f" | {walls[name]:.0f} s |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
