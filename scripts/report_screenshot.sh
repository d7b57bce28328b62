#!/usr/bin/env bash
# Regenerate docs/report_screenshot.png, the README's picture of the HTML report:
# phantoms -> calcvision infer -> calcvision report -> headless Debian chromium screenshot.
# Usage: scripts/report_screenshot.sh [N_PHANTOMS]   (needs chromium: apt-get install chromium)
# MODEL=path.safetensors uses that model instead of the shipped default.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
N=${1:-7}
command -v chromium >/dev/null || { echo "chromium not found (apt-get install chromium)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
"$PY" -m calcvision phantoms --out "$work/phantoms" --n "$N" --seed 7 --format dicom
"$PY" -m calcvision infer "$work/phantoms" --out "$work/out" ${MODEL:+--model "$MODEL"} --no-progress \
  --context '{"age_years": 54, "sex": "female", "renal_failure": true, "dialysis": true, "phosphate_mg_dl": 8.1}'
"$PY" -m calcvision report "$work/out" --kinds html ${MODEL:+--model "$MODEL"} --truth "$work/phantoms/manifest.csv"
mkdir -p docs
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --hide-scrollbars --user-data-dir="$work/profile" \
  --window-size=1280,2600 --screenshot="$PWD/docs/report_screenshot.png" "file://$work/out/report.html" 2>/dev/null
echo "wrote docs/report_screenshot.png from $N phantoms"
