#!/usr/bin/env python3
"""Benchmark the classifier (not a test): chunks/s and per-batch latency for batch sizes 1..128,
fp32 vs int8, and the naive per-chunk unbatched baseline in the same run, on 10–40-word chunks.

    scripts/bench_classifier.py [--chunks 512] [--threads 2] [--device cpu] [--broadcasts 32] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from monitor.classify.bench import BATCH_SIZES, format_row, rows_as_dicts, run_bench  # noqa: E402
from monitor.settings import ClassifierSettings  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chunks", type=int, default=512, help="chunks per configuration")
    ap.add_argument("--naive-chunks", type=int, default=128, help="chunks for the naive baseline")
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    ap.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    ap.add_argument("--model", default="default", help="encoder: 'default', a local path or a cached hub id")
    ap.add_argument("--heads-dir", default=None, help="heads directory [default: the bundled models/heads]")
    ap.add_argument("--batch-sizes", default=",".join(map(str, BATCH_SIZES)), help="comma-separated")
    ap.add_argument("--precisions", default="fp32,int8", help="fp32,int8 (int8 is CPU only)")
    ap.add_argument("--broadcasts", type=int, default=32, help="concurrent broadcasts for the micro-batcher run (0: skip)")
    ap.add_argument("--json", dest="json_path", default=None, help="also write the rows as JSON here")
    args = ap.parse_args()
    import torch

    settings = ClassifierSettings(model=args.model, heads_dir=args.heads_dir, device=args.device, threads=args.threads,
                                  max_batch_size=64, max_wait_ms=20.0)
    print(f"# {platform.processor() or platform.machine()}, torch {torch.__version__}, threads {torch.get_num_threads() if args.threads is None else args.threads}, "
          f"device {args.device}, {args.chunks} chunks of 10-40 words", flush=True)
    rows = run_bench(
        settings, n_chunks=args.chunks, batch_sizes=[int(b) for b in args.batch_sizes.split(",")],
        precisions=args.precisions.split(","), naive_chunks=args.naive_chunks, broadcasts=args.broadcasts,
        report=lambda r: print(format_row(r), flush=True),
    )
    if args.json_path:
        with open(args.json_path, "w", encoding="utf-8") as fh:
            json.dump(rows_as_dicts(rows), fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
