"""Console accounts: a YAML file of users, roles and argon2 password hashes.

```yaml
users:
  - {name: alice, role: reviewer, password_hash: "$argon2id$..."}
  - {name: sam, role: auditor, password_hash: "$argon2id$..."}
  - {name: proxy-only, role: admin}          # no hash: can only come in through the trusted header
```
The file is re-read when it changes, so removing a user or changing a role takes effect at once.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

ROLES = ("reviewer", "auditor", "admin")
Role = Literal["reviewer", "auditor", "admin"]
log = logging.getLogger(__name__)
_HASHER = PasswordHasher()
# Verified against when the user is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _HASHER.hash("cct-console-no-such-user")


class Account(BaseModel):
    """One user: a staff id (never a speaker), a role and an optional password hash."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._@-]+$")
    role: Role
    password_hash: str | None = Field(default=None, pattern=r"^\$argon2(id|i|d)\$")


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    users: list[Account] = Field(default_factory=list)


class AccountsError(ValueError):
    """The accounts file cannot be used (file:line: reason)."""


def hash_password(password: str) -> str:
    """An argon2id hash for the accounts file."""
    if len(password) < 12:
        raise ValueError("passwords must have at least 12 characters")
    return _HASHER.hash(password)


def read_accounts(path: Path) -> dict[str, Account]:
    """The accounts of a file, by name; raises AccountsError naming the problem."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise AccountsError(f"{path}: cannot read accounts file: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise AccountsError(f"{where}: not valid YAML") from None
    try:
        users = _File.model_validate(data).users
    except ValidationError as exc:
        err = exc.errors()[0]
        raise AccountsError(f"{path}: {'.'.join(map(str, err['loc']))}: {err['msg']}") from None
    names = [u.name for u in users]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise AccountsError(f"{path}: user names must be unique; repeated: {', '.join(dupes)}")
    return {u.name: u for u in users}


def write_account(path: Path, account: Account) -> None:
    """Add or replace one account, writing the file atomically with owner-only permissions."""
    users = read_accounts(path) if path.exists() else {}
    users[account.name] = account
    body = {"users": [u.model_dump(exclude_none=True) for u in users.values()]}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            yaml.safe_dump(body, fh, sort_keys=False)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(slots=True)
class _Cached:
    stamp: tuple[int, int]
    accounts: dict[str, Account]


class Accounts:
    """The live accounts of a file: re-read when its size or mtime changes; the last good copy is kept."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        stat = path.stat()
        self._cached = _Cached((stat.st_mtime_ns, stat.st_size), read_accounts(path))

    def get(self, name: str) -> Account | None:
        return self._current().get(name)

    def all(self) -> list[Account]:
        return sorted(self._current().values(), key=lambda a: a.name)

    def verify(self, name: str, password: str) -> Account | None:
        """The account when `password` matches its hash; None otherwise (same cost for unknown users)."""
        account = self.get(name)
        stored = account.password_hash if account and account.password_hash else _DUMMY_HASH
        try:
            _HASHER.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        return account if account and account.password_hash else None

    def _current(self) -> dict[str, Account]:
        with self._lock:
            try:
                stat = self.path.stat()
                stamp = (stat.st_mtime_ns, stat.st_size)
                if stamp != self._cached.stamp:
                    self._cached = _Cached(stamp, read_accounts(self.path))
            except (OSError, AccountsError) as exc:
                log.warning("accounts file not reloaded, keeping the last good copy: %s", exc)
            return self._cached.accounts
