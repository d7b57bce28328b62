#!/usr/bin/env bash
# Reproduce the shipped model, calcvision/weights/default.safetensors, from scratch:
# render the training images of the independently written simulators scripts/other_simulator
# and scripts/fourth_simulator under synthetic/ (each skipped when its manifest is already
# there), then train on them and on calcvision's own phantoms with configs/default.yaml.
# Arguments are passed on to `calcvision train` as overrides (e.g. run_dir=runs/x
# output=runs/x/default.safetensors).
# Trained on synthetic images only; not for clinical use.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
render() {  # simulator, images per class, seed, folder: must match configs/default.yaml's data.local
  if [ ! -f "$4/local_manifest.csv" ]; then
    PYTHONPATH=. "$PY" scripts/bench_other_simulator.py --simulator "$1" --per-class "$2" --seed "$3" \
      --out "$4" --render-only
  fi
}
render other 200 11 synthetic/train_other_s11_n200
render fourth 100 11 synthetic/train_fourth_s11_n100
exec "$PY" -m calcvision train --config configs/default.yaml "$@"
