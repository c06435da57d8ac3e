"""`cct-monitor narratives`: validate, import, search and evaluate known-narrative sets; train the search's
retrieval model."""

from __future__ import annotations

import datetime as dt
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from monitor.narratives.retrieval_model import RetrievalModel

DEFAULT_SETS = Path("rules") / "narratives"


def _sets_dir(given: Path | None) -> Path:
    from monitor.rules_engine.stage import resolve_rule_paths

    return given if given is not None else resolve_rule_paths([DEFAULT_SETS])[0]


@click.group()
def narratives() -> None:
    """Known fact-checked narratives: validate, import, search, evaluate."""


@narratives.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.pass_context
def validate(ctx: click.Context, paths: tuple[Path, ...]) -> None:
    """Check narrative-set files (default rules/narratives/); print every problem as file:line: reason."""
    from monitor.narratives.loader import load_sets

    sets, problems = load_sets(list(paths) or [_sets_dir(None)])
    for problem in problems:
        click.echo(str(problem))
    if problems or not sets:
        click.echo(f"{len(problems)} problem(s) found" if problems else "no narrative sets found", err=True)
        ctx.exit(1)
    for s in sets:
        click.echo(f"OK: {s.set.id} {s.set.version} ({len(s.set.narratives)} narratives, sha256 {s.sha256[:12]}) {s.path}")
        in_eu, states = s.set.documented_in_eu()
        click.echo(f"  documented in EU member states: {in_eu}" + (f" ({', '.join(f'{t} {k}' for t, k in states.most_common())})" if states else ""))


@narratives.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the schema here (e.g. rules/narratives/schema.json) instead of stdout.")
def schema(output: Path | None) -> None:
    """Print the JSON Schema of narrative-set files."""
    from monitor.narratives.model import narrative_set_json_schema

    text = json.dumps(narrative_set_json_schema(), indent=2, ensure_ascii=False) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


@narratives.command(name="import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["auto", "claimreview", "factcheck-api", "vclaims"]), default="auto",
              show_default=True, help="Input format; auto: CSV/JSONL are verified claims, JSON with 'claims' is API output, else ClaimReview.")
@click.option("--set-id", required=True, help="Id of the narrative set to write.")
@click.option("--title", default=None, help="Title of the set [default: the set id].")
@click.option("--owner", default="trust-and-safety", show_default=True)
@click.option("--version", "version", default="1.0.0", show_default=True)
@click.option("--base-url", default=None, help="Resolve relative fact-check URLs of verified claims against this URL.")
@click.option("--rating-if-missing", default=None,
              help="Rating for verified claims that carry none (e.g. 'false' for a list of debunked claims).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the set here [default: stdout].")
@click.pass_context
def import_(ctx: click.Context, files: tuple[Path, ...], fmt: str, set_id: str, title: str | None, owner: str,
            version: str, base_url: str | None, rating_if_missing: str | None, output: Path | None) -> None:
    """Turn ClaimReview JSON-LD, fact-check API JSON or verified-claims CSV/JSONL into a narrative set.

    Records that cannot be imported are reported on stderr as file:line: reason and skipped.
    """
    from pydantic import ValidationError

    from monitor.narratives.importers import as_set, import_files, set_yaml

    result = import_files(list(files), fmt, base_url, rating_if_missing)
    for problem in result.problems:
        click.echo(f"skipped {problem}", err=True)
    if not result.narratives:
        raise click.ClickException("no narrative could be imported")
    try:
        made = as_set(result.narratives, set_id, title or set_id, owner, version)
    except ValidationError as exc:
        raise click.ClickException(str(exc)) from None
    text = set_yaml(made)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
    click.echo(f"imported {len(result.narratives)} narratives, skipped {len(result.problems)} record(s)", err=True)


def _index_documents(index: Path) -> list:
    from monitor.narratives.evaluate import vclaim_document
    from monitor.narratives.loader import load_sets, read_vclaims_jsonl
    from monitor.narratives.matcher import narrative_documents

    if index.is_file() and index.suffix == ".jsonl":
        claims, problems = read_vclaims_jsonl(index)
        for problem in problems:
            click.echo(f"skipped {problem}", err=True)
        return [vclaim_document(c) for c in claims]
    sets, problems = load_sets([index])
    if problems:
        raise click.ClickException("\n".join(str(p) for p in problems))
    return [d for s in sets for d in narrative_documents(s)]


_MODEL_HELP = "Retrieval model directory (adapter + re-ranker) [default: models/narratives]."


def _retrieval_model(given: Path | None) -> RetrievalModel | None:
    from monitor.narratives.retrieval_model import default_model_dir, load

    directory = given or default_model_dir()
    if given is None and not directory.is_dir():
        return None
    try:
        return load(directory)
    except (OSError, ValueError, KeyError) as exc:
        raise click.ClickException(f"retrieval model {directory}: {exc}") from None


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """One line of `narratives search` input."""

    id: object
    text: str
    context: tuple[str, ...] = ()
    date: dt.date | None = None
    speaker: str = ""


def _query(row: dict[str, Any], n: int) -> SearchQuery:
    from monitor.narratives.evaluate import said_on

    context, date, speaker = row.get("context", []), row.get("date"), row.get("speaker", "")
    if not isinstance(context, list) or not all(isinstance(t, str) for t in context):
        raise click.ClickException(f"stdin:{n}: 'context' must be a list of strings (the turns before, oldest first)")
    if not isinstance(speaker, str):
        raise click.ClickException(f"stdin:{n}: 'speaker' must be a string (who said the line), got {speaker!r}")
    try:
        day = dt.date.fromisoformat(date) if date is not None else None
    except (TypeError, ValueError):
        raise click.ClickException(f"stdin:{n}: 'date' must be YYYY-MM-DD, got {date!r}") from None
    if day is None and isinstance(row["id"], str):
        day = said_on(row["id"])
    return SearchQuery(row["id"], row["text"], tuple(context), day, speaker.strip())


def _speakers(queries: list[SearchQuery], docs: list) -> list[frozenset[str]]:
    """Each line's speaker surnames: its "speaker", else those its CheckThat! id's event names (`speakers`)."""
    from monitor.narratives.speakers import SpeakerNames, given

    named = SpeakerNames(d.speaker for d in docs)
    return [given([q.speaker]) if q.speaker else named.from_id(q.id) for q in queries]


@narratives.command()
@click.option("--index", "index", required=True, type=click.Path(exists=True, path_type=Path),
              help="A narrative-set directory or file, or a verified-claims JSONL file (vclaim_id, vclaim, ...).")
@click.option("--top-k", default=5, show_default=True, type=click.IntRange(1, 1000))
@click.option("--model", "model_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None, help=_MODEL_HELP)
def search(index: Path, top_k: int, model_dir: Path | None) -> None:
    """Read JSONL {"id", "text"} on stdin; write JSONL {"id", "matches": [{"id", "score"}, ...]} best first.

    A line may add "context" (the turns before, oldest first), "date" (YYYY-MM-DD, the day it was said) and
    "speaker" (who said it), which the re-ranker reads (a claim fact-checked after that day is unlikely to be
    the one repeated; a speaker often repeats their own checked claims). Without them, an id in the
    CheckThat!/CLEF transcript form YYYYMMDD_<event>_<line> gives the day, and the speaker when the event
    names one the index holds many claims of (20170822_Trump_phoenix_0204).

    Ranks with the retrieval model (adapted dense + BM25, re-ranked; a score is the re-ranker's probability)."""
    from monitor.narratives.index import NarrativeIndex
    from monitor.narratives.matcher import embedding_cache_path, shared_default_encoder

    docs = _index_documents(index)
    if not docs:
        raise click.ClickException(f"{index}: nothing to search")
    queries: list[SearchQuery] = []
    for n, line in enumerate(sys.stdin, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise click.ClickException(f"stdin:{n}: not JSON: {exc.msg}") from None
        if not isinstance(row, dict) or not isinstance(row.get("text"), str) or "id" not in row:
            raise click.ClickException(f"stdin:{n}: need an object with 'id' and 'text'")
        queries.append(_query(row, n))
    model = _retrieval_model(model_dir)
    try:
        engine = NarrativeIndex(docs, shared_default_encoder(), embedding_cache_path(), model=model)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    found = engine.search([q.text for q in queries], top_k, contexts=[q.context for q in queries],
                          dates=[q.date for q in queries], speakers=_speakers(queries, docs))
    out = click.get_text_stream("stdout")
    for q, matches in zip(queries, found, strict=True):
        out.write(json.dumps({"id": q.id, "matches": [m.as_json() for m in matches]}, ensure_ascii=False) + "\n")


def _named_dir(given: str) -> tuple[str, Path]:
    """`NAME=DIR` or `DIR` (no name) of a `--model` option; the directory must exist."""
    label, _, directory = ("", "", given) if Path(given).is_dir() else given.partition("=")
    path = Path(directory)
    if not path.is_dir():
        raise click.BadParameter(f"directory '{directory}' does not exist", param_hint="--model")
    return label, path


def _default_debates(data_dir: Path) -> Path | None:
    """The CLEF 2020 debate transcripts beside a CheckThat! directory, when present."""
    guess = data_dir.parent / "clef2020-task5-debates" / "clef2020_task5_debates.csv"
    return guess if guess.exists() else None


@narratives.command(name="eval")
@click.option("--data", "data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=Path("../shared/datasets/checkthat2022-task2b-debates"), show_default=True,
              help="CheckThat! 2B-format directory: queries_train_dev.csv, qrels_train.csv, qrels_dev.csv, vclaims_*.jsonl.")
@click.option("--debates", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Debate transcripts CSV (file_name, line_number, text) for the preceding-lines context "
                                 "[default: ../shared/datasets/clef2020-task5-debates/clef2020_task5_debates.csv when present].")
@click.option("--context-lines", default=2, show_default=True, type=click.IntRange(0, 20))
@click.option("--model", "model_dirs", multiple=True, metavar="[NAME=]DIR",
              help=_MODEL_HELP + " Repeat to compare models in one run (NAME labels its rows).")
def eval_(data_dir: Path, debates: Path | None, context_lines: int, model_dirs: tuple[str, ...]) -> None:
    """Claim retrieval on CheckThat! 2B train/dev: BM25, dense, fused and the retrieval model(s) of `narratives
    search`, side by side (MAP@5, MRR, Recall@k)."""
    from monitor.narratives.evaluate import evaluate, load_checkthat, render_table
    from monitor.narratives.matcher import embedding_cache_path, shared_default_encoder

    data = load_checkthat(data_dir, debates or _default_debates(data_dir), context_lines)
    models = [(label, _retrieval_model(directory)) for label, directory in map(_named_dir, model_dirs)] or [("", _retrieval_model(None))]
    rows, fusion = evaluate(data, shared_default_encoder(), embedding_cache_path(),
                            [(label, model) for label, model in models if model is not None])
    click.echo(render_table(rows))
    click.echo(f"\nfusion chosen on train: dense weight {fusion.dense_weight}, BM25 k {fusion.bm25_k}, "
               f"context weight {fusion.context_weight} ({context_lines} preceding debate lines)")


@narratives.command(name="train-retrieval")
@click.option("--data", "data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=Path("../shared/datasets/checkthat2022-task2b-debates"), show_default=True,
              help="CheckThat! 2B-format directory; only qrels_train.csv is trained on.")
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Model directory to write [default: models/narratives].")
@click.option("--debates", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Debate transcripts CSV (file_name, line_number, speaker, text): the train lines' speakers, for the "
                   "speaker boost [default: ../shared/datasets/clef2020-task5-debates/clef2020_task5_debates.csv when present].")
@click.option("--seed", default=0, show_default=True, type=int)
def train_retrieval_(data_dir: Path, output: Path | None, debates: Path | None, seed: int) -> None:
    """Train the retrieval model of `narratives search` (query adapter, fusion, re-ranker) on the train qrels."""
    from monitor.narratives.retrieval_model import default_model_dir, save
    from monitor.narratives.train_retrieval import TrainConfig, train_on_checkthat, write_card

    out = output or default_model_dir()
    cfg = TrainConfig(seed=seed)
    debates = debates or _default_debates(data_dir)
    try:
        model, figures, data_files = train_on_checkthat(data_dir, cfg, debates)
    except (OSError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    provenance = {"trained_on": "qrels_train.csv", "config": cfg.as_json(), "figures": figures, "data_sha256": data_files,
                  "command": f"cct-monitor narratives train-retrieval --seed {seed}"}
    if debates is not None:
        provenance["speakers_from"] = f"the `speaker` column of `{debates.name}`"
    sha = save(model, out, provenance)
    write_card(out, sha, provenance)
    click.echo(f"wrote {out} (sha256 {sha[:12]}); " + ", ".join(f"{k} {v:.3f}" for k, v in figures.items()))
