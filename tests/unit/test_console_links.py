"""With a console URL configured, webhook/Slack links and Alertmanager annotations open the console's alert page."""

from __future__ import annotations

import json

from alert_factory import make_alert

from monitor.channels import channels_from_settings
from monitor.channels.alertmanager import am_alert
from monitor.settings import Settings


def _channels(**console: object) -> dict:
    settings = Settings(console=console, alerts={"channels": [
        {"type": "webhook", "url": "http://127.0.0.1:9/hook", "slack": True},
        {"type": "webhook", "name": "own", "url": "http://127.0.0.1:9/own", "link": "https://case.example/{alert_id}"},
        {"type": "alertmanager", "url": "http://127.0.0.1:9"},
    ]})
    return {c.name: c for c in channels_from_settings(settings, "kafka")}


def test_links_point_at_the_console_alert_page_when_a_console_url_is_set() -> None:
    alert = make_alert()
    page = f"https://review.example.org/alerts/{alert.alert_id}"
    channels = _channels(url="https://review.example.org/")
    assert page in json.dumps(channels["webhook"].payload(alert)["blocks"])
    assert channels["own"].payload(alert)["link"] == f"https://case.example/{alert.alert_id}"  # an explicit link wins
    body = am_alert(alert, 300, channels["alertmanager"].generator_url)
    assert body["generatorURL"] == page and body["annotations"]["link"] == page


def test_no_console_url_no_link() -> None:
    alert = make_alert()
    channels = _channels()
    assert "open alert" not in json.dumps(channels["webhook"].payload(alert))
    body = am_alert(alert, 300, channels["alertmanager"].generator_url)
    assert "generatorURL" not in body and "link" not in body["annotations"]


def test_console_list_settings_read_the_same_from_the_environment(monkeypatch) -> None:
    from monitor.settings import load_settings

    monkeypatch.setenv("CCT_CONSOLE__TRUSTED_PROXIES", "10.0.0.1, 10.0.0.2")
    assert load_settings().console.trusted_proxies == ["10.0.0.1", "10.0.0.2"]
    monkeypatch.setenv("CCT_CONSOLE__TRUSTED_PROXIES", '["::1"]')
    assert load_settings().console.trusted_proxies == ["::1"]
