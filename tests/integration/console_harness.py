"""Helpers for the console's real-browser test: accounts, a `cct-monitor console` subprocess, headless Chromium."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import yaml

from monitor.console.accounts import Account, hash_password, write_account

PASSWORD = "correct horse battery staple"
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-dev-shm-usage", "--window-size=1440,1100",
)


def binary(*names: str) -> str:
    """The first of `names` on PATH or in /usr/bin; fails with the install hint otherwise."""
    for name in names:
        found = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
        if found:
            return found
    raise AssertionError(f"none of {names} found: apt-get install chromium chromium-driver (scripts/setup.sh --test)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_users(path: Path, users: dict[str, str]) -> None:
    """Accounts file with `name -> role`, every password PASSWORD."""
    for name, role in users.items():
        write_account(path, Account(name=name, role=role, password_hash=hash_password(PASSWORD)))


@dataclass
class ConsoleProcess:
    proc: subprocess.Popen
    url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        return self.proc.returncode


def start_console(workdir: Path, env: dict[str, str], settings: dict[str, Any]) -> ConsoleProcess:
    """`python -m monitor --config console.yaml console` on a free port; returns once /healthz answers."""
    port = free_port()
    settings = {**settings, "console": {**settings.get("console", {}), "host": "127.0.0.1", "port": port}}
    config = workdir / "console.yaml"
    config.write_text(yaml.safe_dump(settings), encoding="utf-8")
    log_path = workdir / "console.log"
    with open(log_path, "ab") as log_fh:
        proc = subprocess.Popen([sys.executable, "-m", "monitor", "--config", str(config), "console"], cwd=workdir,
                                env=env, stdout=log_fh, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise AssertionError(f"console exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            if requests.get(url + "/healthz", timeout=2).status_code == 200:
                return ConsoleProcess(proc, url, log_path)
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"console did not answer on {url}:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.2)


def chromium(profile_dir: Path | None = None) -> Any:
    """Headless Debian Chromium under Selenium with a fresh profile."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = binary("chromium", "chromium-browser")
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile_dir or tempfile.mkdtemp(prefix='cct-chromium-')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # so a test can read CSP reports and JS errors
    service = Service(executable_path=binary("chromedriver"))
    return webdriver.Chrome(options=options, service=service)
