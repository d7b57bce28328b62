#!/usr/bin/env bash
# Batch inference over DICOM/PNG/TIFF/JPEG files or folders: a thin wrapper around
# `calcvision infer` (same arguments), using the project's .venv when there is one.
#   bash scripts/infer.sh /data/pacs_export --out results/ [--context cases.csv] [--workers 2]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
py="$root/.venv/bin/python"
[ -x "$py" ] || py="$(command -v python3)"
exec env PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}" "$py" -m calcvision infer "$@"
