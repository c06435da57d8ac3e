#!/usr/bin/env bash
# Set up everything the tests need (venv, Kafka jars, Prometheus/Alertmanager) and run the whole suite:
# unit tests, rule-file tests, and integration tests against a real Kafka broker and a real Prometheus.
# Extra arguments go to pytest.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=$("$here/setup.sh" --test | tail -n 1)
cd "$here/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PATH="$venv/bin:$PATH"
"$venv/bin/cct-monitor" rules validate rules/
"$venv/bin/cct-monitor" rules test rules/
exec "$venv/bin/python" -m pytest "$@"
