"""The CI regression gate's golden file: scores and alert outcomes of the suite's fixed regression subset.

`cct-monitor eval --update-golden` rewrites it from the shipped model and rules; the gate test fails on
any alert outcome that changed or any score that moved by more than the tolerance.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from monitor.eval.functional import CaseResult, run_cases
from monitor.eval.models import ModelSpec, load_classifier, load_engine
from monitor.eval.suite import DEFAULT_SUITE, FunctionalCase
from monitor.settings import ClassifierSettings, PipelineSettings

GOLDEN = DEFAULT_SUITE / "golden.json"
TOLERANCE = 0.02


def regression_subset(cases: Sequence[FunctionalCase]) -> list[FunctionalCase]:
    return [c for c in cases if c.regression]


def golden_of(results: Sequence[CaseResult], model: dict[str, str], rules_sha256: str) -> dict[str, Any]:
    """The golden record of these results (alerts sorted, scores to 4 places)."""
    return {
        "tolerance": TOLERANCE,
        "model": model,
        "rules_sha256": rules_sha256,
        "cases": {r.case.id: _case_record(r) for r in results},
    }


def _case_record(r: CaseResult) -> dict[str, Any]:
    """Outcome, alerts and scores; `unsupported_language` only where the pipeline routed the chunk past the
    classifier, so a change in how a language is handled shows as a change of this case."""
    record: dict[str, Any] = {
        "ok": r.ok,
        "alerts": sorted(a.to_json() for a in r.alerts),
        "scores": {k: round(v, 4) for k, v in sorted(r.scores.items())},
    }
    if r.unsupported_language is not None:
        record["unsupported_language"] = r.unsupported_language
    return record


def current_golden(spec: ModelSpec, cases: Sequence[FunctionalCase], classifier_settings: ClassifierSettings,
                   pipeline: PipelineSettings) -> dict[str, Any]:
    """The golden record of the regression subset of `cases` as `spec`'s model and rules score it now."""
    classifier = load_classifier(spec, classifier_settings)
    engine, _ = load_engine(spec, classifier)
    results = run_cases(regression_subset(cases), classifier, engine, pipeline)
    info = classifier.info
    return golden_of(results, {"name": info.name, "sha256": info.sha256}, engine.sha256)


def write_golden(golden: dict[str, Any], path: Path = GOLDEN) -> None:
    """JSON with one line per case, so a review diff shows exactly the cases that changed."""
    head = {k: v for k, v in golden.items() if k != "cases"}
    lines = ["{"] + [f" {json.dumps(k)}: {json.dumps(v, sort_keys=True)}," for k, v in sorted(head.items())]
    cases = sorted(golden["cases"].items())
    lines.append(' "cases": {')
    lines += [f"  {json.dumps(cid)}: {json.dumps(c, sort_keys=True, ensure_ascii=False)}" + ("," if i < len(cases) - 1 else "")
              for i, (cid, c) in enumerate(cases)]
    lines += [" }", "}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def read_golden(path: Path = GOLDEN) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no golden file; write it with `cct-monitor eval --update-golden`") from None


def differences(golden: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """Every way `current` departs from `golden`: cases added or gone, alert lists, outcomes or language
    routing changed, labels added or gone, scores moved by more than the golden's tolerance."""
    tol = float(golden.get("tolerance", TOLERANCE))
    want, got = golden["cases"], current["cases"]
    out = [f"{cid}: in the golden file but not in the regression subset" for cid in sorted(set(want) - set(got))]
    out += [f"{cid}: in the regression subset but not in the golden file" for cid in sorted(set(got) - set(want))]
    for cid in sorted(set(want) & set(got)):
        w, g = want[cid], got[cid]
        if w["alerts"] != g["alerts"]:
            out.append(f"{cid}: alerts {w['alerts']} -> {g['alerts']}")
        if w.get("unsupported_language") != g.get("unsupported_language"):
            out.append(f"{cid}: unsupported_language {w.get('unsupported_language')} -> {g.get('unsupported_language')}")
        if w["ok"] != g["ok"]:
            out.append(f"{cid}: expectation {'met' if w['ok'] else 'failed'} -> {'met' if g['ok'] else 'failed'}")
        for label in sorted(set(w["scores"]) | set(g["scores"])):
            if label not in g["scores"] or label not in w["scores"]:
                out.append(f"{cid}: label {label!r} {'gone' if label not in g['scores'] else 'added'}")
            elif abs(w["scores"][label] - g["scores"][label]) > tol:
                out.append(f"{cid}: {label} {w['scores'][label]:.4f} -> {g['scores'][label]:.4f} (tolerance {tol})")
    return out
