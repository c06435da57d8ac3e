#!/usr/bin/env bash
# Set up, run the bundled sample broadcast through the file source into a decision log (out/console-demo/),
# create demo accounts with a fresh password, and serve the reviewer console on it (http://127.0.0.1:8470/).
# Extra arguments go to `cct-monitor console demo` (e.g. --port 8080, --no-classifier, --dir DIR).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=$("$here/setup.sh" | tail -n 1)
cd "$here/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
exec "$venv/bin/cct-monitor" console demo "$@"
