#!/usr/bin/env bash
# Set up, then run the monitor on the bundled sample broadcast through the file source (no broker needed)
# and print what it decides: one readable line per chunk, then every alert.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=$("$here/setup.sh" | tail -n 1)
cd "$here/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
exec "$venv/bin/cct-monitor" run --source file --format pretty --metrics-port 0 "$@"
