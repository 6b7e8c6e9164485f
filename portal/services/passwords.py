"""Password hashing: argon2id through passlib (bcrypt is broken with passlib 1.7.4 here).

Parameters: OWASP's Password Storage Cheat Sheet (2024/2025 revision) gives as its first
argon2id configuration **19 MiB of memory, 2 iterations, 1 degree of parallelism**; we use
exactly that minimum. passlib's defaults (64 MiB, 3 passes, 4 lanes) cost about 280 ms
of CPU per login on these machines, so logins topped out near two a second per worker;
the minimum costs about a quarter of it and is still memory-hard.

``verify_and_upgrade`` tells the caller when a stored hash was made with other
parameters (older, or weaker), so that the login which just proved the password can store
a new hash: existing accounts move to the current parameters on their next login. Hashing
is CPU work of tens of milliseconds: callers run it off the event loop (``portal.web.edge``
for logins, ``asyncio.to_thread`` in the page states for step-up checks).
"""

from __future__ import annotations

from passlib.context import CryptContext

ARGON2_MEMORY_KIB = 19 * 1024
ARGON2_TIME_COST = 2
ARGON2_PARALLELISM = 1

_context = CryptContext(
    schemes=["argon2"],
    deprecated="auto",
    argon2__type="ID",
    argon2__memory_cost=ARGON2_MEMORY_KIB,
    argon2__rounds=ARGON2_TIME_COST,
    argon2__parallelism=ARGON2_PARALLELISM,
)


def hash_password(password: str) -> str:
    return _context.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return _context.verify(password, password_hash)
    except (ValueError, TypeError):
        return False


def verify_and_upgrade(password: str, password_hash: str) -> tuple[bool, str | None]:
    """(password correct?, a new hash to store instead, or None when the stored one is current)."""
    try:
        return _context.verify_and_update(password, password_hash)
    except (ValueError, TypeError):
        return False, None
