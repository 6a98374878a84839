"""The first administrator of a new store (what `ioc demo` does on its first start).

`ensure_admin(settings)`: when the store has no user yet, create `admin` with a random password
and keep both in `<data dir>/admin-password.txt` (readable by the owner only); return the line to
print ("user admin, password …  (file)") for as long as that file exists — delete it once the
password is changed or other administrators exist.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from ioc.auth.service import Auth
from ioc.settings import Settings
from ioc.storage import data_dir

ADMIN_USER = "admin"
ADMIN_FILE = "admin-password.txt"


def ensure_admin(settings: Settings) -> str:
    auth = Auth.open(settings)
    path = data_dir(settings) / ADMIN_FILE
    if auth.users.count() == 0:
        password = secrets.token_urlsafe(12)
        auth.users.add(ADMIN_USER, "admin", password)
        auth.audit.record("demo", "user_add", ADMIN_USER, "cli", {"role": "admin"})
        _write_private(path, f"user {ADMIN_USER}\npassword {password}\n")
    if not path.is_file():
        return ""
    fields = dict(line.split(" ", 1) for line in path.read_text().splitlines() if " " in line)
    return f"user {fields.get('user', '?')}, password {fields.get('password', '?')}  ({path})"


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(text)
