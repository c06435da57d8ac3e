"""Once a classifier is loaded for scoring, every BLAS library runs on one thread (monitor/classify/blas.py): its
per-core thread pool otherwise spins against ONNX Runtime and the other replicas on the same cores."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json
from threadpoolctl import threadpool_info
import numpy
before = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
from monitor.classify.stage import classifier_from_settings
from monitor.settings import ClassifierSettings
clf = classifier_from_settings(ClassifierSettings(threads=1, multilingual="off"))
scores = clf.score_texts(["they are counting the postal votes tonight"])
after = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
print(json.dumps({"before": before, "after": after, "scored": sorted(scores[0])}))
"""


def test_loading_the_classifier_limits_blas_to_one_thread() -> None:
    env = {"PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "2", "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120,
                         check=True)
    probe = json.loads(out.stdout.strip().splitlines()[-1])
    assert probe["before"] == [2], "the probe starts from a two-thread BLAS"
    # every BLAS library in the process, numpy's and the one scipy brings with a lexical head, on one thread
    assert probe["after"] and set(probe["after"]) == {1} and "election" in probe["scored"]
