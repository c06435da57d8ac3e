"""Compare lingua-language-detector and py3langid on short spoken sentences (tests/fixtures/languages/: spoken.tsv,
12 each in en/de/fr/es/it/pl/nl/pt/ro; eu_other.tsv, 4 each in the other 15 official EU languages).

Accuracy per fragment (a full sentence and its first three words) and per window (three sentences of one
language joined), plus the time per call; both detectors restricted to the candidates the monitor uses (the EU's official languages and their neighbours;
lingua has no Maltese). The last row is the monitor's detector with its confidence floor.
Run: `python scripts/langid_bench.py`.
"""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path

import py3langid
from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

from monitor.language import EU_LANGUAGES, MIN_CONFIDENCE, NEIGHBOUR_LANGUAGES, Py3LangidDetector

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "languages"


def main() -> None:
    for name in ("spoken.tsv", "eu_other.tsv"):
        print(f"\n{name}")
        bench(FIXTURES / name)


def bench(samples_file: Path) -> None:
    rows = [line.split("\t", 1) for line in samples_file.read_text(encoding="utf-8").splitlines() if line]
    by_lang: dict[str, list[str]] = defaultdict(list)
    for lang, text in rows:
        by_lang[lang].append(text)
    sets = {
        "sentence": rows,
        "3 words": [(lang, " ".join(text.split()[:3])) for lang, text in rows],
        "window of 3": [(lang, " ".join(texts[i:i + 3])) for lang, texts in by_lang.items() for i in range(0, len(texts), 3)],
    }
    codes = [c for c in (*EU_LANGUAGES, *NEIGHBOUR_LANGUAGES) if hasattr(IsoCode639_1, c.upper())]
    eu = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in codes]
    lingua_hi = LanguageDetectorBuilder.from_languages(*eu).with_preloaded_language_models().build()
    lingua_lo = LanguageDetectorBuilder.from_languages(*eu).with_low_accuracy_mode().with_preloaded_language_models().build()
    identifier = py3langid.langid.LanguageIdentifier.from_model_file(py3langid.langid.MODEL_FILE, norm_probs=True)
    identifier.set_languages([*EU_LANGUAGES, *NEIGHBOUR_LANGUAGES])
    monitor = Py3LangidDetector()

    def monitor_detect(text: str) -> str:
        found = monitor.detect(text)
        return found[0] if found and found[1] >= MIN_CONFIDENCE else "und"

    def lingua(detector):
        def detect(text: str) -> str:
            found = detector.detect_language_of(text)
            return found.iso_code_639_1.name.lower() if found else "und"
        return detect

    detectors = {"lingua (high accuracy)": lingua(lingua_hi), "lingua (low accuracy)": lingua(lingua_lo),
                 "py3langid": lambda text: identifier.classify(text)[0],
                 f"monitor (conf >= {MIN_CONFIDENCE})": monitor_detect}
    print(f"{'detector':24} " + " ".join(f"{name:>12}" for name in sets) + f" {'ms/call':>8}")
    for name, detect in detectors.items():
        cells = []
        calls, t0 = 0, time.perf_counter()
        for samples in sets.values():
            hits = sum(detect(text) == lang for lang, text in samples)
            calls += len(samples)
            cells.append(f"{hits}/{len(samples)}")
        ms = (time.perf_counter() - t0) * 1000 / calls
        print(f"{name:24} " + " ".join(f"{c:>12}" for c in cells) + f" {ms:8.3f}")


if __name__ == "__main__":
    main()
