"""Settings precedence (file < env < flags) and secret redaction."""

from __future__ import annotations

import yaml
from click.testing import CliRunner

from monitor.cli import cli
from monitor.kafka_client import client_config
from monitor.settings import load_settings, redacted


def test_file_then_env_then_flags(tmp_path, monkeypatch) -> None:
    cfg = tmp_path / "cct.yaml"
    cfg.write_text(yaml.safe_dump({"kafka": {"group_id": "from-file", "client_id": "file-client", "input_topic": "file-topic"}}))
    monkeypatch.setenv("CCT_KAFKA__GROUP_ID", "from-env")
    monkeypatch.setenv("CCT_KAFKA__CLIENT_ID", "env-client")
    s = load_settings(cfg, {"kafka.client_id": "flag-client", "kafka.dlq_topic": None})
    assert s.kafka.input_topic == "file-topic"
    assert s.kafka.group_id == "from-env"
    assert s.kafka.client_id == "flag-client"
    assert s.kafka.dlq_topic == "transcripts.dlq"


def test_secrets_never_print(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CCT_KAFKA__SASL_PASSWORD", "hunter2-secret")
    monkeypatch.setenv("CCT_KAFKA__SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("CCT_KAFKA__SASL_MECHANISM", "SCRAM-SHA-512")
    s = load_settings()
    assert "hunter2-secret" not in repr(s) and "hunter2-secret" not in str(redacted(s))
    conf = client_config(s.kafka)
    assert conf["sasl_plain_password"] == "hunter2-secret"
    assert conf["sasl_mechanism"] == "SCRAM-SHA-512"
    result = CliRunner().invoke(cli, ["config", "show"])
    assert result.exit_code == 0, result.output
    assert "hunter2-secret" not in result.output
    assert yaml.safe_load(result.output)["kafka"]["sasl_password"] == "**********"


def test_every_run_option_shows_its_environment_variable() -> None:
    result = CliRunner().invoke(cli, ["run", "--help"], terminal_width=200)
    assert result.exit_code == 0
    for flag in ("--bootstrap-servers", "--group-id", "--topic", "--decisions", "--source", "--input"):
        line = next(line for line in result.output.splitlines() if flag in line)
        assert "env var: CCT_" in line or "env var: CCT_" in result.output.split(flag, 1)[1].split("--", 1)[0]


def test_list_settings_from_the_environment_mean_the_same_to_flags_and_settings(monkeypatch) -> None:
    for value, expected in [('["rules", "/srv/extra rules"]', ["rules", "/srv/extra rules"]),
                            ("rules,/srv/more", ["rules", "/srv/more"]), ("[]", [])]:
        monkeypatch.setenv("CCT_RULES__PATHS", value)
        result = CliRunner().invoke(cli, ["config", "show"])
        assert result.exit_code == 0, result.output
        assert yaml.safe_load(result.output)["rules"]["paths"] == expected
    monkeypatch.setenv("CCT_RULES__PATHS", "rules")
    assert load_settings(None, {"rules.paths": ["/flag/wins"]}).rules.paths[0].as_posix() == "/flag/wins"
