#!/usr/bin/env python
"""Wall time to generate a training config's phantoms (training, validation and test sets)
without a cache, as ``calcvision train`` does before fitting: the data part of the
reproduction time quoted in the model card.

    PYTHONPATH=. python scripts/time_training_data.py [--config configs/default.yaml]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from calcvision.model.config import load_config  # noqa: E402
from calcvision.model.data import PhantomSpec, phantom_items  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="configs/default.yaml")
    cfg = load_config(ap.parse_args().config, [])
    p, m, d = cfg.data.phantoms, cfg.model, cfg.data
    sets = [(p.seed, p.train_per_class), (p.val_seed, p.val_per_class)]
    if cfg.evaluate is not None:
        sets.append((cfg.evaluate.seed, cfg.evaluate.phantoms_per_class))
    t0 = time.perf_counter()
    n = 0
    for seed, per_class in sets:
        items = phantom_items(PhantomSpec(seed, per_class, p.shape, p.spacing_mm), m.mm_per_pixel,
                              max(d.keep_px, m.tile_px), d.generate_workers, cache_dir=None)
        n += len(items)
    print(f"{n} phantoms for {cfg.name} generated in {time.perf_counter() - t0:.0f} s wall "
          f"({d.generate_workers} workers, no cache)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
