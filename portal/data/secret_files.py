"""Files only their owner may read: local secrets (``.secrets/``) and the SQLite database.

A secret is generated once and kept: the file is created exclusively with mode 0600
(never readable by others, not even for an instant), in a directory of mode 0700; when
two processes race, the loser reads the winner's value.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path

OWNER_ONLY_FILE = 0o600
OWNER_ONLY_DIR = 0o700


def private_dir(path: Path) -> None:
    path.mkdir(mode=OWNER_ONLY_DIR, parents=True, exist_ok=True)
    os.chmod(path, OWNER_ONLY_DIR)  # mkdir's mode is cut by the umask; an older dir is tightened


def create_private_file(path: Path) -> bool:
    """Creates an empty owner-only file; False if it already exists."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY_FILE))
    except FileExistsError:
        return False
    return True


def make_owner_only(path: Path) -> None:
    """Drops group and other permissions from an existing file of ours."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        if mode & 0o077:
            os.chmod(path, mode & 0o700)
    except (FileNotFoundError, PermissionError):
        pass


def read_or_create_secret(path: Path, generate: Callable[[], str]) -> str:
    """The secret kept in ``path``; generated (and written owner-only) on first use.

    Written to a private temporary file and then hard-linked into place, which is atomic
    and fails if the name exists: a racing process never reads a half-written secret."""
    if path.exists():
        make_owner_only(path)
        return path.read_text().strip()
    private_dir(path.parent)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY_FILE)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(generate() + "\n")
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process won: everyone uses its secret
    finally:
        os.unlink(temporary)
    return path.read_text().strip()
