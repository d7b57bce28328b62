#!/usr/bin/env bash
# The whole test suite, from a fresh machine: sets up .venv, installs the Debian tools that
# some tests drive for real (chromium, dcmtk, dicom3tools) when running as root, runs pytest
# (notebooks included). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v dcmdump >/dev/null 2>&1 || need+=(dcmtk)
command -v dciodvfy >/dev/null 2>&1 || need+=(dicom3tools)
if [ ${#need[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "[test] installing Debian packages: ${need[*]}"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}") >/tmp/calcvision-apt.log 2>&1 \
    || { echo "[test] apt-get failed, see /tmp/calcvision-apt.log"; tail -5 /tmp/calcvision-apt.log; }
fi
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
exec .venv/bin/python -m pytest -n 2 --dist loadgroup "$@"
