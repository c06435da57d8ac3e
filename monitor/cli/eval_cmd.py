"""`cct-monitor eval`: the functional suite through the full rule sets, the public test splits and a plain
baseline, for several models side by side; `--update-golden` rewrites the CI regression gate's file."""

from __future__ import annotations

import json
from pathlib import Path

import click

from monitor.cli.options import setting_option, settings_from_context


def _log(message: str) -> None:
    click.echo(f"eval: {message}", err=True)


@click.command("eval")
@click.option("--model", "models", multiple=True, metavar="NAME=MODELS_DIR",
              help="A models directory to evaluate, repeatable, in column order [default: current=the checkout's models/].")
@click.option("--rules", "rules", multiple=True, metavar="NAME=RULES_DIR",
              help="The rule paths of one model [default for every model: the configured rules.paths, i.e. rules/].")
@click.option("--suite", type=click.Path(exists=True, path_type=Path), default=None,
              help="Functional suite file or directory [default: the checkout's tests/functional].")
@click.option("--data", type=click.Path(path_type=Path), default=None, envvar="CCT_DATASETS", show_envvar=True,
              help="Public data sets directory [default: ../shared/datasets beside the checkout]; skipped when absent.")
@click.option("--public/--no-public", default=True, show_default=True, help="Score the public test splits.")
@click.option("--baseline/--no-baseline", default=True, show_default=True,
              help="Train and score the plain baseline (needs the public train split).")
@click.option("--max-per-source", type=click.IntRange(min=0), default=1000, show_default=True,
              help="Public test rows per source (deterministic sample; 0 = all).")
@click.option("--max-debate-lines", type=click.IntRange(min=0), default=10000, show_default=True,
              help="Lines per debate source ranked for check-worthiness MAP (whole test debates; 0 = all).")
@click.option("--debate-alerts/--no-debate-alerts", default=True, show_default=True,
              help="Stream those test debates through each model's rules and count what fires (lawful political "
                   "speech: alerts above info are false alarms).")
@click.option("--baseline-train-per-source", type=click.IntRange(min=0), default=3000, show_default=True,
              help="Baseline train/calib rows per source and task (deterministic sample; 0 = all).")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=Path("out/eval.json"),
              show_default=True, help="Where the JSON report goes.")
@click.option("--detect-language", is_flag=True,
              help="Leave the cases' language off their chunks, so the pipeline identifies it per broadcast window "
                   "(as for a source that sends none) [default: each chunk declares its case's language].")
@click.option("--hatecheck/--no-hatecheck", default=True, show_default=True,
              help="Score the project's HateCheck-style set (tests/hatecheck_style) per functionality, heads and rules.")
@click.option("--update-golden", is_flag=True,
              help="Rewrite the regression gate's golden file from the first model and its rules, then stop.")
@click.option("--golden", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Golden file [default: tests/functional/golden.json].")
@setting_option("--device", setting="classifier.device", help="cpu, cuda, cuda:N or auto.")
@setting_option("--threads", setting="classifier.threads", type=int, help="Torch CPU threads.")
@setting_option("--int8/--no-int8", setting="classifier.quantize_int8", help="int8 dynamic quantisation of the encoder.")
@setting_option("--multilingual", setting="classifier.multilingual", type=click.Choice(["auto", "on", "off"]),
                help="Route non-English cases to the multilingual engine (auto: when it is built and verifies).")
@click.pass_context
def eval_(ctx: click.Context, models: tuple[str, ...], rules: tuple[str, ...], suite: Path | None, data: Path | None,
          public: bool, baseline: bool, max_per_source: int, max_debate_lines: int, debate_alerts: bool, baseline_train_per_source: int, out: Path,
          detect_language: bool, hatecheck: bool, update_golden: bool, golden: Path | None, **_flags: object) -> None:
    """Measure detection: the suite through each model's rules, the public test splits, a plain baseline."""
    from monitor.classify import corpora
    from monitor.classify.embcache import default_cache_path
    from monitor.eval import golden as golden_mod
    from monitor.eval.hatecheck_set import load_set
    from monitor.eval.models import model_specs, parse_named
    from monitor.eval.report import render
    from monitor.eval.run import EvalOptions, evaluate
    from monitor.eval.suite import DEFAULT_SUITE, SuiteError, load_suite
    from monitor.rules_engine.loader import RuleLoadError

    settings = settings_from_context(ctx)
    suite_path = suite or DEFAULT_SUITE
    try:
        specs = model_specs(parse_named(models, "--model"), parse_named(rules, "--rules"), settings.rules.paths)
        cases = load_suite(suite_path)
        if update_golden:
            path = golden or golden_mod.GOLDEN
            record = golden_mod.current_golden(specs[0], cases, settings.classifier, settings.pipeline)
            changes = golden_mod.differences(golden_mod.read_golden(path), record) if path.is_file() else []
            golden_mod.write_golden(record, path)
            click.echo(f"wrote {path}: {len(record['cases'])} regression cases from model {specs[0].name}; "
                       f"{len(changes)} change(s) from the previous file")
            for line in changes:
                click.echo(f"  {line}")
            return
        opts = EvalOptions(
            specs=specs, classifier=settings.classifier, pipeline=settings.pipeline,
            data_root=data or corpora.default_root(), public=public,
            public_per_source=max_per_source, debate_lines_per_source=max_debate_lines, baseline=baseline,
            baseline_per_source=baseline_train_per_source, cache_path=default_cache_path(),
            debate_alerts=debate_alerts, declare_language=not detect_language,
            hatecheck=load_set() if hatecheck else (),
        )
        report = evaluate(cases, suite_path, opts, _log)
    except (SuiteError, RuleLoadError, ValueError, FileNotFoundError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from None
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    click.echo(render(report), nl=False)
    _log(f"JSON report written to {out}")
