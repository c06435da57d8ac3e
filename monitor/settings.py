"""One typed settings model for the whole monitor.

Precedence, lowest to highest: defaults < YAML file (`--config`) < environment (`CCT_…`,
nested with `__`, e.g. `CCT_KAFKA__BOOTSTRAP_SERVERS`) < command-line flags.
Secrets are `SecretStr`: they never print in logs or in `cct-monitor config show`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from monitor.alert import Severity

ENV_PREFIX = "CCT_"
ENV_DELIMITER = "__"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class KafkaSettings(_Section):
    """Broker connection, topics and consumer-group behaviour."""

    bootstrap_servers: str = "127.0.0.1:9092"
    client_id: str = "cct-monitor"
    group_id: str = "cct-monitor"
    group_instance_id: str | None = Field(
        default=None, description="static membership id: a restarted replica keeps its partitions without a rebalance"
    )
    input_topic: str = "transcripts"
    dlq_topic: str = "transcripts.dlq"
    alerts_topic: str = "compliance.alerts"
    reviews_topic: str = "compliance.reviews"
    auto_offset_reset: Literal["earliest", "latest"] = "earliest"
    max_poll_records: int = Field(default=256, ge=1)
    max_poll_interval_ms: int = Field(default=300_000, ge=10_000)
    session_timeout_ms: int = Field(default=30_000, ge=6_000)
    heartbeat_interval_ms: int = Field(default=3_000, ge=500)
    poll_timeout_ms: int = Field(default=500, ge=1)
    partition_assignment: Literal["range", "roundrobin", "cooperative-sticky"] = "cooperative-sticky"
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    ssl_password: SecretStr | None = None
    ssl_check_hostname: bool = True
    reconnect_backoff_max_s: float = Field(
        default=2.0, gt=0, description="cap of the reconnect backoff: consumption resumes within seconds of the broker's return"
    )


class PipelineSettings(_Section):
    """Per-broadcast state and validation limits."""

    max_record_bytes: int = Field(default=64 * 1024, ge=256)
    window_seconds: float = Field(default=600.0, gt=0, description="rolling window of speech kept per broadcast")
    window_max_chunks: int = Field(default=256, ge=1, description="hard cap on chunks kept per broadcast window")
    context_chunks: int = Field(default=2, ge=0, description="previous chunks handed to the classifier as context")
    max_broadcasts: int = Field(default=10_000, ge=1, description="broadcast states kept; the least recently active is evicted")
    dedupe_seqs: int = Field(default=4096, ge=16, description="recent seqs remembered per broadcast to drop duplicates")
    rebuild_on_assignment: bool = Field(
        default=True, description="re-read the last window_seconds of newly assigned partitions into the per-broadcast state"
    )
    heap_trim_interval_s: float = Field(
        default=5.0, ge=0, description="return freed heap memory to the OS at most this often (glibc malloc_trim; 0 disables)"
    )
    malloc_arenas: int = Field(
        default=2, ge=0, description="cap on glibc malloc arenas, set when `run` starts (fewer per-thread heaps; 0: glibc default)"
    )


class ClassifierSettings(_Section):
    """The transformer encoder and its label heads."""

    enabled: bool = True
    engine: Literal["auto", "torch", "onnx"] = Field(
        default="auto",
        description="'onnx': the exported int8 graph on ONNX Runtime (CPU, no torch in the process); 'torch': the "
        "Hugging Face model in torch (training, CUDA, the fp32 reference); 'auto': onnx on CPU when an export "
        "exists (cct-monitor model export), else torch",
    )
    onnx_dir: Path | None = Field(default=None, description="the ONNX export directory; default: the bundled models/onnx")
    model: str = Field(default="default", description="'default' (packaged all-MiniLM-L6-v2), a local path or a hub id")
    heads_dir: Path | None = Field(default=None, description="directory of trained heads; default: the bundled models/")
    models_dir: Path | None = Field(default=None, description="models directory with a manifest.json; default: the bundled models/")
    device: str = "cpu"
    threads: int | None = Field(default=None, ge=1)
    max_batch_size: int = Field(default=64, ge=1)
    max_wait_ms: float = Field(default=20.0, ge=0)
    max_tokens: int = Field(default=128, ge=16)
    embedding_cache_mb: float = Field(
        default=36.0, gt=0, description="memory of each engine's embedding LRU (the English engine's 2,304-dim vectors: "
        "4,096 texts, twice the previous chunks of ~2,000 broadcasts); at most 8,192 texts",
    )
    quantize_int8: bool = False
    offline: bool = True
    # issue 15: non-English EU chunks → the multilingual engine (monitor/multilingual/routing.py)
    multilingual: Literal["auto", "on", "off"] = Field(
        default="auto",
        description="'auto': route supported non-English EU chunks to the multilingual engine when it is built "
        "(cct-monitor model export-multilingual) and verifies, else leave them unsupported; 'on': require it; 'off'",
    )
    multilingual_onnx_dir: Path | None = Field(default=None, description="default: the bundled models/onnx-multilingual")
    multilingual_models_dir: Path | None = Field(default=None, description="default: the bundled models/multilingual")


class RulesSettings(_Section):
    """Rule files and hot reload."""

    paths: Annotated[list[Path], NoDecode] = Field(
        default_factory=lambda: [Path("rules")],
        description="rule files or directories; in the environment a JSON list or comma-separated paths",
    )
    watch: bool = True
    watch_interval_s: float = Field(default=2.0, gt=0)


    @field_validator("paths", mode="before")
    @classmethod
    def _split_paths(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            return json.loads(text) if text.startswith("[") else [p.strip() for p in text.split(",") if p.strip()]
        return value


class OutputSettings(_Section):
    """Where per-chunk decisions go when no other sink is configured."""

    decisions_path: str = Field(default="-", description="JSONL file for decision records; '-' is stdout, '' disables")
    format: Literal["jsonl", "pretty"] = "jsonl"


class MetricsSettings(_Section):
    """The /metrics endpoint."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=9464, ge=0, le=65535)


class AlertChannelSettings(_Section):
    """One alert channel: where alerts go, which ones, and how hard to try."""

    type: Literal["kafka", "jsonl", "webhook", "alertmanager", "console"]
    name: str | None = Field(default=None, description="unique channel name; default: the type")
    min_severity: Severity = "info"
    rules: list[str] = Field(default_factory=list, description="rule id globs this channel takes; empty: all")
    categories: list[str] = Field(default_factory=list, description="DSA categories this channel takes; empty: all")
    url: str | None = Field(default=None, description="webhook URL or Alertmanager base URL")
    secret: SecretStr | None = Field(default=None, description="HMAC-SHA256 key for webhook signatures")
    secret_file: Path | None = Field(default=None, description="file holding the HMAC key (e.g. a mounted Kubernetes secret)")
    slack: bool = Field(default=False, description="send a Slack-compatible payload (text + blocks)")
    link: str | None = Field(default=None, description="link template, e.g. https://review.example/alerts/{alert_id}")
    topic: str | None = Field(default=None, description="Kafka alerts topic; default: kafka.alerts_topic")
    path: str | None = Field(default=None, description="JSONL file path")
    timeout_s: float = Field(default=5.0, gt=0)
    queue_size: int = Field(default=1000, ge=1)
    retry_base_s: float = Field(default=0.5, gt=0)
    retry_max_s: float = Field(default=30.0, gt=0)
    breaker_failures: int = Field(default=5, ge=1)
    breaker_reset_s: float = Field(default=10.0, gt=0, description="seconds an open circuit waits before a probe")

    @property
    def channel_name(self) -> str:
        return self.name or self.type


class AlertsSettings(_Section):
    """Alert channels. Default: the Kafka alerts topic when the source is Kafka, plus the console."""

    channels: list[AlertChannelSettings] | None = None
    cooldown_s: float = Field(default=300.0, gt=0, description="Alertmanager endsAt when an alert carries no cooldown")
    drain_timeout_s: float = Field(default=10.0, ge=0, description="time best-effort channels get to empty at shutdown")


class AuditSettings(_Section):
    """The hash-chained decision log (monitor.audit)."""

    path: str = Field(default="", description="decision-log directory; '' disables the log")
    rotate_bytes: int = Field(default=64 * 1024 * 1024, ge=1024, description="start a new numbered file past this size")
    fsync: Literal["always", "batch", "never"] = Field(
        default="batch", description="always: every record; batch: once per batch, before offsets are committed; never"
    )
    text_retention: str = Field(
        default="keep", pattern=r"^(keep|hash|truncate:\d+)$",
        description="transcript text in the log: keep, truncate:N (first N chars) or hash (sha256 only)",
    )
    review_precision_period_s: float = Field(default=7 * 86400.0, gt=0, description="sliding period of the per-rule precision gauge")


class ConsoleSettings(_Section):
    """The reviewer console (`cct-monitor console`, docs/console.md)."""

    host: str = "127.0.0.1"
    port: int = Field(default=8470, ge=0, le=65535)
    url: str | None = Field(
        default=None, description="public base URL, e.g. https://review.example.org; alert links point here when set"
    )
    users_file: Path | None = Field(default=None, description="YAML accounts file (`cct-monitor console users add`)")
    session_secret: SecretStr | None = Field(default=None, description="key that signs session cookies")
    session_secret_file: Path | None = Field(default=None, description="file holding the session key")
    session_max_age_s: int = Field(default=8 * 3600, ge=60)
    secure_cookies: bool | None = Field(default=None, description="Secure cookie flag; default: on when url is https")
    trusted_header: str | None = Field(
        default=None, description="identity header set by an OIDC reverse proxy (e.g. X-Forwarded-User); off by default"
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["127.0.0.1", "::1"], description="peer addresses whose trusted_header is believed"
    )
    login_max_failures: int = Field(default=5, ge=1, description="failed logins per user or address before a lockout")
    login_window_s: float = Field(default=300.0, gt=0, description="sliding window (and lockout) of the login limit")
    decisions_path: str | None = Field(
        default=None, description="the monitor's per-chunk decision JSONL (transcript context, timelines); "
        "default: output.decisions_path when it names a file"
    )
    context_chunks: int = Field(default=3, ge=0, le=50, description="chunks shown before and after the evidence")
    publish_reviews: bool = Field(default=True, description="also publish each review on kafka.reviews_topic")
    metrics_port: int | None = Field(default=9465, ge=0, le=65535, description="port of the console's /metrics (None: off)")
    refresh_interval_s: float = Field(default=0.5, gt=0, description="how often the decision log is tailed")

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            return json.loads(text) if text.startswith("[") else [p.strip() for p in text.split(",") if p.strip()]
        return value

    def alert_link(self) -> str | None:
        """The console's alert URL template ({alert_id}, {broadcast_id}), or None without a console URL."""
        return f"{self.url.rstrip('/')}/alerts/{{alert_id}}" if self.url else None


class Settings(BaseSettings):
    """All settings of one monitor process."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter=ENV_DELIMITER, extra="forbid", validate_assignment=True
    )

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    pipeline: PipelineSettings = Field(default_factory=PipelineSettings)
    classifier: ClassifierSettings = Field(default_factory=ClassifierSettings)
    rules: RulesSettings = Field(default_factory=RulesSettings)
    output: OutputSettings = Field(default_factory=OutputSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    alerts: AlertsSettings = Field(default_factory=AlertsSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, file_secret_settings)


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _env_overrides() -> dict[str, Any]:
    """The CCT_ environment as a nested dict, parsed by pydantic-settings itself."""
    return Settings().model_dump(exclude_unset=True)


def load_settings(config: Path | None = None, overrides: dict[str, Any] | None = None) -> Settings:
    """Build the effective settings: YAML file, then CCT_ environment, then explicit overrides.

    `overrides` uses dotted keys (`{"kafka.group_id": "x"}`); None values are ignored.
    """
    data: dict[str, Any] = {}
    if config is not None:
        with open(config, encoding="utf-8") as fh:
            loaded = yaml.safe_load(fh) or {}
        if not isinstance(loaded, dict):
            raise ValueError(f"{config}: the settings file must hold a mapping at the top level")
        data = loaded
    data = _deep_merge(data, _env_overrides())
    for dotted, value in (overrides or {}).items():
        if value is None:
            continue
        node = data
        *parents, leaf = dotted.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return Settings(**data)


def redacted(settings: Settings) -> dict[str, Any]:
    """The settings as plain data with every secret replaced by '**********'."""
    return settings.model_dump(mode="json")
