#!/usr/bin/env bash
# The main job on the embedded defaults (see README). Sets up .venv first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
OUT=${1:-demo_out}
.venv/bin/calcvision --version
