"""`cct-monitor train`: train one label head from CSV/JSONL data and write it with its model card."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import click


def command_line(ctx: click.Context) -> str:
    """The invocation as a shell command, every option that differs from its default spelled out."""
    words = ["cct-monitor", "train"]
    for param in ctx.command.params:
        if not isinstance(param, click.Option):
            continue
        value = ctx.params.get(param.name)
        if value is None or value == () or (value == param.default and not param.multiple):
            continue
        if param.is_flag:
            words.append(param.opts[0] if value else param.secondary_opts[0])
            continue
        for v in value if param.multiple else (value,):
            words += [param.opts[0], str(v)]
    return shlex.join(words)


@click.command()
@click.option("--label", required=True, envvar="CCT_TRAIN_LABEL", show_envvar=True, help="Label the head predicts (e.g. claim).")
@click.option(
    "--data", "data_specs", multiple=True, required=True, envvar="CCT_TRAIN_DATA", show_envvar=True,
    help="CSV or JSONL file, repeatable; PATH?key=value&... overrides per file "
         "(text_col, label_col, positive, negative, label, group_col, context, context_n, limit, where, weight, "
         "name). corpus:NAME reads a registered public data set (monitor/classify/corpora.py) without the test "
         "split `eval` scores: columns text, group, context, stance and one per task (label_col=hate).",
)
@click.option("--text-col", default="text", show_default=True, envvar="CCT_TRAIN_TEXT_COL", show_envvar=True, help="Column holding the text.")
@click.option("--label-col", default="label", show_default=True, envvar="CCT_TRAIN_LABEL_COL", show_envvar=True, help="Column holding the label.")
@click.option(
    "--positive", multiple=True, envvar="CCT_TRAIN_POSITIVE", show_envvar=True,
    help="Label value that means positive, repeatable [default: 1, true].",
)
@click.option("--group-col", default=None, envvar="CCT_TRAIN_GROUP_COL", show_envvar=True,
              help="Column naming the document/debate/group; held-out splits never cut a group.")
@click.option("--context", "context", default=None, envvar="CCT_TRAIN_CONTEXT", show_envvar=True,
              help="'previous' (previous rows of the same group are the context) or a column of previous texts.")
@click.option("--context-n", default=2, show_default=True, type=click.IntRange(0, 16), envvar="CCT_TRAIN_CONTEXT_N",
              show_envvar=True, help="Previous chunks used as context.")
@click.option("--out", "out_dir", default="models", show_default=True, type=click.Path(file_okay=False, path_type=Path),
              envvar="CCT_TRAIN_OUT", show_envvar=True, help="Models directory: writes heads/<label>.* and cards/<label>.md.")
@click.option("--seed", default=13, show_default=True, type=int, envvar="CCT_TRAIN_SEED", show_envvar=True, help="Random seed (splits, sampling, MLP).")
@click.option("--model", default="default", show_default=True, envvar="CCT_CLASSIFIER__MODEL", show_envvar=True,
              help="Encoder: 'default', a local path or a cached hub id.")
@click.option("--max-tokens", default=128, show_default=True, type=click.IntRange(16, 512), envvar="CCT_CLASSIFIER__MAX_TOKENS",
              show_envvar=True, help="Word pieces per encoder window.")
@click.option("--threshold", default=None, type=click.FloatRange(0, 1), envvar="CCT_TRAIN_THRESHOLD", show_envvar=True,
              help="The head's decision cut [default: F1-best on the calibration split, 0.05 grid in 0.2..0.8].")
@click.option("--prior", default=None, type=click.FloatRange(0.01, 0.99), envvar="CCT_TRAIN_PRIOR", show_envvar=True,
              help="Calibrate as if positives were this share of the stream [default: the calibration split's own share].")
@click.option("--calibration", "calibration", default="auto", show_default=True, envvar="CCT_TRAIN_CALIBRATION", show_envvar=True,
              type=click.Choice(["auto", "platt", "isotonic"]),
              help="Probability calibration: 'auto' picks the lower cross-fitted Brier on the calibration split.")
@click.option("--int8/--no-int8", "measure_int8", default=True, show_default=True, envvar="CCT_TRAIN_INT8", show_envvar=True,
              help="Measure the head with the int8-quantised encoder too.")
@click.option("--cache", "cache_path", default=None, type=click.Path(dir_okay=False, path_type=Path), envvar="CCT_EMBED_CACHE",
              show_envvar=True, help="Embedding cache file [default: <tmp>/cct-embed-cache.sqlite].")
@click.option("--layers", default="all", show_default=True, envvar="CCT_TRAIN_LAYERS", show_envvar=True,
              help="Encoder layers mean-pooled into the features: 'last', 'all' or e.g. '1,3,6'.")
@click.option("--threads", default=None, type=click.IntRange(1), envvar="CCT_CLASSIFIER__THREADS", show_envvar=True,
              help="Torch CPU threads.")
@click.option("--lexical/--no-lexical", default=False, show_default=True, envvar="CCT_TRAIN_LEXICAL", show_envvar=True,
              help="Also fit an LR on the embedding plus hashed word 1-3-grams (framing, negation, attribution); "
                   "used when it beats the embedding alone on the calibration split.")
@click.option("--lexical-features", default=2**14, show_default=True, type=click.IntRange(16), envvar="CCT_TRAIN_LEXICAL_FEATURES",
              show_envvar=True, help="Hashed columns of the lexical block.")
@click.option("--lexical-chars", default=None, envvar="CCT_TRAIN_LEXICAL_CHARS", show_envvar=True,
              help="Also hash in-word character n-grams into the lexical block, e.g. '2,5' (hashtags, spellings, source names).")
@click.option("--blend/--no-blend", default=False, show_default=True, envvar="CCT_TRAIN_BLEND", show_envvar=True,
              help="With --lexical, also try the MLP and the lexical LR added (mix picked on the calibration split).")
def train(label: str, data_specs: tuple[str, ...], text_col: str, label_col: str, positive: tuple[str, ...],
          group_col: str | None, context: str | None, context_n: int, out_dir: Path, seed: int, model: str,
          max_tokens: int, threshold: float | None, prior: float | None, calibration: str, measure_int8: bool, cache_path: Path | None, layers: str, threads: int | None,
          lexical: bool, lexical_features: int, lexical_chars: str | None, blend: bool) -> None:
    """Train a calibrated head for LABEL, compare it with a plain logistic regression, write head + model card."""
    from tqdm import tqdm

    from monitor.classify.data import parse_spec
    from monitor.classify.embcache import default_cache_path
    from monitor.classify.encoder import parse_layers
    from monitor.classify.lexical import LexicalFeatures
    from monitor.classify.train import TrainConfig, train_head

    defaults = {"text_col": text_col, "label_col": label_col, "positive": positive or ("1", "true"),
                "group_col": group_col, "context": context, "context_n": context_n}
    try:
        sources = [parse_spec(s, defaults) for s in data_specs]
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--data") from None
    try:
        layer_list = parse_layers(layers)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--layers") from None
    try:
        chars = tuple(int(v) for v in lexical_chars.split(",")) if lexical_chars else None
        if chars is not None and len(chars) != 2:
            raise ValueError("give two numbers, e.g. 2,5")
        lex = LexicalFeatures(n_features=lexical_features, char_ngrams=chars) if lexical else None  # type: ignore[arg-type]
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--lexical-chars") from None
    if blend and lex is None:
        raise click.BadParameter("a blend needs --lexical", param_hint="--blend")
    config = TrainConfig(
        label=label, sources=sources, out_dir=out_dir, seed=seed, model=model, max_tokens=max_tokens,
        context_n=context_n, threshold=threshold, prior=prior, calibration=calibration, measure_int8=measure_int8,
        cache_path=cache_path or default_cache_path(), threads=threads, layers=layer_list,
        lexical=lex, blend=blend,
        command=command_line(click.get_current_context()),
    )
    bar = tqdm(desc="embedding", unit="text", file=sys.stderr, disable=not sys.stderr.isatty())

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    try:
        result = train_head(config, progress)
    except (ValueError, KeyError, FileNotFoundError) as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        bar.close()
    r = result.report
    summary = {
        "label": label, "chosen": r["chosen"], "context_used": r["context"]["used"],
        "calibration": r["calibration"]["method"], "threshold": r["threshold"]["value"], "test": r["test"],
        "test_at_0.5": r["test_at_0.5"], "baseline_test": r["baseline_test"],
        "int8_delta_pr_auc": r["int8"]["delta_pr_auc"] if r["int8"] else None,
        "files": [str(f) for f in result.files],
    }
    click.echo(json.dumps(summary, indent=2))
