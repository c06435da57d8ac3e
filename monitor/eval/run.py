"""One eval run: every model through its rules on the functional suite, then the public test splits and
the plain baseline, into one report (plain data, rendered by `report`)."""

from __future__ import annotations

import datetime as dt
import gc
import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor.classify.corpora import CorpusExample
from monitor.eval import baseline as baseline_mod
from monitor.eval.checkworthiness import debate_test_rows, ranking_metrics
from monitor.eval.debate_alerts import debate_alerts
from monitor.eval.functional import run_cases
from monitor.eval.hatecheck import as_functional_case, hatecheck_report
from monitor.eval.hatecheck_set import HateCheckCase
from monitor.eval.models import ModelSpec, load_classifier, load_engine
from monitor.eval.narratives import narrative_report
from monitor.eval.public import TextScorer, available_sources, public_metrics, public_test_rows, score_examples
from monitor.eval.suite import FunctionalCase
from monitor.eval.summary import PRIMARY_LANGUAGE, classifier_level, stance_level, summarise
from monitor.settings import ClassifierSettings, PipelineSettings

Log = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class EvalOptions:
    """What to compare and on which data."""

    specs: Sequence[ModelSpec]
    classifier: ClassifierSettings
    pipeline: PipelineSettings
    data_root: Path
    public: bool
    public_per_source: int
    debate_lines_per_source: int
    baseline: bool
    baseline_per_source: int
    cache_path: Path
    debate_alerts: bool = True  # stream the test debates through the rules (alerts on lawful political speech)
    declare_language: bool = True  # False: chunks carry no language; the pipeline identifies it per window
    hatecheck: Sequence[HateCheckCase] = ()  # the HateCheck-style set, scored per functionality when given


def shown(path: Path) -> str:
    """`path` relative to the working directory (a report names no machine paths)."""
    return os.path.relpath(path.resolve(), Path.cwd().resolve())


def suite_counts(cases: Sequence[FunctionalCase]) -> dict[str, Any]:
    primary = [c for c in cases if c.language == PRIMARY_LANGUAGE]
    return {"cases": len(cases), "harmful": sum(c.harmful for c in cases),
            "negatives": sum(not c.harmful for c in cases),
            "languages": dict(sorted(Counter(c.language for c in cases).items())),
            "breakdown": {"language": PRIMARY_LANGUAGE, "cases": len(primary), "harmful": sum(c.harmful for c in primary),
                          "negatives": sum(not c.harmful for c in primary)}}


def progress(log: Log, what: str, total: int) -> Callable[[int], None]:
    """A callback that logs `what` every few thousand rows scored."""
    done = [0, 0]

    def tick(n: int) -> None:
        done[0] += n
        if done[0] - done[1] >= 2048 or done[0] == total:
            done[1] = done[0]
            log(f"{what}: {done[0]}/{total}")

    return tick


def score_public(scorer: TextScorer, who: str, public: Sequence[CorpusExample], debates: Sequence[CorpusExample],
                 thresholds: dict[str, float], log: Log) -> dict[str, Any]:
    """The public test splits' metrics and the check-worthiness ranking of whole test debates."""
    log(f"{who}: scoring {len(public)} public test rows and {len(debates)} debate lines")
    scores = score_examples(scorer, public, progress(log, f"{who} public rows", len(public)))
    ranked = score_examples(scorer, debates, progress(log, f"{who} debate lines", len(debates)))
    return {"public": public_metrics(public, scores, thresholds), "checkworthiness": ranking_metrics(debates, ranked)}


def run_model(spec: ModelSpec, cases: Sequence[FunctionalCase], opts: EvalOptions,
              public: Sequence[CorpusExample], debates: Sequence[CorpusExample], log: Log) -> dict[str, Any]:
    """One model's report entry: suite through its rules, classifier level, public splits."""
    log(f"{spec.name}: loading {shown(spec.models_dir)} with rules {', '.join(map(shown, spec.rules))}")
    classifier = load_classifier(spec, opts.classifier)
    engine, tests = load_engine(spec, classifier)
    log(f"{spec.name}: rule inline tests {tests.summary()}; running {len(cases)} suite cases")
    results = run_cases(cases, classifier, engine, opts.pipeline, opts.declare_language)
    primary = [r for r in results if r.case.language == PRIMARY_LANGUAGE]
    info = classifier.info
    entry: dict[str, Any] = {
        "name": spec.name, "models_dir": shown(spec.models_dir), "rules": [shown(p) for p in spec.rules],
        "model": {"name": info.name, "sha256": info.sha256}, "thresholds": dict(info.thresholds),
        "rules_sha256": engine.sha256, "rule_tests": tests.summary(),
        "rule_test_failures": [str(o.problem()) for o in tests.failed],
        "functional": summarise(results),
        "classifier_level": classifier_level([r.case for r in primary], [r.scores for r in primary], dict(info.thresholds)),
        "stance_level": stance_level([r.case for r in primary], [r.scores for r in primary]),
        "narratives": narrative_report(primary, engine),
    }
    if opts.hatecheck:
        log(f"{spec.name}: running {len(opts.hatecheck)} HateCheck-style cases")
        hc = run_cases([as_functional_case(c) for c in opts.hatecheck], classifier, engine, opts.pipeline)
        entry["hatecheck_style"] = hatecheck_report(opts.hatecheck, hc, dict(info.thresholds))
    if public:
        entry.update(score_public(classifier, spec.name, public, debates, dict(info.thresholds), log))
    if debates and opts.debate_alerts:
        log(f"{spec.name}: streaming {len(debates)} debate lines through the rules")
        entry["debate_alerts"] = debate_alerts(debates, classifier, engine, opts.pipeline)
    return entry


def run_baseline(cases: Sequence[FunctionalCase], opts: EvalOptions, public: Sequence[CorpusExample],
                 debates: Sequence[CorpusExample], log: Log) -> dict[str, Any]:
    base = baseline_mod.train_baseline(opts.data_root, opts.baseline_per_source, opts.cache_path, log)
    primary = [c for c in cases if c.language == PRIMARY_LANGUAGE]
    suite_scores = base.score_texts([c.text for c in primary])
    entry: dict[str, Any] = {**base.describe(), "classifier_level": classifier_level(primary, suite_scores, base.thresholds)}
    if public:
        entry.update(score_public(base, "baseline", public, debates, base.thresholds, log))
    return entry


def evaluate(cases: Sequence[FunctionalCase], suite_path: Path, opts: EvalOptions, log: Log) -> dict[str, Any]:
    """The whole report."""
    report: dict[str, Any] = {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "suite": {"path": shown(suite_path), **suite_counts(cases),
                  "language": "declared on the chunks" if opts.declare_language else "identified by the pipeline"},
        "models": [],
    }
    public: list[CorpusExample] = []
    debates: list[CorpusExample] = []
    if not opts.public:
        report["public_data"] = {"skipped": "public test splits not requested (--no-public)"}
    elif not opts.data_root.is_dir():
        report["public_data"] = {"skipped": f"no public data sets at {shown(opts.data_root)} (pass --data DIR)"}
    else:
        public = public_test_rows(opts.data_root, opts.public_per_source)
        debates = debate_test_rows(opts.data_root, opts.debate_lines_per_source)
        report["public_data"] = {"root": shown(opts.data_root), "split": "test", "rows": len(public),
                                 "max_per_source": opts.public_per_source, "debate_lines": len(debates),
                                 "max_debate_lines_per_source": opts.debate_lines_per_source,
                                 "missing_sources": available_sources(opts.data_root)[1]}
    if "skipped" in report["public_data"]:
        log(f"public test splits skipped: {report['public_data']['skipped']}")
    for spec in opts.specs:
        report["models"].append(run_model(spec, cases, opts, public, debates, log))
        gc.collect()
    if not opts.baseline:
        report["baseline"] = {"skipped": "baseline not requested (--no-baseline)"}
    elif not opts.data_root.is_dir():
        report["baseline"] = {"skipped": "the baseline is trained on the public train split, which is absent"}
    else:
        report["baseline"] = run_baseline(cases, opts, public, debates, log)
    return report
