"""`cct-monitor classify`: score JSONL lines {"id", "text", "context"?, "language"?} for every label, in input order.

A line in a language only the multilingual engine reads is scored by it: its own `language`, else the one
identified over its context and text (`monitor.language.identify`); each output line names the language used."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from typing import IO, Any

import click

from monitor.cli.options import setting_option, settings_from_context


class BadLine(ValueError):
    """An input line that cannot be scored."""


Line = tuple[Any, str, list[str], str | None]


def parse_line(line: str) -> Line:
    """(id, text, context, language) of one input line; raises BadLine saying what is wrong."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise BadLine(f"not JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(obj, dict):
        raise BadLine(f"expected a JSON object, got {type(obj).__name__}")
    if "text" not in obj:
        raise BadLine("missing 'text'")
    text = obj["text"]
    if not isinstance(text, str):
        raise BadLine(f"'text' must be a string, got {type(text).__name__}")
    context = obj.get("context") or []
    if isinstance(context, str):
        context = [context]
    if not isinstance(context, list) or not all(isinstance(c, str) for c in context):
        raise BadLine("'context' must be a list of strings")
    language = obj.get("language")
    if language is not None and not (isinstance(language, str) and language.strip()):
        raise BadLine("'language' must be a language code such as 'de'")
    return obj.get("id"), text, context, language.strip().lower() if language else None


def read_blocks(stream: IO[str], size: int, on_bad: Any, on_line: Any) -> Iterator[list[Line]]:
    """Valid lines in blocks of at most `size`; bad ones go to `on_bad(line_number, reason)`."""
    block: list[Line] = []
    for number, line in enumerate(stream, 1):
        on_line(line)
        if not line.strip():
            continue
        try:
            block.append(parse_line(line))
        except BadLine as exc:
            on_bad(number, str(exc))
            continue
        if len(block) >= size:
            yield block
            block = []
    if block:
        yield block


@click.command()
@click.option("--input", "input_path", default="-", show_default=True, envvar="CCT_CLASSIFY_INPUT", show_envvar=True,
              help="JSONL file of {\"id\", \"text\", \"context\"?, \"language\"?} lines; '-' reads stdin.")
@click.option("--output", "output_path", default="-", show_default=True, envvar="CCT_CLASSIFY_OUTPUT", show_envvar=True,
              help="Where {\"id\", \"language\", \"scores\"} lines go; '-' is stdout.")
@setting_option("--model", setting="classifier.model", help="Encoder: 'default', a local path or a hub id.")
@setting_option("--heads-dir", setting="classifier.heads_dir", help="Directory of per-label heads (the older format); overrides --models-dir.")
@setting_option("--models-dir", setting="classifier.models_dir", help="Models directory with manifest.json [default: bundled models/].")
@setting_option("--device", setting="classifier.device", help="cpu, cuda, cuda:N or auto.")
@setting_option("--threads", setting="classifier.threads", type=int, help="Torch CPU threads.")
@setting_option("--max-batch-size", setting="classifier.max_batch_size", type=int, help="Texts per encoder batch.")
@setting_option("--max-tokens", setting="classifier.max_tokens", type=int, help="Word pieces per encoder window.")
@setting_option("--int8/--no-int8", setting="classifier.quantize_int8", help="int8 dynamic quantisation of the encoder.")
@setting_option("--multilingual", setting="classifier.multilingual", type=click.Choice(["auto", "on", "off"]),
                help="Score lines in other languages with the multilingual engine (auto: when it is built and verifies).")
@click.pass_context
def classify(ctx: click.Context, input_path: str, output_path: str, **_flags: object) -> None:
    """Score every line for every label; output keeps input order, bad lines are reported on stderr and skipped."""
    from tqdm import tqdm

    from monitor.classify.stage import classifier_from_settings
    from monitor.language import identify
    from monitor.multilingual.routing import RoutedClassifier, with_multilingual

    settings = settings_from_context(ctx)
    try:
        classifier = with_multilingual(classifier_from_settings(settings.classifier), settings.classifier)
    except (FileNotFoundError, ValueError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from None
    block_size = max(settings.classifier.max_batch_size * 4, 64)
    src = sys.stdin if input_path == "-" else open(input_path, encoding="utf-8")
    dst = sys.stdout if output_path == "-" else open(output_path, "w", encoding="utf-8")
    bar = tqdm(total=None if input_path == "-" else os.path.getsize(input_path), unit="B", unit_scale=True, desc="classify", file=sys.stderr,
               disable=input_path == "-")
    counts = {"scored": 0, "bad": 0}

    def on_bad(number: int, reason: str) -> None:
        counts["bad"] += 1
        bar.write(f"line {number}: skipped: {reason}", file=sys.stderr)

    def on_line(line: str) -> None:
        bar.update(len(line.encode("utf-8")))

    try:
        for block in read_blocks(src, block_size, on_bad, on_line):
            texts, contexts = [t for _, t, _, _ in block], [c for _, _, c, _ in block]
            languages = [lang or identify(" ".join([*c, t])) for _, t, c, lang in block]
            if isinstance(classifier, RoutedClassifier):
                scores = classifier.score_texts(texts, contexts, languages)
            else:
                scores = classifier.score_texts(texts, contexts)
            for (ident, *_), language, s in zip(block, languages, scores, strict=True):
                dst.write(json.dumps({"id": ident, "language": language, "scores": s}, ensure_ascii=False) + "\n")
            dst.flush()
            counts["scored"] += len(block)
    finally:
        bar.close()
        if src is not sys.stdin:
            src.close()
        if dst is not sys.stdout:
            dst.close()
    click.echo(f"classify: {counts['scored']} scored, {counts['bad']} bad line(s) skipped", err=True)
