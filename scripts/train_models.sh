#!/usr/bin/env bash
# Fine-tune the multi-task classifier into models/candidate (encoder/, multitask/, manifest.json) and write its card.
# Needs the public data sets (DATA, default: the nearest ../shared/datasets) and the project-written
# data in monitor/data/synthetic. Seeded; about 30 minutes on 2 CPU cores (torch with 2 threads).
# The shipped per-label heads (models/heads) are measured beside it on the same held-out split.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-models/candidate}"
PY="${PYTHON:-python}"
ARGS=(--out "$OUT" --seed "${SEED:-13}" --epochs "${EPOCHS:-2.5}" --threads "${THREADS:-2}" --old-heads models/heads)
if [ -n "${DATA:-}" ]; then ARGS+=(--data-root "$DATA"); fi
"$PY" scripts/make_stance_data.py
"$PY" -m monitor.classify.finetune "${ARGS[@]}"
"$PY" -m monitor.classify.mtcard --models "$OUT"
