"""The console's security model, in-process: sessions, roles, CSRF, login throttling, trusted header, headers.

Also that a review records the authenticated user, and the console's metrics."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from console_fixtures import (
    PASSWORD, client_for as _client, csrf_of as _csrf, log_in as _login, page_token as _page_token,
    settings_for as _settings, three_alerts, utc_now, write_alerts,
)
from prometheus_client import CollectorRegistry, generate_latest
from starlette.routing import Route

from monitor.audit.read import iter_records

@pytest.fixture
def log_with_alerts(tmp_path: Path) -> list[str]:
    alerts = three_alerts(utc_now())
    write_alerts(tmp_path / "log", alerts)
    return [a.alert_id for a in alerts]


def _reviews(tmp_path: Path) -> list[dict]:
    return [loc.record["body"] for loc in iter_records(tmp_path / "log") if loc.record["type"] == "review"]


def test_every_page_and_api_needs_a_session(tmp_path: Path, log_with_alerts: list[str]) -> None:
    client = _client(_settings(tmp_path))
    app = client.app
    checked = 0
    for route in app.routes:
        if not isinstance(route, Route) or route.path in ("/login", "/healthz"):
            continue
        path = route.path.replace("{alert_id}", log_with_alerts[0]).replace("{broadcast_id}", "bc-1")
        for method in sorted(route.methods - {"HEAD"}):
            resp = client.request(method, path)
            api = path.startswith(("/api/", "/events", "/queue/rows"))
            if api:
                assert resp.status_code == 401, (method, path)
            else:
                assert resp.status_code == 303 and resp.headers["location"].startswith("/login?next="), (method, path)
            checked += 1
    assert checked >= 14
    assert client.get("/", headers={"HX-Request": "true"}).status_code == 401  # an htmx request gets 401, not a page
    assert _reviews(tmp_path) == []


def test_roles_reviewer_cannot_reach_admin_auditor_cannot_review(tmp_path: Path, log_with_alerts: list[str]) -> None:
    settings = _settings(tmp_path)
    reviewer, auditor, admin = _client(settings), _client(settings), _client(settings)
    assert _login(reviewer, "alice") == 303 and _login(auditor, "sam") == 303 and _login(admin, "root") == 303
    assert reviewer.get("/admin").status_code == 403
    assert auditor.get("/admin").status_code == 403
    page = admin.get("/admin")
    assert page.status_code == 200 and "alice" in page.text and "$argon2" not in page.text and "kkkkkkkk" not in page.text
    alert = log_with_alerts[0]
    assert auditor.get(f"/alerts/{alert}").status_code == 200  # the auditor reads
    assert 'id="review-form"' not in auditor.get(f"/alerts/{alert}").text
    token = _page_token(auditor)
    resp = auditor.post(f"/alerts/{alert}/review", data={"outcome": "confirmed", "csrf_token": token})
    assert resp.status_code == 403 and _reviews(tmp_path) == []


def test_a_state_change_without_the_csrf_token_is_refused(tmp_path: Path, log_with_alerts: list[str]) -> None:
    client = _client(_settings(tmp_path))
    assert _login(client, "alice") == 303
    alert = log_with_alerts[0]
    assert client.post(f"/alerts/{alert}/review", data={"outcome": "confirmed"}).status_code == 403
    assert client.post(f"/alerts/{alert}/review", data={"outcome": "confirmed", "csrf_token": "x" * 43}).status_code == 403
    assert client.post("/logout").status_code == 403  # logging out is a state change too
    other = _client(_settings(tmp_path))  # a token from another session is worthless
    assert _login(other, "alice") == 303
    assert client.post(f"/alerts/{alert}/review", data={"outcome": "confirmed", "csrf_token": _page_token(other)}).status_code == 403
    assert _reviews(tmp_path) == []
    assert client.post("/login", data={"username": "alice", "password": PASSWORD}).status_code == 403  # login form too


def test_a_review_records_the_logged_in_user_never_a_name_from_the_form(tmp_path: Path, log_with_alerts: list[str]) -> None:
    registry = CollectorRegistry()
    client = _client(_settings(tmp_path), registry)
    with client:
        assert _login(client, "alice") == 303
        alert = log_with_alerts[0]
        token = _page_token(client)
        resp = client.post(f"/alerts/{alert}/review", data={
            "outcome": "confirmed", "note": "checked", "reviewer": "mallory", "csrf_token": token})
        assert resp.status_code == 303 and resp.headers["location"] == f"/alerts/{alert}"
        [review] = _reviews(tmp_path)
        assert (review["reviewer"], review["outcome"], review["note"], review["channel"]) == ("alice", "confirmed", "checked", "console")
        assert "confirmed</strong> by <span class=\"reviewer\">alice" in client.get(f"/alerts/{alert}").text
        assert client.post(f"/alerts/{alert}/review", data={"outcome": "maybe", "csrf_token": token}).status_code == 400
        assert client.post(f"/alerts/{'0' * 32}/review", data={"outcome": "confirmed", "csrf_token": token}).status_code == 404
        metrics = generate_latest(registry).decode()
    assert 'cct_console_reviews_total{outcome="confirmed"} 1.0' in metrics
    assert 'cct_alert_first_review_seconds_count{outcome="confirmed"} 1.0' in metrics
    assert 'cct_console_queue_depth{severity="critical"} 1.0' in metrics and 'cct_console_queue_depth{severity="high"} 0.0' in metrics
    assert 'cct_reviews_total{label="election",outcome="confirmed",rule="elections.rigged-claim"} 1.0' in metrics


def test_login_is_throttled_per_user_and_per_address(tmp_path: Path, log_with_alerts: list[str]) -> None:
    client = _client(_settings(tmp_path, login_max_failures=3, login_window_s=600))
    for _ in range(3):
        assert _login(client, "alice", "wrong password here") == 401
    token = _csrf(client)
    resp = client.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token})
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) > 500  # even the right password waits
    assert _login(client, "root") == 429  # the same address is locked out for other names too
    assert client.get("/").status_code == 303


def test_behind_a_trusted_proxy_the_forwarded_address_is_throttled_not_the_proxy(
        tmp_path: Path, log_with_alerts: list[str]) -> None:
    client = _client(_settings(tmp_path, login_max_failures=2, trusted_proxies=["testclient"]))
    attacker = {"X-Forwarded-For": "203.0.113.9"}
    for _ in range(2):
        token = _csrf(client)
        client.post("/login", headers=attacker, data={"username": "x", "password": "nope", "csrf_token": token})
    token = _csrf(client)
    assert client.post("/login", headers=attacker, data={"username": "root", "password": PASSWORD, "csrf_token": token}).status_code == 429
    token = _csrf(client)
    resp = client.post("/login", headers={"X-Forwarded-For": "198.51.100.4"},
                       data={"username": "root", "password": PASSWORD, "csrf_token": token})
    assert resp.status_code == 303  # another client behind the same proxy still logs in


def test_unknown_users_and_wrong_passwords_get_the_same_answer(tmp_path: Path, log_with_alerts: list[str]) -> None:
    client = _client(_settings(tmp_path))
    a = client.post("/login", data={"username": "nobody", "password": PASSWORD, "csrf_token": _csrf(client)})
    b = client.post("/login", data={"username": "alice", "password": "not the password", "csrf_token": _csrf(client)})
    assert a.status_code == b.status_code == 401 and "Wrong user name or password." in a.text and "Wrong user name or password." in b.text


def test_login_only_redirects_to_local_paths(tmp_path: Path, log_with_alerts: list[str]) -> None:
    client = _client(_settings(tmp_path))
    for target, expected in (("//evil.example/x", "/"), ("https://evil.example", "/"), ("/rules?since=2026-01-01", "/rules?since=2026-01-01")):
        fresh = _client(_settings(tmp_path))
        token = _csrf(fresh)
        resp = fresh.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token, "next": target})
        assert resp.headers["location"] == expected
    assert client.get("/login?next=/rules").status_code == 200


def test_session_cookie_flags_and_security_headers(tmp_path: Path, log_with_alerts: list[str]) -> None:
    client = _client(_settings(tmp_path))
    resp = client.get("/login")
    cookie = resp.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    csp = resp.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert resp.headers["x-content-type-options"] == "nosniff" and resp.headers["cache-control"] == "no-store"
    assert "<script>" not in resp.text and " style=" not in resp.text  # nothing inline for the CSP to refuse
    tls = _client(_settings(tmp_path, url="https://review.example.org"))
    resp = tls.get("/login")
    assert "secure" in resp.headers["set-cookie"].lower() and "max-age=31536000" in resp.headers["strict-transport-security"]


def test_trusted_identity_header_is_off_by_default_and_believed_only_from_trusted_proxies(
        tmp_path: Path, log_with_alerts: list[str]) -> None:
    header = {"X-Forwarded-User": "alice"}
    assert _client(_settings(tmp_path)).get("/", headers=header).status_code == 303
    untrusted = _client(_settings(tmp_path, trusted_header="X-Forwarded-User", trusted_proxies=["10.0.0.1"]))
    assert untrusted.get("/", headers=header).status_code == 303
    trusted = _client(_settings(tmp_path, trusted_header="X-Forwarded-User", trusted_proxies=["testclient"]))
    assert trusted.get("/", headers=header).status_code == 200
    assert trusted.get("/", headers={"X-Forwarded-User": "stranger"}).status_code == 303  # must still have an account
    assert trusted.get("/admin", headers=header).status_code == 403


def test_a_removed_account_loses_its_session_at_once(tmp_path: Path, log_with_alerts: list[str]) -> None:
    settings = _settings(tmp_path)
    client = _client(settings)
    assert _login(client, "alice") == 303 and client.get("/").status_code == 200
    users = settings.console.users_file
    users.write_text(users.read_text(encoding="utf-8").replace("name: alice", "name: alice2"), encoding="utf-8")
    assert client.get("/").status_code == 303


def test_users_add_writes_an_owner_only_file_with_an_argon2_hash(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from monitor.cli import cli
    from monitor.console.accounts import Accounts

    path = tmp_path / "users.yaml"
    run = lambda *args, stdin: CliRunner().invoke(cli, ["console", "users", "add", *args, "--file", str(path),  # noqa: E731
                                                        "--password-stdin"], input=stdin)
    assert run("alice", "--role", "reviewer", stdin=PASSWORD + "\n").exit_code == 0
    assert run("bob", "--role", "auditor", stdin="short\n").exit_code != 0  # under 12 characters
    assert run("alice", "--role", "admin", stdin=PASSWORD + "x\n").exit_code == 0  # replaces alice
    assert path.stat().st_mode & 0o077 == 0 and PASSWORD not in path.read_text(encoding="utf-8")
    accounts = Accounts(path)
    assert [(a.name, a.role) for a in accounts.all()] == [("alice", "admin")]
    assert accounts.verify("alice", PASSWORD + "x") is not None and accounts.verify("alice", PASSWORD) is None


def test_a_bad_accounts_file_is_named_with_the_reason(tmp_path: Path) -> None:
    from monitor.console.accounts import AccountsError, read_accounts

    path = tmp_path / "users.yaml"
    for text, expected in (("users:\n  - {name: alice, role: boss}\n", "users.0.role"),
                           ("users:\n  - {name: alice\n", f"{path}:"),
                           ("users:\n  - {name: a, role: admin}\n  - {name: a, role: auditor}\n", "repeated: a")):
        path.write_text(text, encoding="utf-8")
        with pytest.raises(AccountsError, match=re.escape(expected)):
            read_accounts(path)
