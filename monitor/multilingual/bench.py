"""Throughput and memory of the multilingual engine beside the English one, in one process.

    python -m monitor.multilingual.bench [--threads 2] [--batch 32] [--repeat 4]

Loads the English classifier (`classifier_from_settings`, the ONNX int8 engine when exported) and the
multilingual engine with its heads (`routing.multilingual_classifier`), printing the process RSS after
each, then scores the language fixtures (`tests/fixtures/languages/*.tsv`, 168 short spoken sentences
in 24 languages, repeated `--repeat` times, cache cleared) in batches with each, as texts per second.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "languages"


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def fixture_texts() -> list[str]:
    return [line.split("\t", 1)[1] for path in sorted(FIXTURES.glob("*.tsv"))
            for line in path.read_text(encoding="utf-8").splitlines() if "\t" in line]


def throughput(classifier, texts: list[str], batch: int) -> float:
    classifier.scorer.clear_cache()
    start = time.perf_counter()
    for i in range(0, len(texts), batch):
        classifier.score_texts(texts[i:i + batch])
    return len(texts) / (time.perf_counter() - start)


@click.command()
@click.option("--threads", type=int, default=2, show_default=True)
@click.option("--batch", type=int, default=32, show_default=True)
@click.option("--repeat", type=int, default=4, show_default=True)
def main(threads: int, batch: int, repeat: int) -> None:
    """Print RSS and texts/s of the English and the multilingual engine as JSON."""
    from monitor.classify.stage import classifier_from_settings
    from monitor.multilingual.routing import multilingual_classifier
    from monitor.settings import ClassifierSettings

    settings = ClassifierSettings(threads=threads)
    report: dict = {"rss_mib": {"start": round(rss_mib())}}
    english = classifier_from_settings(settings)
    report["rss_mib"]["english_loaded"] = round(rss_mib())
    multilingual = multilingual_classifier(settings)
    if multilingual is None:
        raise click.ClickException("no multilingual engine: run cct-monitor model export-multilingual")
    report["rss_mib"]["both_loaded"] = round(rss_mib())
    texts = fixture_texts() * repeat
    for clf in (english, multilingual):  # warm-up
        clf.score_texts(texts[:batch])
    report["texts"] = len(texts)
    report["engines"] = {"english": english.scorer.encoder.name, "multilingual": multilingual.scorer.encoder.name}
    report["texts_per_s"] = {"english": round(throughput(english, texts, batch), 1),
                             "multilingual": round(throughput(multilingual, texts, batch), 1)}
    report["rss_mib"]["after_scoring"] = round(rss_mib())
    report.update(threads=threads, batch=batch)
    click.echo(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
