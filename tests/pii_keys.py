"""The keys every test runs with (set in tests/conftest.py), and an independent reading of
stored personal data: plain AES-GCM and HMAC from the test's own key bytes, not through
portal.data.pii, so a test can check what the module wrote."""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

DATA_KEY = bytes(range(32))
HASH_KEY = bytes(range(100, 132))
DATA_KEY_ENV = f"t1:{base64.b64encode(DATA_KEY).decode()}"
HASH_KEY_ENV = base64.b64encode(HASH_KEY).decode()


def decrypt(column: str, stored: str, key: bytes = DATA_KEY, key_id: str = "t1") -> str:
    """The clear text of a stored value; fails unless it is ``<key_id>:<base64>`` sealed
    with ``key`` and the column ``customer.<column>`` as associated data."""
    prefix, body = stored.split(":", 1)
    assert prefix == key_id, f"stored under key {prefix!r}, expected {key_id!r}"
    raw = base64.b64decode(body)
    return AESGCM(key).decrypt(raw[:12], raw[12:], f"customer.{column}".encode()).decode()


def keyed_hash(column: str, normalised: str) -> str:
    return hmac.new(HASH_KEY, f"customer.{column}\x00{normalised}".encode(), hashlib.sha256).hexdigest()
