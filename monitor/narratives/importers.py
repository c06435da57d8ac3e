"""Import fact-checked claims into a narrative set.

Formats:
- `claimreview`: schema.org ClaimReview JSON-LD as fact-checkers publish it — one object, a list, or
  an object with `@graph`.
- `factcheck-api`: the JSON fact-check search APIs return, `{"claims": [{"text", "claimant",
  "claimDate", "claimReview": [{"publisher": {"name", "site"}, "url", "title", "reviewDate",
  "textualRating", "languageCode"}]}]}`; each review of a claim becomes one narrative.
- `vclaims`: verified claims as CSV or JSONL (the CheckThat! format: `vclaim_id`, `vclaim`, `title`,
  `url` or `page_url`, `truth_label`, `date`); relative URLs are resolved against `base_url`.

Only claims rated false or misleading (or a kin rating) are imported. Every record that cannot become a
narrative — missing claim text or URL, a true rating, malformed JSON — is reported as `file:line: reason`
and skipped; nothing is dropped silently.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlparse

from pydantic import ValidationError

from monitor.narratives.loader import vclaim_from_row
from monitor.narratives.model import FactCheck, Narrative, NarrativeSet
from monitor.rules_engine.loader import Problem

FORMATS = ("claimreview", "factcheck-api", "vclaims")

# Textual ratings (lower-case, accents kept) → narrative rating; checked in order, first match wins.
_RATING_RULES: tuple[tuple[str, str | None], ...] = (
    (r"pants on fire|pants-fire|ridiculous", "pants-fire"),
    (r"\b(mostly|largely) false\b|mostly-false|barely true|barely-true|mayormente falso|plutôt faux", "mostly-false"),
    (r"\bnot true\b|no es (cierto|verdad)|pas vrai|nicht wahr|non è vero", "false"),
    (r"half[ -]true|mixture|\bmixed\b|partly true|partially true|mostly true|mostly-true|\btrue\b|\bcorrect\b|"
     r"\baccurate\b|verdadero|\bvrai\b|\bwahr\b|\bvero\b|\bcierto\b|\bflip\b|no-flip|full-flop|half-flip", None),
    (r"misleading|engañoso|trompeur|irreführend|fuorviante|enganador|manipul", "misleading"),
    (r"missing context|lacks context|sin contexto|manque de contexte|fehlender kontext|out of context|"
     r"needs context", "missing-context"),
    (r"altered|manipulated media|doctored|fake image|montaje|photoshop", "altered"),
    (r"satire|satirical|sátira|satirique", "satire"),
    (r"unproven|unsupported|no evidence|unverified|sin pruebas|non prouvé|infondato", "unproven"),
    (r"\bfalse\b|\bfake\b|\bfalso\b|\bfalsa\b|\bfaux\b|\bfausse\b|\bfalsch\b|\bbulo\b|\bhoax\b|"
     r"\bincorrect\b|\bwrong\b|\bscam\b|\bbogus\b|\bdebunked\b|\bnepravda\b|\bfałsz\b|\bonwaar\b|\bincorreto\b", "false"),
)

_PUBLISHERS = {
    "politifact.com": "PolitiFact", "snopes.com": "Snopes", "fullfact.org": "Full Fact", "maldita.es": "Maldita",
    "newtral.es": "Newtral", "correctiv.org": "CORRECTIV", "pagellapolitica.it": "Pagella Politica",
    "factuel.afp.com": "AFP Factuel", "factcheck.afp.com": "AFP Fact Check", "demagog.org.pl": "Demagog",
}


def rating_of(text: str | None) -> str | None | bool:
    """The narrative rating of a textual rating; None for a true-ish rating; False when unrecognised."""
    if not text:
        return False
    lowered = text.casefold()
    for pattern, rating in _RATING_RULES:
        if re.search(pattern, lowered):
            return rating
    return False


def publisher_of(url: str) -> str:
    """A publisher name from a fact-check URL's host."""
    host = (urlparse(url).hostname or "").removeprefix("www.")
    for known, name in _PUBLISHERS.items():
        if host == known or host.endswith("." + known):
            return name
    return host


def narrative_id(url: str, claim: str) -> str:
    """A stable id: the publisher's host and a hash of the fact-check URL and claim."""
    host = re.sub(r"[^a-z0-9]+", "-", (urlparse(url).hostname or "factcheck").removeprefix("www.").lower()).strip("-")
    digest = hashlib.sha256(f"{url}\x1f{claim}".encode()).hexdigest()[:10]
    return f"{host[:60] or 'factcheck'}-{digest}"


def _date(value: Any) -> dt.date | None:
    if not isinstance(value, str) or not value.strip():
        return None
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})", value.strip())
    if not match:
        return None
    try:
        return dt.date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


def _lang(value: Any) -> str | None:
    if isinstance(value, str) and re.match(r"^[A-Za-z]{2}([-_].*)?$", value.strip()):
        return value.strip()[:2].lower()
    return None


@dataclass
class ImportResult:
    """Narratives made from the input and every record skipped, with where and why."""

    narratives: list[Narrative] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def add(self, file: str, line: int, made: Narrative | str) -> None:
        if isinstance(made, str):
            self.problems.append(Problem(file, line, made))
        elif any(n.id == made.id for n in self.narratives):
            self.problems.append(Problem(file, line, f"duplicate of narrative {made.id} (same URL and claim)"))
        else:
            self.narratives.append(made)


def make_narrative(claim: Any, url: Any, textual_rating: Any, publisher: Any = None, date: Any = None,
                   language: Any = None, title: Any = None, nid: str | None = None) -> Narrative | str:
    """A narrative from one fact-checked claim, or the reason it cannot be one."""
    if not isinstance(claim, str) or not claim.strip():
        return "no claim text"
    if not isinstance(url, str) or not url.strip():
        return "no fact-check URL"
    url = url.strip()
    if not url.startswith(("http://", "https://")):
        return f"fact-check URL '{url}' is not absolute"
    rating = rating_of(textual_rating if isinstance(textual_rating, str) else None)
    if rating is None:
        return f"rated '{textual_rating}': not a false or misleading claim"
    if rating is False:
        return f"unrecognised rating {textual_rating!r}" if textual_rating else "no rating"
    name = publisher.strip() if isinstance(publisher, str) and publisher.strip() else publisher_of(url)
    lang = _lang(language)
    try:
        return Narrative(
            id=nid or narrative_id(url, claim.strip()), claim=" ".join(claim.split()), rating=rating,
            factcheck=FactCheck(url=url, publisher=name, date=_date(date), language=lang,
                                title=title.strip() if isinstance(title, str) and title.strip() else None),
            languages=[lang] if lang else [],
        )
    except ValidationError as exc:
        return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _array_at(text: str, start: int) -> Iterator[tuple[int, Any]]:
    """(offset, value) of each element of the JSON array whose '[' is at `start`."""
    decoder = json.JSONDecoder()
    pos = start + 1
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text) or text[pos] == "]":
            return
        value, end = decoder.raw_decode(text, pos)
        yield pos, value
        pos = end


def _records(text: str, key: str | None) -> Iterator[tuple[int, Any]]:
    """Top-level records with their offsets: the array itself, the array under `key`, or the one object."""
    stripped = len(text) - len(text.lstrip())
    if text[stripped:stripped + 1] == "[":
        yield from _array_at(text, stripped)
        return
    if key is not None:
        found = re.search(r'"' + re.escape(key) + r'"\s*:\s*\[', text)
        if found:
            yield from _array_at(text, found.end() - 1)
            return
    yield stripped, json.loads(text)


def _text_of(node: Any) -> str | None:
    if isinstance(node, str):
        return node
    if isinstance(node, dict):
        for key in ("name", "alternateName", "headline"):
            if isinstance(node.get(key), str):
                return node[key]
    return None


def _parsed(text: str, key: str, file: str) -> tuple[ImportResult, list[tuple[int, Any]]]:
    """A fresh result and the JSON records of `text` (none, and the problem noted, when it is not JSON)."""
    result = ImportResult()
    try:
        return result, list(_records(text, key))
    except json.JSONDecodeError as exc:
        result.problems.append(Problem(file, exc.lineno, f"not JSON: {exc.msg}"))
        return result, []


def from_claimreview(text: str, file: str) -> ImportResult:
    """Narratives from ClaimReview JSON-LD (one object, a list, or `@graph`)."""
    result, records = _parsed(text, "@graph", file)
    for offset, rec in records:
        line = _line(text, offset)
        if isinstance(rec, dict) and "@graph" in rec and isinstance(rec["@graph"], list):
            for item in rec["@graph"]:
                result.add(file, line, _claimreview(item))
            continue
        result.add(file, line, _claimreview(rec))
    return result


def _claimreview(rec: Any) -> Narrative | str:
    if not isinstance(rec, dict):
        return "a ClaimReview must be a JSON object"
    kind = rec.get("@type")
    if kind != "ClaimReview" and not (isinstance(kind, list) and "ClaimReview" in kind):
        return f"@type is {kind!r}, not 'ClaimReview'"
    rating = rec.get("reviewRating") if isinstance(rec.get("reviewRating"), dict) else {}
    author = rec.get("author")
    if isinstance(author, list):
        author = author[0] if author else None
    return make_narrative(rec.get("claimReviewed"), rec.get("url"), rating.get("alternateName") or rating.get("name"),
                          _text_of(author), rec.get("datePublished"), rec.get("inLanguage"), rec.get("headline"))


def from_factcheck_api(text: str, file: str) -> ImportResult:
    """Narratives from fact-check search API JSON (`claims` with `claimReview` entries)."""
    result, records = _parsed(text, "claims", file)
    for offset, claim in records:
        line = _line(text, offset)
        if not isinstance(claim, dict):
            result.add(file, line, "a claim must be a JSON object")
            continue
        reviews = claim.get("claimReview")
        if not isinstance(reviews, list) or not reviews:
            result.add(file, line, "claim has no claimReview")
            continue
        for review in reviews:
            if not isinstance(review, dict):
                result.add(file, line, "a claimReview must be a JSON object")
                continue
            result.add(file, line, make_narrative(
                claim.get("text"), review.get("url"), review.get("textualRating"), _text_of(review.get("publisher")),
                review.get("reviewDate"), review.get("languageCode"), review.get("title")))
    return result


def from_vclaims(text: str, file: str, base_url: str | None = None, default_rating: str | None = None) -> ImportResult:
    """Narratives from verified claims, CSV (header row) or JSONL; `default_rating` for rows without one."""
    result = ImportResult()
    rows: list[tuple[int, Any]] = []
    if file.endswith(".csv"):
        reader = csv.DictReader(io.StringIO(text))
        rows = [(reader.line_num, row) for row in reader]
    else:
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                rows.append((n, json.loads(line)))
            except json.JSONDecodeError as exc:
                result.add(file, n, f"not JSON: {exc.msg}")
    for n, row in rows:
        claim = vclaim_from_row(row)
        if isinstance(claim, str):
            result.add(file, n, claim)
            continue
        url = claim.url
        if url and base_url and not url.startswith(("http://", "https://")):
            url = urljoin(base_url, url)
        rating = claim.rating or default_rating
        nid = re.sub(r"[^a-z0-9._-]+", "-", claim.id.lower()).strip("-.")[:120]
        result.add(file, n, make_narrative(claim.claim, url, rating, None, claim.date, None, claim.title,
                                           nid if len(nid) >= 2 else None))
    return result


def detect_format(text: str, file: str) -> str:
    """`vclaims` for CSV/JSONL files, `factcheck-api` for JSON with `claims`, else `claimreview`."""
    if file.endswith((".csv", ".jsonl")):
        return "vclaims"
    head = text.lstrip()[:4000]
    return "factcheck-api" if re.search(r'"claims"\s*:\s*\[', head) else "claimreview"


def import_files(paths: list[Path], fmt: str = "auto", base_url: str | None = None,
                 default_rating: str | None = None) -> ImportResult:
    """Every narrative the files give, and every record skipped."""
    total = ImportResult()
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            total.problems.append(Problem(str(path), 1, f"cannot read: {exc}"))
            continue
        kind = detect_format(text, str(path)) if fmt == "auto" else fmt
        if kind == "claimreview":
            part = from_claimreview(text, str(path))
        elif kind == "factcheck-api":
            part = from_factcheck_api(text, str(path))
        else:
            part = from_vclaims(text, str(path), base_url, default_rating)
        total.problems += part.problems
        for n in part.narratives:
            if any(m.id == n.id for m in total.narratives):
                total.problems.append(Problem(str(path), 1, f"duplicate of narrative {n.id} (same URL and claim)"))
            else:
                total.narratives.append(n)
    total.problems.sort()
    return total


def as_set(narratives: list[Narrative], set_id: str, title: str, owner: str, version: str = "1.0.0",
           updated: dt.date | None = None) -> NarrativeSet:
    """A narrative set holding `narratives`."""
    return NarrativeSet(id=set_id, version=version, title=title, owner=owner, updated=updated or dt.date.today(),
                        narratives=narratives)


def set_yaml(narrative_set: NarrativeSet) -> str:
    """The set as YAML (safe dumper, keys in model order, unset optional fields left out)."""
    import yaml

    data = narrative_set.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    data.setdefault("narratives", [])
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)
