"""Language identification per broadcast window, routing of unsupported languages, and rules' `languages:`."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from monitor.contracts import TranscriptChunk
from monitor.language import EU_LANGUAGES, LanguageRouter, default_detector, rule_applies
from monitor.rules_engine.loader import load_rule_sets
from monitor.stages import SourceRecord, WorkItem

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "languages"


def _samples() -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for name in ("spoken.tsv", "eu_other.tsv"):
        for line in (FIXTURES / name).read_text(encoding="utf-8").splitlines():
            lang, text = line.split("\t", 1)
            out[lang].append(text)
    return out


class CountingDetector:
    """The real py3langid detector, recording every text it is asked about."""

    def __init__(self) -> None:
        self.inner = default_detector()
        self.texts: list[str] = []

    def detect(self, text: str) -> tuple[str, float] | None:
        self.texts.append(text)
        return self.inner.detect(text)


def _items(broadcast: str, texts: list[str], start: int = 0, language: str | None = None) -> list[WorkItem]:
    chunks = [TranscriptChunk(broadcast_id=broadcast, seq=start + i, text=t, language=language)
              for i, t in enumerate(texts)]
    return [WorkItem(c, SourceRecord("t", 0, c.seq, None, None), chunks[max(0, i - 2):i]) for i, c in enumerate(chunks)]


@pytest.mark.parametrize("language", EU_LANGUAGES)
def test_every_window_of_spoken_sentences_is_identified(language: str) -> None:
    texts = _samples()[language]
    router = LanguageRouter(("en",), detector=CountingDetector())
    for start in range(0, len(texts), 3):
        items = _items(f"b-{language}-{start}", texts[start:start + 3], start)
        router.route(items)
        assert {i.language for i in items} == {language}, texts[start:start + 3]
        assert {i.language_source for i in items} == {"detected"}


def test_a_short_fragment_takes_its_window_language_in_one_call_per_broadcast() -> None:
    detector = CountingDetector()
    router = LanguageRouter(("en",), detector=detector)
    german = _items("de-show", ["also ich hab gehört die Stimmen werden heute Nacht ausgezählt", "ja", "okay super"])
    english = _items("en-show", ["okay let's go to the phones, who's next", "ja", "super"])
    router.route([*german, *english])
    assert [i.language for i in german] == ["de", "de", "de"], "'ja' and 'okay super' alone are not German enough"
    assert [i.language for i in english] == ["en", "en", "en"]
    assert len(detector.texts) == 2, "one detector call per broadcast per batch, not per fragment"
    later = _items("de-show", ["ja"], start=3)
    router.route(later)
    assert (later[0].language, later[0].language_source) == ("de", "broadcast"), "too short to call: the broadcast's last"
    assert len(detector.texts) == 2


def test_a_declared_language_is_trusted_and_not_detected() -> None:
    detector = CountingDetector()
    router = LanguageRouter(("en",), detector=detector)
    items = _items("b", ["die Stimmen werden heute Nacht ausgezählt"], language="en")
    router.route(items)
    assert (items[0].language, items[0].language_source, items[0].unsupported_language) == ("en", "chunk", None)
    assert detector.texts == []


def test_unsupported_languages_are_marked_and_supported_ones_are_not() -> None:
    router = LanguageRouter(("en", "de"), detector=CountingDetector())
    items = [*_items("fr", ["franchement plus personne ne croit à ça"]), *_items("de", ["das ist gut so"], language="de")]
    router.route(items)
    assert [(i.language, i.unsupported_language) for i in items] == [("fr", "fr"), ("de", None)]


def test_without_a_classifier_only_declared_languages_are_used() -> None:
    detector = CountingDetector()
    router = LanguageRouter(None, detector=detector)
    items = [*_items("a", ["franchement plus personne ne croit à ça"]), *_items("b", ["hola"], language="es")]
    router.route(items)
    assert [(i.language, i.unsupported_language) for i in items] == [(None, None), ("es", None)]
    assert detector.texts == []


@pytest.mark.parametrize(("rule_languages", "language", "supported", "applies"), [
    (None, "en", ("en",), True),
    (None, "de", ("en",), False),      # a rule written for the model's languages does not read German
    (None, None, ("en",), True),       # undetermined: scored as the model's own
    (None, "de", None, True),          # no classifier: every language
    (["de"], "de", ("en",), True),     # declared for German: runs on German
    (["de"], "en", ("en",), False),
    (["de"], None, ("en",), False),    # declared languages need the language known
])
def test_rule_applies(rule_languages: list[str] | None, language: str | None, supported: tuple[str, ...] | None,
                      applies: bool) -> None:
    assert rule_applies(rule_languages, language, supported) is applies


def test_the_validator_rejects_an_unknown_language_code(tmp_path: Path) -> None:
    text = (Path(__file__).resolve().parents[1] / "fixtures" / "rules" / "languages.yaml").read_text(encoding="utf-8")
    path = tmp_path / "bad.yaml"
    path.write_text(text.replace("languages: [de]", "languages: [de, xx]"), encoding="utf-8")
    problems = [str(p) for p in load_rule_sets([str(path)]).problems]
    line = text.splitlines().index("    languages: [de]") + 1
    assert problems == [f"{path}:{line}: rule 'lang.betrug-keyword': languages[1]: unknown language (ISO 639-1) 'xx'"]
