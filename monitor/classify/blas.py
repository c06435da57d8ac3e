"""One BLAS thread for the heads once a classifier is loaded for scoring (`classifier_from_settings`: the
monitor's replicas, eval, `model verify`, the benchmark's naive and ceiling classifiers).

The heads' matrix products are small (a poll's rows × 2,304–4,608 features). numpy's OpenBLAS otherwise
keeps a pool of one thread per core whose workers spin between calls and contend with ONNX Runtime's
threads, the broker and the other replicas for the same cores. The whole pipeline's CPU per chunk over
3,000 workload chunks, 2 BLAS threads → 1 (`python scripts/replica_memory.py --chunks 3000 [--poll 40]
[--blas-threads 2]`, loaded 2-core host): 2.81 → 2.34 ms in polls of 256, 5.19 → 2.90 ms in polls of 40
(the paced-load regime, where the pool's wake-ups are paid per small batch).
Scores move by at most 1e-6 (the rounding of the last kept digit, 4 of 3,000 chunks): a dot product
summed in another order. Torch's own threads (training, the torch encoder) are not limited.
"""

from __future__ import annotations

from threadpoolctl import threadpool_limits

SERVING_BLAS_THREADS = 1


def serving_blas_limits() -> threadpool_limits:
    """Limit the process's BLAS libraries to `SERVING_BLAS_THREADS`, now; usable as a context manager."""
    return threadpool_limits(limits=SERVING_BLAS_THREADS, user_api="blas")
