"""The models and rule sets an eval run compares: `NAME=MODELS_DIR` and `NAME=RULES_DIR` pairs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from monitor.classify.labels import DEFAULT_LABELS
from monitor.classify.stage import REPO_MODELS, TransformerClassifier, classifier_from_settings
from monitor.rules_engine.engine import RuleEngine
from monitor.rules_engine.loader import load_or_raise
from monitor.rules_engine.stage import resolve_rule_paths
from monitor.rules_engine.testing import RuleTestReport, run_rule_tests
from monitor.settings import ClassifierSettings
from monitor.stages import Classifier

CURRENT = "current"
DEFAULT_RULES = Path("rules")


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """One column of the comparison: a models directory scored through its rule paths."""

    name: str
    models_dir: Path
    rules: tuple[Path, ...]


def parse_named(values: Sequence[str], flag: str) -> dict[str, Path]:
    """`["a=dir", …]` as {name: path}; raises ValueError naming the flag and the bad value."""
    out: dict[str, Path] = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name.strip() or not path.strip():
            raise ValueError(f"{flag} {value!r}: expected NAME=PATH")
        if name in out:
            raise ValueError(f"{flag} {value!r}: name {name!r} given twice")
        out[name.strip()] = Path(path.strip())
    return out


def model_specs(models: dict[str, Path], rules: dict[str, Path], default_rules: Sequence[Path]) -> list[ModelSpec]:
    """Specs in the order given (default: `current` = this checkout's models/); each model takes its
    own `--rules NAME=…` or the shared default rule paths."""
    models = models or {CURRENT: REPO_MODELS}
    unknown = sorted(set(rules) - set(models))
    if unknown:
        raise ValueError(f"--rules for unknown model(s) {', '.join(unknown)}; models: {', '.join(models)}")
    specs = []
    for name, models_dir in models.items():
        if not models_dir.is_dir():
            raise ValueError(f"--model {name}={models_dir}: no such directory")
        paths = (rules[name],) if name in rules else tuple(default_rules)
        specs.append(ModelSpec(name, models_dir, paths))
    return specs


def load_classifier(spec: ModelSpec, base: ClassifierSettings) -> Classifier:
    """The monitor's classifier for `spec.models_dir` (whatever format its manifest names), built the one
    way the monitor builds it, with the multilingual heads of that directory's `multilingual/` when it has one."""
    from monitor.multilingual.routing import with_multilingual

    update: dict[str, object] = {"models_dir": spec.models_dir, "heads_dir": None}
    if base.multilingual_models_dir is None and (spec.models_dir / "multilingual").is_dir():
        update["multilingual_models_dir"] = spec.models_dir / "multilingual"
    settings = base.model_copy(update=update)
    return with_multilingual(classifier_from_settings(settings), settings)


def load_engine(spec: ModelSpec, classifier: TransformerClassifier) -> tuple[RuleEngine, RuleTestReport]:
    """The rule engine for `spec.rules` (validated against the classifier's labels) and the result of the
    rules' inline tests scored by this classifier. Failing inline tests are reported, not fatal: the
    eval measures the candidate as it is."""
    labels = tuple(dict.fromkeys((*classifier.info.labels, *DEFAULT_LABELS)))
    sets = load_or_raise(resolve_rule_paths(spec.rules), labels)
    encoder = classifier.text_encoder()
    return RuleEngine(sets, encoder=encoder), run_rule_tests(sets, classifier.score, encoder=encoder,
                                                             languages=classifier.info.languages)
