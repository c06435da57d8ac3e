"""Classifier-level and narrative-level figures for the non-English languages (docs/languages.md).

1. Each category's own label of the multilingual heads on the functional suite's non-English cases
   (`tests/functional/languages/`), harmful vs the rest of the category: recall and FP rate at the head's
   threshold, ROC-AUC; and the claim score on the other categories' non-harmful cases (what
   claim-high-reach reads).
2. Cross-lingual narrative probes (`tests/fixtures/narratives/crosslingual.tsv`): how many rank their narrative
   first in its set and also reach 0.52 (election-known-narrative's min_score), and the best score of the
   unrelated sentences; with the monitor's routed encoder and with the English encoder alone.

Needs the multilingual engine (`cct-monitor model export-multilingual`).
Run: `python scripts/languages_check.py [--heads models/multilingual]`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from monitor.classify.stage import classifier_from_settings
from monitor.eval.suite import load_suite
from monitor.multilingual.routing import multilingual_classifier, with_multilingual
from monitor.narratives.loader import load_sets_or_raise
from monitor.narratives.matcher import NarrativeMatcher
from monitor.settings import ClassifierSettings

ROOT = Path(__file__).resolve().parents[1]
CATEGORIES = ("election", "health", "threat", "hate", "claim")
MIN_SCORE = 0.52


def classifier_level(settings: ClassifierSettings) -> None:
    ml = multilingual_classifier(settings)
    cases = [c for c in load_suite() if c.language != "en"]
    scores = ml.score_texts([c.text for c in cases], [[t.text for t in c.context] for c in cases])
    cut = ml.info.thresholds
    print("recall / FP rate at the head's threshold / ROC-AUC, own category; thresholds",
          {k: round(v, 2) for k, v in cut.items()})
    print("| language | " + " | ".join(CATEGORIES) + " |")
    for language in [*sorted({c.language for c in cases}), "all"]:
        cells = []
        for cat in CATEGORIES:
            rows = [(c, s) for c, s in zip(cases, scores, strict=True)
                    if c.category == cat and language in ("all", c.language)]
            y = np.array([c.polarity == "harmful" for c, _ in rows])
            p = np.array([s[cat] for _, s in rows])
            auc = roc_auc_score(y, p) if 0 < y.sum() < len(y) else float("nan")
            cells.append(f"{(p[y] >= cut[cat]).mean():.2f} / {(p[~y] >= cut[cat]).mean():.2f} / {auc:.2f}")
        print(f"| {language} | " + " | ".join(cells) + " |")
    other = np.array([s["claim"] for c, s in zip(cases, scores, strict=True) if c.polarity != "harmful" and c.category != "claim"])
    print(f"claim score on the other categories' non-harmful cases: median {np.median(other):.2f}, "
          f">= 0.5: {(other >= 0.5).sum()}/{len(other)}")


def _best(matcher: NarrativeMatcher, matches: dict, narrative: str) -> tuple[str, float]:
    keys = [k for k in matches if narrative == "-" or any(n.id == narrative for n in matcher.sets[k].set.narratives)]
    top = max((matches[k][0] for k in keys), key=lambda m: m.score)
    return top.id, top.score


def probes(settings: ClassifierSettings) -> None:
    lines = (ROOT / "tests/fixtures/narratives/crosslingual.tsv").read_text(encoding="utf-8").splitlines()
    rows = [line.split("\t") for line in lines if line.strip() and not line.startswith("#")]
    classifier = with_multilingual(classifier_from_settings(settings), settings)
    sets = load_sets_or_raise([ROOT / "rules" / "narratives"])
    for name, encoder, languages in (("routed (multilingual for non-English)", classifier.text_encoder(), [r[0] for r in rows]),
                                     ("English encoder alone", classifier.english.text_encoder(), None)):
        matcher = NarrativeMatcher(sets, {"elections", "health"}, encoder)
        found = matcher.match([r[2] for r in rows], [[] for _ in rows], languages)
        best = [(r, _best(matcher, f, r[1])) for r, f in zip(rows, found, strict=True)]
        claims = [(r, b) for r, b in best if r[1] != "-"]
        first = [(r, b) for r, b in claims if b[0] == r[1]]
        unrelated = max(b[1] for r, b in best if r[1] == "-")
        print(f"{name}: ranked first {len(first)}/{len(claims)}, first and >= {MIN_SCORE} "
              f"{sum(b[1] >= MIN_SCORE for _, b in first)}/{len(claims)}, unrelated best {unrelated:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--heads", help="a multilingual models directory (default: models/multilingual)")
    args = parser.parse_args()
    settings = ClassifierSettings(threads=2, multilingual="on", multilingual_models_dir=args.heads)
    classifier_level(settings)
    probes(settings)


if __name__ == "__main__":
    main()
