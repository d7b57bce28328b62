#!/usr/bin/env bash
# The main job on the embedded defaults: 14 synthetic DICOM radiographs (two per class) through
# batch inference with the shipped model, a clinical context, and the HTML report.
# Usage: bash scripts/demo.sh [OUT]   (default demo_out/; a rerun resumes, nothing is lost;
# after an upgrade the demo's own phantoms are remade and rows of the new model are appended)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
OUT=${1:-demo_out}
CV=.venv/bin/calcvision
$CV --version
echo "[demo] 14 phantom radiographs -> $OUT/phantoms"
$CV phantoms --out "$OUT/phantoms" --n 14 --seed 7 --overwrite
echo "[demo] calcvision infer (shipped model, context of a dialysis patient) -> $OUT/results"
$CV infer "$OUT/phantoms" --out "$OUT/results" --workers 1 --no-progress --report html \
  --context '{"age_years": 54, "sex": "female", "dialysis": true, "renal_failure": true, "phosphate_mg_dl": 8.1, "calcium_mmol_l": 2.4}'
.venv/bin/python - "$OUT" <<'PY'
import csv, pathlib, sys
out = pathlib.Path(sys.argv[1])
truth = {r["path"]: r["label"] for r in csv.DictReader(open(out / "phantoms" / "manifest.csv"))}
print(f"\n{'file':<40} {'truth':<26} {'predicted':<26} {'conf':>5}  top diagnosis")
rows = list(csv.DictReader(open(out / "results" / "results.csv")))
for r in rows:  # this run's model only (an earlier model's rows stay in the file)
    if r["status"] != "ok" or r["model_sha256"] != rows[-1]["model_sha256"]:
        continue
    rel = str(pathlib.Path(r["path"]).resolve().relative_to((out / "phantoms").resolve()))
    print(f"{rel[-40:]:<40} {truth.get(rel, '?'):<26} {r['pattern']:<26} {float(r['confidence']):5.2f}  {r['top_diagnosis']}")
print(f"\nresults: {out}/results/results.csv, results.jsonl; report: {out}/results/report.html")
print("Research software, trained on synthetic phantoms only: not for clinical use.")
PY
