"""Pays out held large loans whose cooling-off day has come (run daily, e.g. from cron).

Pages also release a customer's own held loans when they open the dashboard or the
request list, so nothing waits for this command; it settles everyone else's.

CLI: ``python -m portal.services.servicing.release`` prints how many were decided.
"""

from __future__ import annotations

from portal.data.db import get_engine
from portal.data.schema import upgrade_to_head
from portal.domain.clock import today
from portal.services.servicing.requests import release_held_loans


def main() -> int:
    upgrade_to_head(get_engine())
    decided = release_held_loans(today())
    print(f"held loans decided: {decided}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
