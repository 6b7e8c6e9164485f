"""Self-service actions (由查转办): review, step-up check, one transaction, history.

``actions`` holds one spec per action (what it checks, what it writes); ``requests``
runs a spec with idempotency, concurrency guards and progress; ``step_up`` is the
identity check money actions need.
"""
