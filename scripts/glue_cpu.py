#!/usr/bin/env python3
"""The monitor's per-chunk costs outside the encoder, one by one (measurement only; compare two commits by
running it on each, back to back):

    python scripts/glue_cpu.py [--chunks 1200] [--repeats 12] [--bootstrap HOST:PORT] [--commits 300]

- rules: process CPU of `RuleEngine.evaluate` over the bench workload's chunks, scored once beforehand
  (the shipped rules, polls of 256), best of `--repeats`, and the firings it found (must not change);
- render: one `Decision.to_record` + `json.dumps`, what the pipeline does per decided chunk;
- observe_scores: the per-label score histograms of one classifier call of 256;
- with `--bootstrap`: a group member's offset commit of 6 partitions followed by a `poll(0)`, synchronous
  (`commit`) and asynchronous (`commit_async`), wall and CPU time each, on a topic of its own.
"""

from __future__ import annotations

import argparse
import json
import time
import timeit
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def best(fn, repeats: int) -> float:
    return min(timeit.repeat(fn, number=1, repeat=repeats))


def pipeline_costs(chunks: int, repeats: int) -> None:
    from prometheus_client import CollectorRegistry

    from monitor.app import build_classifier, build_engine
    from monitor.bench.workload import Workload
    from monitor.metrics import Metrics
    from monitor.pipeline import Pipeline
    from monitor.settings import Settings
    from monitor.stages import SourceRecord

    settings = Settings()
    settings.rules.paths = [ROOT / "rules"]
    settings.classifier.threads = 1
    classifier = build_classifier(settings)
    metrics = Metrics(CollectorRegistry())
    engine = build_engine(settings, metrics, classifier)
    stream = iter(Workload(500, seed=7, run_id="glue"))
    records = [SourceRecord("t", 0, i, None, json.dumps(next(stream)).encode()) for i in range(chunks)]
    decisions = Pipeline(settings.pipeline, metrics, classifier, None).process(records).decisions
    items, model = [d.item for d in decisions], classifier.info

    def rules() -> None:
        for start in range(0, len(items), 256):
            engine.evaluate(items[start:start + 256], model)

    cpu = []
    for _ in range(repeats):
        t0 = time.process_time()
        rules()
        cpu.append(time.process_time() - t0)
    firings = sum(len(d.firings) for d in engine.evaluate(items, model))
    print(f"rules: {1e6 * min(cpu) / len(items):.1f} us CPU per chunk (best of {repeats}), {firings} firings")

    def render() -> None:
        for d in decisions:
            json.dumps(d.to_record(), ensure_ascii=False).encode("utf-8")

    print(f"render: {1e6 * best(render, repeats) / len(decisions):.1f} us per decision record")
    batch = [d.item.scores for d in decisions[:256]]
    print(f"observe_scores: {1e6 * best(lambda: metrics.observe_scores(batch), repeats) / len(batch):.2f} us per chunk")


def commit_costs(bootstrap: str, commits: int) -> None:
    from kafka import KafkaConsumer, TopicPartition
    from kafka.admin import KafkaAdminClient, NewTopic
    from kafka.structs import OffsetAndMetadata

    topic = f"glue-cpu-{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(topic, 6, 1)])
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=topic, enable_auto_commit=False)
    consumer.subscribe([topic])
    while not consumer.assignment():
        consumer.poll(200)
    try:
        for mode in ("sync", "async", "sync", "async"):
            w0, c0 = time.perf_counter(), time.process_time()
            for i in range(commits):
                offsets = {TopicPartition(topic, p): OffsetAndMetadata(i + 1, "", -1) for p in range(6)}
                consumer.commit(offsets) if mode == "sync" else consumer.commit_async(offsets)
                consumer.poll(0, max_records=1)
            wall, cpu = time.perf_counter() - w0, time.process_time() - c0
            print(f"commit {mode:5s}: {1000 * wall / commits:.2f} ms wall, {1000 * cpu / commits:.2f} ms CPU per commit + poll")
    finally:
        consumer.close(autocommit=False)
        admin.delete_topics([topic])
        admin.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--chunks", type=int, default=1200)
    ap.add_argument("--repeats", type=int, default=12)
    ap.add_argument("--bootstrap", default=None)
    ap.add_argument("--commits", type=int, default=300)
    args = ap.parse_args()
    pipeline_costs(args.chunks, args.repeats)
    if args.bootstrap:
        commit_costs(args.bootstrap, args.commits)


if __name__ == "__main__":
    main()
