"""`cct-monitor replay`: backtest a rule change on recorded broadcasts before it ships."""

from __future__ import annotations

import json
from pathlib import Path

import click

from monitor.backtest import compare, deltas_json, render, run_rules, score_transcripts
from monitor.cli.options import setting_option, settings_from_context


@click.command()
@click.argument("transcripts", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--rules", "rule_paths", multiple=True, required=True, type=click.Path(exists=True, path_type=Path),
              envvar="CCT_REPLAY_RULES", show_envvar=True,
              help="Give twice: the OLD rule file or directory, then the NEW one.")
@setting_option("--classifier/--no-classifier", setting="classifier.enabled",
                help="Score chunks with the transformer classifier (off: keyword/regex/field rules only).")
@click.option("--json", "as_json", is_flag=True, envvar="CCT_REPLAY_JSON", show_envvar=True, help="Print the diff as JSON.")
@click.pass_context
def replay(ctx: click.Context, transcripts: tuple[Path, ...], rule_paths: tuple[Path, ...], as_json: bool,
           **_flags: object) -> None:
    """Run TRANSCRIPT.jsonl... through OLD and NEW rule sets with the same scores; print alerts added/removed per rule."""
    if len(rule_paths) != 2:
        raise click.UsageError("give --rules exactly twice: --rules OLD --rules NEW")
    from monitor.app import build_classifier
    from monitor.narratives.matcher import encoder_for
    from monitor.rules_engine.engine import RuleEngine
    from monitor.rules_engine.loader import RuleLoadError, load_or_raise

    settings = settings_from_context(ctx)
    try:
        old_sets, new_sets = (load_or_raise([p]) for p in rule_paths)
        # non-English chunks are scored by the multilingual engine, as in the monitor
        classifier = build_classifier(settings)
        # after the classifier, so their narrative matchers read its forward instead of loading an encoder
        old_engine, new_engine = (RuleEngine(sets, encoder=encoder_for(classifier)) for sets in (old_sets, new_sets))
    except RuleLoadError as exc:
        raise click.ClickException(str(exc)) from None
    scored = score_transcripts(list(transcripts), classifier, settings.pipeline)
    deltas = compare(run_rules(old_engine, scored), run_rules(new_engine, scored), old_engine.info, new_engine.info)
    if as_json:
        click.echo(json.dumps(deltas_json(deltas, scored), indent=2, ensure_ascii=False))
    else:
        click.echo(render(deltas, scored))
