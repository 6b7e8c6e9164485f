"""Personal data at rest: the customer's ID number, phone and payout account.

* **Encrypted**: ``customer.id_number``, ``customer.phone`` and ``customer.payout_account``
  are stored as ``<key id>:<base64(nonce ‖ ciphertext ‖ tag)>``: AES-256-GCM with a random
  96-bit nonce and the column (``customer.phone``…) as associated data, so a value copied
  into another column or row field does not decrypt. An empty value is stored empty.
  The ``Encrypted`` column type encrypts on the way in and decrypts on the way out, so the
  rest of the code reads and writes ``customer.phone`` as clear text.
* **Hashed** for lookups: ``id_number_hash`` and ``phone_hash`` hold HMAC-SHA256 of the
  normalised value (ID number upper-cased; phone without spaces and dashes) under a
  separate hash key: equal values give equal hashes, so they can be indexed and searched
  without the clear value (``blind_index``). Kept current on every insert and update.

Keys (format documented in README "Personal data at rest"):

* ``PORTAL_DATA_KEY=k2:<base64 32 bytes>,k1:<base64 32 bytes>``: the first is the
  current key (new values); the others still decrypt older values.
* ``PORTAL_DATA_HASH_KEY=<base64 32 bytes>``: the hash key; required when
  ``PORTAL_DATA_KEY`` is set.
* Neither set (a local run): both are generated once into ``.secrets/data_key`` and
  ``.secrets/hash_key`` (directory 0700, files 0600), in the same formats.

Commands: ``python -m portal.data.pii rotate [--batch N]`` re-encrypts every value under
the current key (and recomputes the hashes), one committed batch at a time;
``python -m portal.data.pii status`` counts values per key id; ``python -m portal.data.pii
new-key ID`` prints a new key entry to put in front of ``PORTAL_DATA_KEY``.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import sys
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import String, bindparam, column, event, select, table, type_coerce, update
from sqlalchemy.engine import Connection
from sqlalchemy.types import TypeDecorator

DATA_KEY_ENV = "PORTAL_DATA_KEY"
HASH_KEY_ENV = "PORTAL_DATA_HASH_KEY"
SECRETS_DIR = Path(".secrets")
DATA_KEY_FILE = "data_key"
HASH_KEY_FILE = "hash_key"
NONCE_BYTES = 12
KEY_BYTES = 32
STORED_LENGTH = 255  # widest clear value (64) + nonce + tag, in base64, + key id

# What is protected, by column; and which clear column each hash column indexes.
ENCRYPTED_COLUMNS = ("id_number", "phone", "payout_account")
HASHED_COLUMNS = {"id_number_hash": "id_number", "phone_hash": "phone"}

_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
_STORED = re.compile(r"^([A-Za-z0-9_-]{1,16}):([A-Za-z0-9+/]{38,}={0,2})$")


class PiiKeyError(ValueError):
    """A key is missing or malformed, or does not open a stored value."""


def associated_data(column_name: str) -> bytes:
    return f"customer.{column_name}".encode()


def _decode_key(text: str, where: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise PiiKeyError(f"{where}: not base64") from None
    if len(key) != KEY_BYTES:
        raise PiiKeyError(f"{where}: a key is {KEY_BYTES} bytes, base64-encoded (got {len(key)})")
    return key


def parse_data_keys(text: str, where: str = DATA_KEY_ENV) -> dict[str, bytes]:
    """``id:base64,id:base64,…`` → {id: key}, the current (first) key first."""
    keys: dict[str, bytes] = {}
    for entry in (e.strip() for e in text.split(",")):
        if not entry:
            continue
        key_id, sep, encoded = entry.partition(":")
        if not sep or not _KEY_ID.match(key_id):
            raise PiiKeyError(f"{where}: each entry is <id>:<base64 key>, the id 1-16 of A-Z a-z 0-9 _ -")
        if key_id in keys:
            raise PiiKeyError(f"{where}: key id {key_id!r} appears twice")
        keys[key_id] = _decode_key(encoded, f"{where} ({key_id})")
    if not keys:
        raise PiiKeyError(f"{where}: no key")
    return keys


def new_key_text() -> str:
    return base64.b64encode(os.urandom(KEY_BYTES)).decode()


def stored_key_id(stored: str) -> str | None:
    """The key id of an encrypted value; None for clear text (or empty)."""
    match = _STORED.match(stored or "")
    return match.group(1) if match else None


@dataclass(frozen=True)
class Keyring:
    keys: dict[str, AESGCM]
    current_id: str
    hash_key: bytes

    def encrypt(self, column_name: str, clear: str) -> str:
        if clear == "":
            return ""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self.keys[self.current_id].encrypt(nonce, clear.encode(), associated_data(column_name))
        return f"{self.current_id}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, column_name: str, stored: str) -> str:
        if stored == "":
            return ""
        match = _STORED.match(stored)
        if match is None:  # the message never quotes the value: it may be clear text
            raise PiiKeyError(f"customer.{column_name} holds a value that is not encrypted")
        key_id, body = match.groups()
        if key_id not in self.keys:
            raise PiiKeyError(f"customer.{column_name} is encrypted under key {key_id!r}, which is not configured")
        raw = base64.b64decode(body)
        try:
            return self.keys[key_id].decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], associated_data(column_name)).decode()
        except InvalidTag:
            raise PiiKeyError(
                f"customer.{column_name} does not decrypt under key {key_id!r} (another key, or another column's value)"
            ) from None

    def reveal(self, column_name: str, stored: str) -> str:
        """Clear text of a stored value that may predate encryption (migrations only)."""
        return self.decrypt(column_name, stored) if stored_key_id(stored) else stored

    def blind_index(self, column_name: str, clear: str) -> str:
        normal = normalise(column_name, clear)
        if not normal:
            return ""
        message = f"customer.{column_name}\x00{normal}".encode()
        return hmac.new(self.hash_key, message, hashlib.sha256).hexdigest()


def normalise(column_name: str, clear: str) -> str:
    value = (clear or "").strip()
    if column_name == "id_number":
        return value.upper()
    if column_name == "phone":
        return value.replace(" ", "").replace("-", "")
    return value


# -- where the keys come from -------------------------------------------------------------
def keyring() -> Keyring:
    return _keyring_for(os.environ.get(DATA_KEY_ENV) or "", os.environ.get(HASH_KEY_ENV) or "", str(SECRETS_DIR))


@lru_cache(maxsize=8)
def _keyring_for(data_env: str, hash_env: str, secrets_dir: str) -> Keyring:
    if data_env:
        if not hash_env:
            raise PiiKeyError(f"{HASH_KEY_ENV} must be set when {DATA_KEY_ENV} is")
        data_text, data_where, hash_text, hash_where = data_env, DATA_KEY_ENV, hash_env, HASH_KEY_ENV
    else:
        from portal.data.secret_files import read_or_create_secret

        data_path, hash_path = Path(secrets_dir) / DATA_KEY_FILE, Path(secrets_dir) / HASH_KEY_FILE
        data_text = read_or_create_secret(data_path, lambda: f"k1:{new_key_text()}")
        hash_text = hash_env or read_or_create_secret(hash_path, new_key_text)
        data_where, hash_where = str(data_path), (HASH_KEY_ENV if hash_env else str(hash_path))
    keys = parse_data_keys(data_text, data_where)
    return Keyring(
        keys={key_id: AESGCM(key) for key_id, key in keys.items()},
        current_id=next(iter(keys)),
        hash_key=_decode_key(hash_text, hash_where),
    )


def blind_index(column_name: str, clear: str) -> str:
    return keyring().blind_index(column_name, clear)


# -- the column type and keeping the hashes current ----------------------------------------
class Encrypted(TypeDecorator):
    """A text column stored encrypted (see the module docstring); clear text in Python."""

    impl = String
    cache_ok = True

    def __init__(self, column_name: str, length: int = STORED_LENGTH):
        super().__init__(length)
        self.column_name = column_name

    def process_bind_param(self, value, dialect):
        return None if value is None else keyring().encrypt(self.column_name, value)

    def process_result_value(self, value, dialect):
        return None if value is None else keyring().decrypt(self.column_name, value)


def stored(column_element):
    """The column as stored (ciphertext), for reading or comparing without decrypting."""
    return type_coerce(column_element, String)


def still_holding(session, model, row_id: int, expected: dict) -> list | None:
    """Conditions pinning a row's columns to their stored text, if they still hold the
    ``expected`` clear values; None if any does not. For a guarded (compare-and-set)
    UPDATE of encrypted columns, which cannot be compared with a clear value in SQL."""
    columns = [getattr(model, name) for name in expected]
    found = session.execute(select(*(stored(c) for c in columns)).where(model.id == row_id)).first()
    if found is None:
        return None
    dialect = session.get_bind().dialect
    for col, name, text in zip(columns, expected, found):
        clear = col.type.process_result_value(text, dialect) if isinstance(col.type, Encrypted) else text
        if clear != expected[name]:
            return None
    return [stored(c) == text for c, text in zip(columns, found)]


def seal_fields(values: dict) -> dict:
    """Customer field values with the personal ones encrypted (e.g. kept on a request)."""
    ring = keyring()
    return {k: ring.encrypt(k, v) if k in ENCRYPTED_COLUMNS and v else v for k, v in values.items()}


def open_fields(values: dict) -> dict:
    ring = keyring()
    return {k: ring.reveal(k, v) if k in ENCRYPTED_COLUMNS and v else v for k, v in values.items()}


def hash_default(source: str):
    """Column default of a hash column: computed from the row's clear value on insert
    (bulk Core inserts included)."""

    def default(context) -> str:
        return blind_index(source, context.get_current_parameters().get(source) or "")

    return default


def with_hashes(values: dict) -> dict:
    """Column values plus the hashes of those among them that are indexed."""
    out = dict(values)
    for hash_column, source in HASHED_COLUMNS.items():
        if source in values:
            out[hash_column] = blind_index(source, values[source] or "")
    return out


def keep_hashes(model) -> None:
    """ORM inserts and updates of ``model`` recompute its hash columns."""

    def refresh(_mapper, _connection, target) -> None:
        for hash_column, source in HASHED_COLUMNS.items():
            value = blind_index(source, getattr(target, source) or "")
            if getattr(target, hash_column, None) != value:
                setattr(target, hash_column, value)

    event.listen(model, "before_insert", refresh)
    event.listen(model, "before_update", refresh)


# -- whole-table passes: migration, rotation -----------------------------------------------
# The customer table as these passes see it, independent of the model (migrations run
# against the schema of their revision).
_customer = table(
    "customer",
    column("id"),
    *(column(name, String) for name in ENCRYPTED_COLUMNS),
    *(column(name, String) for name in HASHED_COLUMNS),
)


def reseal_batch(connection: Connection, after_id: int, size: int, *, rekey: bool) -> tuple[int | None, int]:
    """Customers with id > ``after_id`` (``size`` of them): clear values encrypted, values
    under an older key re-encrypted under the current one (``rekey``; otherwise left
    alone), hashes recomputed. Returns (last id seen or None when done, rows changed)."""
    ring = keyring()
    rows = connection.execute(
        select(_customer).where(_customer.c.id > after_id).order_by(_customer.c.id).limit(size)
    ).mappings().all()
    if not rows:
        return None, 0
    changes = []
    for row in rows:
        new = dict(row)
        for name in ENCRYPTED_COLUMNS:
            value = row[name] or ""
            key_id = stored_key_id(value)
            clear = ring.decrypt(name, value) if key_id else value
            if (key_id is None and value) or (rekey and key_id not in (None, ring.current_id)):
                new[name] = ring.encrypt(name, clear)
            if name in HASHED_COLUMNS.values():
                hash_column = next(h for h, s in HASHED_COLUMNS.items() if s == name)
                new[hash_column] = ring.blind_index(name, clear)
        if new != dict(row):
            changes.append({f"new_{k}": v for k, v in new.items()} | {f"old_{k}": row[k] for k in ENCRYPTED_COLUMNS})
    if changes:
        _write(connection, changes, (*ENCRYPTED_COLUMNS, *HASHED_COLUMNS))
    return rows[-1]["id"], len(changes)


def unseal_batch(connection: Connection, after_id: int, size: int) -> tuple[int | None, int]:
    """Decrypts back to clear text (the migration's downgrade)."""
    ring = keyring()
    rows = connection.execute(
        select(_customer.c.id, *(_customer.c[n] for n in ENCRYPTED_COLUMNS))
        .where(_customer.c.id > after_id).order_by(_customer.c.id).limit(size)
    ).mappings().all()
    if not rows:
        return None, 0
    changes = [
        {"new_id": row["id"]}
        | {f"new_{n}": ring.reveal(n, row[n] or "") for n in ENCRYPTED_COLUMNS}
        | {f"old_{n}": row[n] for n in ENCRYPTED_COLUMNS}
        for row in rows
        if any(stored_key_id(row[n] or "") for n in ENCRYPTED_COLUMNS)
    ]
    if changes:
        _write(connection, changes, ENCRYPTED_COLUMNS)
    return rows[-1]["id"], len(changes)


def _write(connection: Connection, changes: list[dict], columns) -> None:
    # Guarded by the values read: a row changed meanwhile by the app is left as the app
    # wrote it (under the current key, with its hashes).
    connection.execute(
        update(_customer)
        .where(_customer.c.id == bindparam("new_id"), *(_customer.c[n] == bindparam(f"old_{n}") for n in ENCRYPTED_COLUMNS))
        .values({n: bindparam(f"new_{n}") for n in columns}),
        changes,
    )


def each_batch(step, connection: Connection, size: int = 1000, **kwargs) -> int:
    """Runs a batch pass over the whole table on one connection; rows changed."""
    after, total = 0, 0
    while after is not None:
        after, changed = step(connection, after, size, **kwargs)
        total += changed
    return total


_request = table("service_request", column("id"), column("details", String))


def reseal_requests_batch(connection: Connection, after_id: int, size: int) -> tuple[int | None, int]:
    """The previous contact details kept on profile requests (``details.previous``),
    re-encrypted under the current key."""
    ring = keyring()
    rows = connection.execute(
        select(_request).where(_request.c.id > after_id, _request.c.details.like('%"previous"%'))
        .order_by(_request.c.id).limit(size)
    ).all()
    if not rows:
        return None, 0
    changes = []
    for request_id, text in rows:
        details = json.loads(text)
        previous = details.get("previous")
        if not isinstance(previous, dict):
            continue
        stale = [k for k in ENCRYPTED_COLUMNS if stored_key_id(previous.get(k) or "") not in (None, ring.current_id)]
        if stale:
            details["previous"] = previous | seal_fields(open_fields({k: previous[k] for k in stale}))
            changes.append({"new_id": request_id, "old_details": text,
                            "new_details": json.dumps(details, ensure_ascii=False)})
    if changes:
        connection.execute(
            update(_request)
            .where(_request.c.id == bindparam("new_id"), _request.c.details == bindparam("old_details"))
            .values(details=bindparam("new_details")),
            changes,
        )
    return rows[-1][0], len(changes)


def rotate(engine, size: int = 1000) -> int:
    """Re-encrypts every value under the current key, one committed batch at a time:
    customers, then the previous details kept on requests. Returns the rows changed."""
    total = 0
    for step, kwargs in ((reseal_batch, {"rekey": True}), (reseal_requests_batch, {})):
        after = 0
        while after is not None:
            with engine.begin() as connection:
                after, changed = step(connection, after, size, **kwargs)
            total += changed
    return total


def key_ids_in_use(connection: Connection) -> Counter:
    counts: Counter = Counter()
    for row in connection.execute(select(*(_customer.c[n] for n in ENCRYPTED_COLUMNS))):
        for value in row:
            counts[stored_key_id(value or "") or ("(empty)" if not value else "(clear)")] += 1
    return counts


def main(argv: list[str] | None = None) -> int:
    from portal.data.db import get_engine

    parser = argparse.ArgumentParser(prog="python -m portal.data.pii", description="personal data keys")
    commands = parser.add_subparsers(dest="command", required=True)
    rotate_cmd = commands.add_parser("rotate", help="re-encrypt every value under the current key")
    rotate_cmd.add_argument("--batch", type=int, default=1000)
    commands.add_parser("status", help="count stored values per key id")
    new_key = commands.add_parser("new-key", help="print a new key entry <id>:<base64>")
    new_key.add_argument("key_id")
    args = parser.parse_args(argv)

    if args.command == "new-key":
        if not _KEY_ID.match(args.key_id):
            parser.error("the id is 1-16 of A-Z a-z 0-9 _ -")
        print(f"{args.key_id}:{new_key_text()}")
        return 0
    engine = get_engine()
    if args.command == "rotate":
        changed = rotate(engine, max(args.batch, 1))
        print(f"re-encrypted {changed} customers under key {keyring().current_id!r}")
    with engine.connect() as connection:
        for key_id, count in sorted(key_ids_in_use(connection).items()):
            print(f"{key_id}: {count} values")
    return 0


if __name__ == "__main__":
    sys.exit(main())
