"""`cct-monitor rules`: validate, test, explain and diff DSA rule sets."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from monitor.cli.options import setting_option, settings_from_context

PATHS_HELP = "Rule files or directories [default: the configured rules.paths, i.e. rules/]."


def _paths(ctx: click.Context, given: Sequence[Path]) -> list[Path]:
    from monitor.rules_engine.stage import resolve_rule_paths

    return list(given) if given else resolve_rule_paths(settings_from_context(ctx).rules.paths)


def _load_classifier(ctx: click.Context) -> Any:
    from monitor.classify.stage import classifier_from_settings
    from monitor.multilingual.routing import with_multilingual

    settings = settings_from_context(ctx)
    try:
        return with_multilingual(classifier_from_settings(settings.classifier), settings.classifier)
    except (OSError, ValueError, RuntimeError) as exc:
        raise click.ClickException(
            f"cannot load the classifier that rules with label conditions need: {exc} "
            "(--no-classifier skips their tests)"
        ) from None


@click.group()
def rules() -> None:
    """Validate, test, explain and diff the DSA rule sets."""


@rules.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--against", default=None, envvar="CCT_RULES_AGAINST", show_envvar=True,
              help="Directory, file or git revision to compare with: a rule whose behaviour changed must bump its version.")
@click.pass_context
def validate(ctx: click.Context, paths: tuple[Path, ...], against: str | None) -> None:
    """Check rule files against the schema and the semantic rules; print every problem as file:line: reason."""
    from monitor.rules_engine.loader import load_rule_sets

    result = load_rule_sets(_paths(ctx, paths), against=against)
    for problem in result.problems:
        click.echo(str(problem))
    n_rules = sum(len(s.ruleset.rules) for s in result.sets)
    if result.problems:
        click.echo(f"{len(result.problems)} problem(s) found", err=True)
        ctx.exit(1)
    click.echo(f"OK: {len(result.sets)} rule sets, {n_rules} rules"
               + (f", versions checked against {against}" if against else ""))
    for s in result.sets:
        click.echo(f"  {s.path}: {s.ruleset.id} {s.ruleset.version} sha256={s.sha256[:16]}… ({len(s.ruleset.rules)} rules)")


@rules.command("test")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--junit", "junit", type=click.Path(dir_okay=False, path_type=Path), default=None,
              envvar="CCT_RULES_JUNIT", show_envvar=True, help="Also write the results as JUnit XML to this file.")
@setting_option("--classifier/--no-classifier", setting="classifier.enabled",
                help="Load the classifier for rules with label conditions (off: their tests are skipped) [default: on].")
@click.option("-v", "--verbose", is_flag=True, envvar="CCT_RULES_VERBOSE", show_envvar=True,
              help="List every test, not only failures.")
@click.pass_context
def test_cmd(ctx: click.Context, paths: tuple[Path, ...], junit: Path | None, verbose: bool, **_flags: Any) -> None:
    """Run every inline rule test; keyword and regex rules run without loading the model."""
    from monitor.rules_engine.loader import load_rule_sets
    from monitor.rules_engine.testing import run_rule_tests, write_junit

    settings = settings_from_context(ctx)
    result = load_rule_sets(_paths(ctx, paths))
    for problem in result.problems:
        click.echo(str(problem))
    if result.problems:
        ctx.exit(1)
    from monitor.narratives.matcher import encoder_for
    from monitor.rules_engine.engine import rules_use_labels

    classifier = None
    if settings.classifier.enabled and rules_use_labels(result.sets):
        classifier = _load_classifier(ctx)
    report = run_rule_tests(result.sets, classifier.score if classifier is not None else None,
                            settings.pipeline.context_chunks, encoder=encoder_for(classifier),
                            languages=classifier.info.languages if classifier is not None else None)
    for outcome in report.outcomes:
        if outcome.skipped:
            if verbose:
                click.echo(f"SKIP {outcome.name}  ({outcome.skip_reason})")
        elif not outcome.passed:
            click.echo(f"FAIL {outcome.problem()}")
        elif verbose:
            click.echo(f"ok   {outcome.name}")
    by_set: dict[str, list[int]] = {}
    for o in report.outcomes:
        counts = by_set.setdefault(o.ruleset, [0, 0, 0])
        counts[0 if o.passed else (2 if o.skipped else 1)] += 1
    for name, (ok, failed, skipped) in by_set.items():
        click.echo(f"  {name}: {ok} passed, {failed} failed, {skipped} skipped")
    click.echo(report.summary())
    if junit is not None:
        write_junit(report, junit)
    if not report.ok:
        ctx.exit(1)


def _parse_pairs(pairs: Sequence[str], what: str) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint=what)
        out[key.strip()] = value.strip()
    return out


def _field_value(key: str, value: str) -> Any:
    from monitor.rules_engine.model import FIELDS

    kind = FIELDS.get(key)
    if kind == "number" or key in ("start_ms", "end_ms"):
        return float(value) if "." in value else int(value)
    if kind == "list":
        return [v.strip() for v in value.split(",") if v.strip()]
    return value


@rules.command()
@click.option("--text", required=True, envvar="CCT_EXPLAIN_TEXT", show_envvar=True, help="The chunk text to evaluate.")
@click.option("--field", "fields", multiple=True, envvar="CCT_EXPLAIN_FIELDS", show_envvar=True,
              help="A chunk field as KEY=VALUE, e.g. speaker.role=host, audience.listeners=250000, territories=DE,FR (repeatable).")
@click.option("--context", "context", multiple=True, envvar="CCT_EXPLAIN_CONTEXT", show_envvar=True,
              help="A preceding chunk's text, oldest first (repeatable).")
@click.option("--score", "scores", multiple=True, envvar="CCT_EXPLAIN_SCORES", show_envvar=True,
              help="Use LABEL=P instead of the classifier's score for that label (repeatable).")
@setting_option("--rules", "rule_paths", setting="rules.paths", multiple=True, type=click.Path(path_type=Path),
                help="Rule file or directory (repeatable) [default: rules/].")
@setting_option("--classifier/--no-classifier", setting="classifier.enabled",
                help="Score the text with the classifier [default: on].")
@click.option("--json", "as_json", is_flag=True, envvar="CCT_EXPLAIN_JSON", show_envvar=True, help="Print the trace as JSON.")
@click.pass_context
def explain(ctx: click.Context, text: str, fields: tuple[str, ...], context: tuple[str, ...], scores: tuple[str, ...],
            as_json: bool, **_flags: Any) -> None:
    """Show how every rule evaluates one chunk: each condition with its value, exceptions and escalations."""
    from monitor.contracts import InvalidChunk, chunk_from_obj
    from monitor.narratives.matcher import encoder_for
    from monitor.rules_engine.engine import RuleEngine, rules_use_labels
    from monitor.rules_engine.explain import render_explanation
    from monitor.rules_engine.loader import RuleLoadError, load_or_raise, rule_test_chunk
    from monitor.rules_engine.stage import resolve_rule_paths
    from monitor.stages import SourceRecord, WorkItem

    settings = settings_from_context(ctx)
    classifier = None
    try:
        sets = load_or_raise(resolve_rule_paths(settings.rules.paths))
        if settings.classifier.enabled and rules_use_labels(sets):
            classifier = _load_classifier(ctx)  # first, so the narrative matcher reads its encoder
        engine = RuleEngine(sets, encoder=encoder_for(classifier))
    except RuleLoadError as exc:
        raise click.ClickException(f"the rules do not validate:\n{exc}") from None
    try:
        given = {k: _field_value(k, v) for k, v in _parse_pairs(fields, "--field").items()}
        overrides = {k: float(v) for k, v in _parse_pairs(scores, "--score").items()}
    except ValueError as exc:
        raise click.BadParameter(f"not a number: {exc}", param_hint="--field/--score") from None
    try:
        ctx_chunks = [chunk_from_obj(rule_test_chunk(t, {}, i)) for i, t in enumerate(context)]
        chunk = chunk_from_obj(rule_test_chunk(text, given, len(context)))
    except InvalidChunk as exc:
        raise click.BadParameter(exc.detail, param_hint="--field") from None
    item = WorkItem(chunk, SourceRecord("explain", 0, 0, None, None), ctx_chunks)
    if classifier is not None and engine.uses_labels:
        item.scores = classifier.score([item])[0]
    item.scores.update(overrides)
    entries = engine.explain(item)
    if as_json:
        click.echo(json.dumps({"scores": item.scores, "rules": entries}, ensure_ascii=False, indent=2))
        return
    if item.scores:
        click.echo("scores: " + "  ".join(f"{k}={v:.3f}" for k, v in sorted(item.scores.items())) + "\n")
    click.echo(render_explanation(entries), nl=False)


@rules.command()
@click.argument("old")
@click.argument("new", type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, envvar="CCT_RULES_DIFF_JSON", show_envvar=True, help="Print the diff as JSON.")
def diff(old: str, new: Path, as_json: bool) -> None:
    """Rules added, removed and changed between OLD and NEW (files or directories; OLD may be a git revision)."""
    from monitor.rules_engine.diff import diff_paths, render_diff

    try:
        result = diff_paths(old, str(new))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps(result.as_dict(), indent=2) if as_json else render_diff(result))


@rules.command()
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              envvar="CCT_RULES_SCHEMA_OUTPUT", show_envvar=True,
              help="Write the schema to this file (e.g. rules/schema.json) instead of stdout.")
def schema(output: Path | None) -> None:
    """Print the JSON Schema of the rule-set file format (generated from the pydantic model)."""
    from monitor.rules_engine.model import ruleset_json_schema

    text = json.dumps(ruleset_json_schema(), indent=2, ensure_ascii=False) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}")
