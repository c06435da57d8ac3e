"""Redaction of long transcripts: every e-mail address found, nothing else touched, in linear time."""

from __future__ import annotations

from monitor.sor.redact import CONTACT, redact


def test_a_16k_character_transcript_with_hostile_runs_is_redacted_correctly() -> None:
    filler = "the count went on into the night and nothing was rigged " * 60
    dotted = "a." * 2000 + "a"   # a run of e-mail characters without '@': once quadratic to scan
    dashed = "x@" + "b-" * 1500 + "b"  # an '@' followed by a long dashed name without a dot: not an address
    text = " ".join([
        filler, "write to jo.doe+tips@example.org today.", dotted, filler,
        "or ana_k@sub.mail-host.eu,", dashed, filler, "...ops@newsroom.example!",
    ])
    assert len(text) >= 16_000
    out = redact(text, [])
    assert out.count(CONTACT) == 3
    assert "jo.doe" not in out and "ana_k" not in out and "ops@" not in out
    assert f"write to {CONTACT} today." in out
    assert f"or {CONTACT}," in out
    assert out.endswith(f"{CONTACT}!")
    assert dotted in out and dashed in out, "runs that are not addresses stay as they were"
    assert out.count(filler) == 3
