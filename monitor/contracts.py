"""The transcript-chunk contract (see DESIGN.md) and its strict decoder.

A chunk is one JSON object per Kafka record. `decode_chunk` turns raw bytes into a
`TranscriptChunk` or raises `InvalidChunk` with a machine-readable reason that the
dead-letter path puts in the record headers.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError

DEFAULT_MAX_BYTES = 64 * 1024
MAX_SAFE_INT = 2**53  # the largest integer every JSON consumer (JavaScript included) represents exactly

NonNegInt = Annotated[StrictInt, Field(ge=0, le=MAX_SAFE_INT)]


class Speaker(BaseModel):
    """Who is talking: a platform account id, a display name and a role (host, guest, caller...)."""

    model_config = ConfigDict(extra="allow", frozen=True)
    id: StrictStr | None = None
    name: StrictStr | None = None
    role: StrictStr | None = None


class Audience(BaseModel):
    """Reach of the broadcast when the chunk was emitted."""

    model_config = ConfigDict(extra="allow", frozen=True)
    listeners: NonNegInt | None = None
    followers: NonNegInt | None = None


class TranscriptChunk(BaseModel):
    """One ASR transcript chunk of a live broadcast. Unknown fields are kept and ignored."""

    model_config = ConfigDict(extra="allow", frozen=True)

    broadcast_id: Annotated[StrictStr, Field(min_length=1, max_length=256)]
    seq: NonNegInt
    text: StrictStr
    start_ms: NonNegInt | None = None
    end_ms: NonNegInt | None = None
    ts: datetime | None = Field(default=None, description="RFC 3339 time the chunk was emitted")
    speaker: Speaker | None = None
    language: Annotated[StrictStr, Field(pattern=r"^[a-z]{2}$")] | None = Field(
        default=None, description="ISO 639-1 code"
    )
    asr_confidence: Annotated[float, Field(ge=0.0, le=1.0, strict=False)] | None = None
    is_final: StrictBool = True
    audience: Audience | None = None
    territories: list[Annotated[StrictStr, Field(pattern=r"^[A-Z]{2}$")]] | None = Field(
        default=None, description="ISO 3166-1 alpha-2 codes"
    )
    platform: StrictStr | None = None
    title: StrictStr | None = None

    @property
    def key(self) -> tuple[str, int]:
        """The identity of a chunk: (broadcast_id, seq)."""
        return (self.broadcast_id, self.seq)

    @property
    def chunk_id(self) -> str:
        """A stable printable id, `broadcast_id#seq`."""
        return f"{self.broadcast_id}#{self.seq}"

    @property
    def speaker_record(self) -> dict[str, Any] | None:
        """The speaker as the plain mapping decisions and alerts carry (unset fields left out), or None."""
        return self.speaker.model_dump(exclude_none=True) if self.speaker else None


def speech_time_ms(chunk: TranscriptChunk) -> float | None:
    """The chunk's position in time, in ms: end_ms, else start_ms, else ts; None when it carries none."""
    if chunk.end_ms is not None:
        return float(chunk.end_ms)
    if chunk.start_ms is not None:
        return float(chunk.start_ms)
    if chunk.ts is not None:
        return chunk.ts.timestamp() * 1000.0
    return None


class InvalidChunk(ValueError):
    """A record that breaks the contract. `reason` is one of REASONS; `detail` is for people."""

    REASONS = (
        "too_large", "not_utf8", "not_json", "too_deep", "invalid_number", "invalid_text", "not_object",
        "missing_field", "wrong_type", "out_of_range", "invalid_value", "decode_error", "processing_error",
    )

    def __init__(self, reason: str, detail: str) -> None:
        assert reason in self.REASONS, reason
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


_MISSING = {"missing"}
# A `\uD800`..`\uDFFF` escape: the only way valid UTF-8 JSON can carry a string that is not encodable text.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_TYPE_ERRORS = {
    "string_type", "int_type", "bool_type", "float_type", "list_type", "model_type", "dict_type",
    "model_attributes_type", "datetime_type", "int_from_float", "float_parsing", "int_parsing",
}


def decode_chunk(raw: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> TranscriptChunk:
    """Decode and validate one record value; raise InvalidChunk naming the first problem.

    Valid records take a single pass (pydantic parses and validates the bytes directly); only a record
    that fails it goes through `json.loads` + `model_validate`, which classify the failure. Strings are
    checked to be encodable text (no lone surrogate escapes) here, so no later stage meets one.
    """
    if raw is None:
        raise InvalidChunk("not_json", "record has no value (tombstone)")
    if len(raw) > max_bytes:
        raise InvalidChunk("too_large", f"{len(raw)} bytes exceeds the limit of {max_bytes}")
    try:
        chunk = TranscriptChunk.model_validate_json(raw)
    except ValidationError as exc:
        _raise_for_json_error(exc)
    else:
        if _SURROGATE_ESCAPE.search(raw):
            _check_text(chunk.model_dump(), "")
        return chunk
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidChunk("not_utf8", f"invalid UTF-8 at byte {exc.start}") from None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidChunk("not_json", f"{exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise InvalidChunk("too_deep", "JSON nesting exceeds the parser's depth limit") from None
    except ValueError as exc:  # e.g. an integer literal longer than Python's int conversion limit
        raise InvalidChunk("invalid_number", str(exc)[:200]) from None
    return chunk_from_obj(obj)


def _raise_for_json_error(exc: ValidationError) -> None:
    """Name the reason of a parse failure the strict path can classify alone (nesting, numbers)."""
    err = exc.errors()[0]
    if err["type"] != "json_invalid":
        return
    message = str(err.get("ctx", {}).get("error", err["msg"]))
    if "recursion limit" in message:
        raise InvalidChunk("too_deep", message) from None
    if "number out of range" in message:
        raise InvalidChunk("invalid_number", message) from None


def _check_text(value: Any, where: str) -> None:
    """Raise invalid_text where a string (or key) of `value` cannot be encoded as UTF-8."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InvalidChunk("invalid_text", f"field '{where or '<root>'}': {exc.reason} at character {exc.start}") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, where)
            _check_text(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_text(item, f"{where}.{i}")


def chunk_from_obj(obj: Any) -> TranscriptChunk:
    """Validate an already-parsed JSON value as a chunk."""
    if not isinstance(obj, dict):
        raise InvalidChunk("not_object", f"expected a JSON object, got {type(obj).__name__}")
    try:
        chunk = TranscriptChunk.model_validate(obj)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "<root>"
        if err["type"] in _MISSING:
            raise InvalidChunk("missing_field", f"required field '{where}' is missing") from None
        if err["type"] == "string_unicode":
            reason = "invalid_text"
        elif err["type"] in _TYPE_ERRORS:
            reason = "wrong_type"
        elif err["type"] == "less_than_equal" and err.get("ctx", {}).get("le") == MAX_SAFE_INT:
            reason = "out_of_range"
        else:
            reason = "invalid_value"
        raise InvalidChunk(reason, f"field '{where}': {err['msg']}") from None
    _check_text(obj, "")
    return chunk


def chunk_json_schema() -> dict[str, Any]:
    """The JSON Schema producers can validate against (draft 2020-12)."""
    schema = TranscriptChunk.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://cct-tracking.invalid/schemas/transcript_chunk.schema.json"
    schema["title"] = "cct-tracking transcript chunk"
    schema["description"] = "One ASR transcript chunk of a live broadcast; one JSON object per Kafka record (UTF-8, at most 64 KiB)."
    return schema
