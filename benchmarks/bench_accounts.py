"""Customer logins for the load benchmarks, added to a database that already holds the demo data.

The demo data has three customer logins; the generated customers have none. A load test
with many sessions wants many customers, and the page-ratio benchmark wants a customer
with exactly one policy. This adds, with the demo password (``Portal@2026``):

* ``bench001`` … ``benchNNN``: generated customers with ``--policies`` policies each;
* ``bench.one``: a generated customer with exactly one policy.

Only for throw-away benchmark databases (``load_test.py --start`` runs it):

    PORTAL_DB_URL=... python benchmarks/bench_accounts.py --customers 100 --policies 5
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select  # noqa: E402

from portal.data import tables as t  # noqa: E402
from portal.data.db import get_engine, session_scope  # noqa: E402
from portal.data.demo import DEMO_PASSWORD  # noqa: E402
from portal.data.scale import generate  # noqa: E402
from portal.data.schema import upgrade_to_head  # noqa: E402
from portal.services.passwords import hash_password  # noqa: E402

ONE_POLICY_LOGIN = "bench.one"


def bench_username(index: int) -> str:
    """The login of the ``index``-th (0-based) benchmark customer."""
    return f"bench{index + 1:03d}"


def add_accounts(session, customers: int, policies: int, seed: int = 4242) -> list[str]:
    taken = set(session.execute(select(t.UserAccount.username).where(t.UserAccount.username.like("bench%"))).scalars())
    if taken:
        raise SystemExit(f"benchmark logins already exist ({len(taken)}): nothing added")
    password_hash = hash_password(DEMO_PASSWORD)  # one salted hash, shared: hashing 100 times proves nothing
    many = generate(session, customers=customers, policies_per_customer=policies, seed=seed, rng_name="bench-many")
    one = generate(session, customers=1, policies_per_customer=1, seed=seed, rng_name="bench-one")
    names = [bench_username(i) for i in range(customers)] + [ONE_POLICY_LOGIN]
    for username, customer_id in zip(names, [*many.customer_ids, *one.customer_ids], strict=True):
        session.add(t.UserAccount(
            username=username, password_hash=password_hash, role="customer", customer_id=customer_id,
            manager_id=None, failed_attempts=0, locked_until=None,
        ))
    session.flush()
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100, help="benchNNN logins to add (default 100)")
    parser.add_argument("--policies", type=int, default=5, help="policies per benchNNN customer (default 5)")
    args = parser.parse_args(argv)
    if not 0 <= args.customers <= 999 or args.policies < 1:
        parser.error("--customers 0..999, --policies >= 1")
    engine = get_engine()
    upgrade_to_head(engine)
    with session_scope(engine) as session:
        names = add_accounts(session, args.customers, args.policies)
    print(f"added {len(names) - 1} benchmark customers ({args.policies} policies each) and {ONE_POLICY_LOGIN} (1 policy)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
