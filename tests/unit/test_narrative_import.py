"""Importers: schema.org ClaimReview, fact-check search API JSON and verified claims (CheckThat! format), on
real-shaped samples with malformed records, which are reported as file:line: reason and skipped."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner

from monitor.cli import cli
from monitor.narratives.importers import import_files, rating_of
from monitor.narratives.loader import load_set_text

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "narratives"


def _problems(result) -> list[str]:
    return [f"{Path(p.file).name}:{p.line}: {p.reason}" for p in result.problems]


def test_claimreview_list_imports_false_and_misleading_and_reports_the_rest_by_line() -> None:
    result = import_files([FIXTURES / "claimreview_list.json"])
    got = {n.claim: (n.rating, str(n.factcheck.url), n.factcheck.publisher, n.factcheck.language) for n in result.narratives}
    assert got == {
        "Pencils are used in polling booths so that votes can be erased and changed afterwards.":
            ("false", "https://factcheck.example.org/2024/06/pencil-ballots", "Example Fact Check", "en"),
        "Ballot papers with a hole punched in the corner are invalid.":
            ("misleading", "https://factcheck.example.org/2024/06/holes", "Example Fact Check", "de"),
    }
    assert _problems(result) == [
        "claimreview_list.json:13: rated 'True': not a false or misleading claim",
        "claimreview_list.json:22: no fact-check URL",
        "claimreview_list.json:30: @type is 'NewsArticle', not 'ClaimReview'",
    ]


def test_single_claimreview_object() -> None:
    result = import_files([FIXTURES / "claimreview_single.json"])
    [narrative] = result.narratives
    assert narrative.rating == "false" and narrative.factcheck.publisher == "PolitiFact"
    assert str(narrative.factcheck.url).startswith("https://www.politifact.com/factchecks/2020/jan/30/")
    assert result.problems == []


def test_factcheck_api_each_false_review_becomes_a_narrative() -> None:
    result = import_files([FIXTURES / "factcheck_api.json"])
    assert sorted((n.rating, n.factcheck.publisher, n.factcheck.date.isoformat()) for n in result.narratives) == [
        ("false", "Maldita.es", "2023-07-25"), ("pants-fire", "PolitiFact", "2020-12-22")]
    assert _problems(result) == ["factcheck_api.json:3: rated 'Half True': not a false or misleading claim",
                                 "factcheck_api.json:24: claim has no claimReview"]


def test_vclaims_jsonl_resolves_relative_urls_and_reports_malformed_lines() -> None:
    result = import_files([FIXTURES / "vclaims.jsonl"], base_url="https://www.politifact.com")
    assert {n.id: str(n.factcheck.url) for n in result.narratives} == {
        "vclaim-pol-18461": "https://www.politifact.com/factchecks/2020/nov/05/facebook-posts/despite-sharpiegate-no-evidence-plot-use-pens-canc/",
        "vclaim-pol-18452": "https://www.politifact.com/factchecks/2020/nov/04/tweets/no-wisconsin-doesnt-have-more-ballots-cast-registe/",
        "vclaim-pol-17664": "https://www.politifact.com/factchecks/2020/jan/30/tweets/no-drinking-bleach-will-not-ward-corona/",
    }
    assert _problems(result) == [
        "vclaims.jsonl:3: rated 'true': not a false or misleading claim",
        "vclaims.jsonl:4: claim vclaim-pol-00002: missing 'vclaim' text",
        "vclaims.jsonl:6: not JSON: Expecting ',' delimiter",
        "vclaims.jsonl:7: no rating",
    ]


def test_vclaims_without_base_url_are_reported_not_guessed() -> None:
    result = import_files([FIXTURES / "vclaims.jsonl"])
    assert [n.id for n in result.narratives] == []
    assert "vclaims.jsonl:1: fact-check URL '/factchecks/2020/nov/05/facebook-posts/despite-sharpiegate-no-evidence-plot-use-pens-canc/' is not absolute" in _problems(result)


def test_vclaims_default_rating_for_unrated_lists() -> None:
    result = import_files([FIXTURES / "vclaims.jsonl"], base_url="https://www.politifact.com", default_rating="false")
    flat = next(n for n in result.narratives if n.id == "vclaim-sno-flat-earth")
    assert flat.factcheck.publisher == "Snopes" and flat.rating == "false"


def test_vclaims_csv() -> None:
    result = import_files([FIXTURES / "vclaims.csv"])
    assert [n.id for n in result.narratives] == ["vc-1"]
    assert _problems(result) == ["vclaims.csv:3: claim vc-2: missing 'vclaim' text",
                                 "vclaims.csv:4: rated 'mostly-true': not a false or misleading claim"]


def test_textual_ratings_in_several_languages() -> None:
    assert [rating_of(t) for t in ("False", "Pants on Fire!", "Mostly False", "Falso", "Faux", "Engañoso",
                                   "Missing context", "Not true", "Half True", "True", "Vrai", "???")] == [
        "false", "pants-fire", "mostly-false", "false", "false", "misleading", "missing-context", "false",
        None, None, None, False]


def test_import_command_writes_a_valid_set_and_reports_skips(tmp_path: Path) -> None:
    out = tmp_path / "imported.yaml"
    result = CliRunner().invoke(cli, ["narratives", "import", str(FIXTURES / "claimreview_list.json"),
                                      str(FIXTURES / "factcheck_api.json"), "--set-id", "imported-checks",
                                      "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "imported 4 narratives, skipped 5 record(s)" in result.output
    assert "skipped " in result.output and "claimreview_list.json:22: no fact-check URL" in result.output
    loaded, problems = load_set_text(out.read_text(encoding="utf-8"), str(out))
    assert problems == [] and loaded is not None
    assert loaded.set.id == "imported-checks" and len(loaded.set.narratives) == 4
    assert yaml.safe_load(out.read_text(encoding="utf-8"))["narratives"][0]["factcheck"]["url"].startswith("https://")


def test_import_command_fails_when_nothing_imports(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    result = CliRunner().invoke(cli, ["narratives", "import", str(bad), "--set-id", "x-set"])
    assert result.exit_code != 0
    assert "bad.json:1: not JSON" in result.output
