"""The reviewer console in a real browser: a running monitor on the real broker raises an alert, it appears
in the open queue without a reload, a logged-in reviewer confirms it with a note, and the decision log,
the reviews topic, `audit verify` and the statement-of-reasons preview all show it."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alerting_harness import write_rules
from console_harness import PASSWORD, chromium, start_console, write_users
from kafka_harness import Producer, create_topic, monitor_env, read_topic, run_cli, start_monitor, wait_until

from monitor.alert import make_alert_id
from monitor.audit.read import LogView, iter_records, parse_time

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "out" / "test-artifacts"
BROADCAST = "console-live-1"
LINES = [  # (text, speaker role); seq 2 trips the election-fraud rule, seq 4 the threat rule
    ("good evening, this is the late phone-in about the vote on sunday", "host"),
    ("our first caller has strong views about the count", "host"),
    ("everyone knows this election is rigged and the count is stolen", "caller"),
    ("that is quite a claim, what makes you say so", "host"),
    ("if she wins someone should put a bullet in her", "caller"),
    ("we do not accept that on this programme, the caller is gone", "host"),
    ("let us go to our next caller", "host"),
]


def _chunks(t0: float) -> list[bytes]:
    out = []
    for seq, (text, role) in enumerate(LINES):
        out.append(json.dumps({
            "broadcast_id": BROADCAST, "seq": seq, "text": text, "start_ms": seq * 5000, "end_ms": seq * 5000 + 4800,
            "ts": datetime.fromtimestamp(t0, UTC).isoformat().replace("+00:00", "Z"),
            "speaker": {"id": f"{role}-{seq % 2}", "role": role}, "audience": {"listeners": 1200 + 40 * seq},
            "territories": ["DE", "AT"], "title": "Late phone-in", "language": "en",
        }).encode())
    return out


def _wait_css(driver, css: str, timeout_s: float = 60):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout_s, poll_frequency=0.05).until(ec.presence_of_element_located((By.CSS_SELECTOR, css)))


def _history(driver) -> str:
    """The review history's text, or "" while the page is between documents (a review's redirect)."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, WebDriverException
    from selenium.webdriver.common.by import By

    try:
        return driver.find_element(By.ID, "review-history").text
    except (NoSuchElementException, StaleElementReferenceException):
        return ""
    except WebDriverException as exc:  # Chromium's form of a stale node: found, then replaced before it was read
        if "does not belong to the document" in str(exc):
            return ""
        raise


def _reviews(log_dir: Path) -> list[dict]:
    return [loc.record["body"] for loc in iter_records(log_dir) if loc.record["type"] == "review"]


def test_reviewer_confirms_a_live_alert_in_the_browser(kafka_bootstrap: str, unique_name: str, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    topic, reviews_topic = f"console-{unique_name}", f"reviews-{unique_name}"
    create_topic(kafka_bootstrap, topic, 1)
    create_topic(kafka_bootstrap, reviews_topic, 1)
    log_dir, decisions = tmp_path / "log", tmp_path / "decisions.jsonl"
    rules = write_rules(tmp_path)
    users = tmp_path / "users.yaml"
    write_users(users, {"alice": "reviewer", "sam": "auditor"})
    monitor = start_monitor(tmp_path / "m", kafka_bootstrap, topic, f"g-{unique_name}", decisions=decisions, settings={
        "rules": {"paths": [str(rules)], "watch": False}, "alerts": {"channels": []},
        "audit": {"path": str(log_dir)},
    })
    console = None
    driver = None
    try:
        monitor.wait_log(r"(partitions assigned|consuming)", 120)
        wait_until(lambda: log_dir.is_dir() and any(log_dir.iterdir()), 60, "the monitor's decision log")
        console = start_console(tmp_path, monitor_env(kafka_bootstrap), {
            "audit": {"path": str(log_dir)}, "rules": {"paths": [str(rules)]},
            "kafka": {"reviews_topic": reviews_topic}, "metrics": {"enabled": False},
            "console": {"users_file": str(users), "decisions_path": str(decisions), "session_secret": "s" * 48,
                        "context_chunks": 2, "refresh_interval_s": 0.2},
        })
        driver = chromium(tmp_path / "chromium-profile")
        driver.get(console.url + "/")
        assert "/login" in driver.current_url  # no session: sent to the login page
        driver.find_element(By.ID, "username").send_keys("alice")
        driver.find_element(By.ID, "password").send_keys(PASSWORD)
        driver.find_element(By.ID, "login-submit").click()
        _wait_css(driver, "#queue-empty")
        wait_until(lambda: driver.find_element(By.ID, "live-state").text.startswith("on"), 30, "the live feed")
        driver.execute_script("window.__sameDocument = 'yes';")

        fraud_id = make_alert_id("test.election-fraud", "1.0.0", BROADCAST, [2])
        threat_id = make_alert_id("test.threat-to-life", "1.0.0", BROADCAST, [4])
        produced_at = time.time()
        with Producer(kafka_bootstrap) as producer:
            producer.send(topic, _chunks(produced_at))
        row = _wait_css(driver, f"#alert-{fraud_id}", 120)
        seen_in_queue = time.time()
        _wait_css(driver, f"#alert-{threat_id}", 60)
        assert driver.execute_script("return window.__sameDocument;") == "yes", "the queue reloaded instead of updating"
        assert "Claims that the election is rigged" in row.text and "high" in row.text.lower()
        monitor.wait_decisions(len(LINES), 60)  # the chunks after the evidence are decided too
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(ARTIFACTS / "console-queue.png"))

        row.find_element(By.CSS_SELECTOR, "a.alert-link").click()
        _wait_css(driver, "#review-form")
        opened = time.time()
        transcript = driver.find_element(By.ID, "transcript")
        evidence = transcript.find_element(By.CSS_SELECTOR, "li.evidence")
        assert evidence.get_attribute("data-seq") == "2" and "rigged" in evidence.find_element(By.TAG_NAME, "mark").text
        seqs = [li.get_attribute("data-seq") for li in transcript.find_elements(By.TAG_NAME, "li")]
        assert seqs == ["0", "1", "2", "3", "4"], seqs  # two chunks either side of the evidence
        assert "test.election-fraud" in driver.find_element(By.ID, "rule-yaml").text
        driver.find_element(By.ID, "note").send_keys("caller asserts the count is stolen; no source")
        driver.find_element(By.ID, "btn-confirmed").click()
        _wait_css(driver, "#sor-valid")
        reviewed = time.time()
        history = driver.find_element(By.ID, "review-history").text
        assert "confirmed by alice" in history and "no source" in history
        assert "cct-alert-" + fraud_id in driver.find_element(By.ID, "sor-preview").text
        driver.save_screenshot(str(ARTIFACTS / "console-alert.png"))

        # the keyboard shortcut: 'f' marks the threat alert a false positive
        driver.get(f"{console.url}/alerts/{threat_id}")
        _wait_css(driver, "#review-form")
        driver.find_element(By.TAG_NAME, "body").send_keys("f")
        wait_until(lambda: "false positive by alice" in _history(driver), 30,
                   "the shortcut's review")
        # a decision taken elsewhere (the CLI, on the same log) shows up on the open page without a reload
        driver.execute_script("window.__sameDocument = 'still';")
        cli_review = run_cli(tmp_path, kafka_bootstrap, "review", threat_id, "--outcome", "needs_escalation",
                             "--reviewer", "lead-7", "--log", str(log_dir))
        assert cli_review.returncode == 0, cli_review.stderr
        wait_until(lambda: "needs escalation by lead-7" in _history(driver), 60,
                   "the CLI's review on the open alert page")
        assert driver.execute_script("return window.__sameDocument;") == "still"
        driver.get(f"{console.url}/broadcasts/{BROADCAST}")
        _wait_css(driver, "svg.timeline")
        driver.save_screenshot(str(ARTIFACTS / "console-broadcast.png"))

        problems = [e["message"] for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
        assert problems == [], problems  # no CSP violation, no script error on any page

        reviews = _reviews(log_dir)
        assert [(r["alert_id"], r["outcome"], r["reviewer"], r["channel"]) for r in reviews] == [
            (fraud_id, "confirmed", "alice", "console"), (threat_id, "false_positive", "alice", "console"),
            (threat_id, "needs_escalation", "lead-7", "cli")]
        logged = {r["alert_id"]: r for r in reviews if r["channel"] == "console"}
        assert logged[fraud_id]["note"] == "caller asserts the count is stolen; no source"
        verified = run_cli(tmp_path, kafka_bootstrap, "audit", "verify", str(log_dir))
        assert verified.returncode == 0, verified.stdout + verified.stderr
        published = [json.loads(r.value) for r in read_topic(kafka_bootstrap, reviews_topic, 2)]  # the console's two
        assert {(m["alert_id"], m["outcome"], m["reviewer"]) for m in published} == {
            (fraud_id, "confirmed", "alice"), (threat_id, "false_positive", "alice")}
        assert published[0]["ts"] == logged[published[0]["alert_id"]]["reviewed_at"]

        entry = LogView(log_dir).alerts[fraud_id]
        detected = entry.detected_at.timestamp()
        at_review = parse_time(logged[fraud_id]["reviewed_at"]).timestamp()
        print(f"\nconsole latency: chunk produced → alert in the open queue {seen_in_queue - produced_at:.2f} s "
              f"(detected {detected - produced_at:.2f} s after producing); alert detected → review logged "
              f"{at_review - detected:.2f} s, of which the browser's open + note + confirm took {reviewed - opened:.2f} s")
    finally:
        if driver is not None:
            driver.quit()
        if console is not None:
            console.stop()
        monitor.stop_quietly()
    assert "caller asserts" not in console.log()  # review notes and transcript text stay out of the server log
    assert "rigged" not in console.log()
