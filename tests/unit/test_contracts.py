"""The transcript-chunk contract: what is accepted, and the DLQ reason for everything that is not."""

from __future__ import annotations

import json

import jsonschema
import pytest

from monitor.contracts import InvalidChunk, chunk_json_schema, decode_chunk


def _raw(**fields: object) -> bytes:
    base = {"broadcast_id": "b1", "seq": 3, "text": "hello"}
    base.update(fields)
    return json.dumps({k: v for k, v in base.items() if v is not ...}).encode()


def test_full_chunk_is_decoded_and_unknown_fields_are_kept() -> None:
    chunk = decode_chunk(_raw(
        start_ms=1000, end_ms=4000, ts="2026-11-27T20:00:01.250Z", speaker={"id": "u1", "name": "Ana", "role": "host"},
        language="de", asr_confidence=0.93, is_final=True, audience={"listeners": 120000, "followers": 5},
        territories=["DE", "AT"], platform="live", title="Town hall", future_field={"x": 1},
    ))
    assert chunk.key == ("b1", 3)
    assert chunk.chunk_id == "b1#3"
    assert chunk.speaker.name == "Ana"
    assert chunk.audience.listeners == 120000
    assert chunk.ts.year == 2026
    assert chunk.model_extra == {"future_field": {"x": 1}}


def test_is_final_defaults_to_true() -> None:
    assert decode_chunk(_raw()).is_final is True


@pytest.mark.parametrize(
    ("raw", "reason", "detail_part"),
    [
        (b"\xff\xfe{}", "not_utf8", "byte 0"),
        (b"{not json", "not_json", "line 1"),
        (b"[1, 2]", "not_object", "list"),
        (_raw(text=...), "missing_field", "'text'"),
        (_raw(broadcast_id=...), "missing_field", "'broadcast_id'"),
        (_raw(seq="3"), "wrong_type", "'seq'"),
        (_raw(seq=1.5), "wrong_type", "'seq'"),
        (_raw(text=42), "wrong_type", "'text'"),
        (_raw(is_final="yes"), "wrong_type", "'is_final'"),
        (_raw(speaker="Ana"), "wrong_type", "'speaker'"),
        (_raw(seq=-1), "invalid_value", "'seq'"),
        (_raw(asr_confidence=1.5), "invalid_value", "'asr_confidence'"),
        (_raw(ts="yesterday"), "invalid_value", "'ts'"),
        (_raw(territories=["germany"]), "invalid_value", "'territories.0'"),
        (_raw(extra=[[[[]]]]).replace(b"[[[[]]]]", b"[" * 3000 + b"]" * 3000), "too_deep", "recursion limit"),
        (b'{"a":' * 3000 + b"1" + b"}" * 3000, "too_deep", "recursion limit"),
        (_raw(seq=7).replace(b'"seq": 7', b'"seq": ' + b"9" * 4301), "invalid_number", "number out of range"),
        (_raw(n=7).replace(b'"n": 7', b'"n": ' + b"1" * 9000), "invalid_number", "number out of range"),
        (_raw(text="a\ud800b"), "invalid_text", "'text': surrogates not allowed"),
        (_raw(speaker={"name": "\udfff"}), "invalid_text", "'speaker.name'"),
        (_raw(broadcast_id="b\udc00"), "invalid_text", "'broadcast_id'"),
        (_raw(seq=2**70), "out_of_range", "'seq'"),
        (_raw(end_ms=2**53 + 1), "out_of_range", "'end_ms'"),
    ],
)
def test_invalid_records_name_their_reason(raw: bytes, reason: str, detail_part: str) -> None:
    with pytest.raises(InvalidChunk) as info:
        decode_chunk(raw)
    assert info.value.reason == reason
    assert detail_part in info.value.detail


def test_size_limit_is_checked_before_parsing() -> None:
    raw = _raw(text="x" * 70_000)
    with pytest.raises(InvalidChunk) as info:
        decode_chunk(raw)
    assert info.value.reason == "too_large"
    assert decode_chunk(raw, max_bytes=100_000).text.startswith("x")


def test_exported_schema_is_current_and_agrees_with_the_decoder(repo_root) -> None:
    on_disk = json.loads((repo_root / "monitor" / "schemas" / "transcript_chunk.schema.json").read_text())
    assert on_disk == chunk_json_schema(), "regenerate monitor/schemas/transcript_chunk.schema.json"
    validator = jsonschema.Draft202012Validator(on_disk)
    assert validator.is_valid(json.loads(_raw(speaker={"name": "Ana"}, language="en")))
    assert not validator.is_valid(json.loads(_raw(seq="3")))
    assert not validator.is_valid({"broadcast_id": "b1", "seq": 1})


def test_escaped_surrogate_pairs_and_escaped_backslashes_are_valid_text() -> None:
    assert decode_chunk(_raw(text="a\U0001F600b")).text == "a\U0001F600b"  # json.dumps writes a surrogate pair
    assert decode_chunk(b'{"broadcast_id": "b", "seq": 1, "text": "a\\\\ud800"}').text == "a\\ud800"
    assert decode_chunk(_raw(seq=2**53)).seq == 2**53
