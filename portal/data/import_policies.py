"""Import a policy file from one of the systems of record into the unified tables.

Every row is checked before anything is written: if any row is bad nothing is imported,
unless ``--skip-bad-rows`` asks to import the good rows and list the bad ones. The good
rows are then written in short batches (``importers.pipeline``), so a large file neither
fills memory nor holds the database. Importing the same file again changes nothing
(ImportBatch keeps each file's sha256, written after the last batch; policies are
upserted by policy number and left alone when their content is equal), and running an
interrupted import again finishes it.

CLI: ``python -m portal.data.import_policies --source life|property FILE
[--skip-bad-rows] [--lang zh|en]`` — exit code 1 when anything was rejected.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlalchemy.engine import Engine

from portal.data.importers import life_core, property_core
from portal.data.importers.common import ImportReport
from portal.data.importers.pipeline import BATCH_SIZE, run_import
from portal.data.schema import upgrade_to_head
from portal.domain.clock import today as clock_today

SOURCES = {"life": life_core, "property": property_core}


def import_file(
    engine: Engine,
    source: str,
    path: str | Path,
    *,
    skip_bad_rows: bool = False,
    today: date | None = None,
    batch_size: int = BATCH_SIZE,
    after_batch: Callable[[int], None] | None = None,
) -> ImportReport:
    """Validate the whole file, then write it in short batches (``importers.pipeline``).
    A rejected file leaves no trace; an interrupted import is finished by running it again.
    ``after_batch(n)`` is called after batch n is committed (tests, progress)."""
    module = SOURCES[source]
    kind = "item" if module is property_core else "line"
    return run_import(
        engine, module, Path(path), kind=kind, skip_bad_rows=skip_bad_rows, today=today or clock_today(),
        batch_size=batch_size, after_batch=after_batch,
    )


def main(argv: list[str] | None = None) -> int:

    from portal.data.catalogue import ensure_products
    from portal.data.db import get_engine, session_scope

    parser = argparse.ArgumentParser(prog="python -m portal.data.import_policies", description="import a policy file")
    parser.add_argument("--source", choices=sorted(SOURCES), required=True, help="life (CSV) or property (JSON)")
    parser.add_argument("file")
    parser.add_argument("--skip-bad-rows", action="store_true", help="import the good rows, list the bad ones")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    args = parser.parse_args(argv)

    engine = get_engine()
    upgrade_to_head(engine)
    with session_scope(engine) as session:
        ensure_products(session)  # the shipped catalogue is reference data, not import data
    report = import_file(engine, args.source, args.file, skip_bad_rows=args.skip_bad_rows)
    for line in report.lines(args.lang):
        print(line)
    return 1 if report.errors else 0


if __name__ == "__main__":
    sys.exit(main())
