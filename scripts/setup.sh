#!/usr/bin/env bash
# Create or reuse .venv and install calcvision with its test extras.
# Reruns are quick: the install is skipped while pyproject.toml is unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
EXTRAS=${CALCVISION_EXTRAS:-test}
if [ ! -x .venv/bin/python ]; then
  echo "[setup] creating .venv with $($PY --version)"
  "$PY" -m venv .venv
fi
stamp=.venv/.calcvision-installed
want="$(cat pyproject.toml | sha256sum | cut -c1-16)-$EXTRAS"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
echo "[setup] installing calcvision[$EXTRAS] into .venv (first run takes several minutes)"
.venv/bin/python -m pip install -q --upgrade pip
# On machines that carry local torch wheels (a pip constraints file caps torch), pin the
# pair that imports together; elsewhere any recent torch/torchvision from the index will do.
if [ -f /etc/xdg/pip/constraints.txt ] && grep -q '^torch<=2.14.1' /etc/xdg/pip/constraints.txt; then
  .venv/bin/python -m pip install -q "torch==2.14.1" "torchvision==0.29.1"
fi
.venv/bin/python -m pip install -q -e ".[$EXTRAS]"
echo "$want" > "$stamp"
