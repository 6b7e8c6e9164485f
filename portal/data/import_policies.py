"""Import a policy file from one of the systems of record into the unified tables.

One file is one transaction: if any row is bad nothing is imported, unless
``--skip-bad-rows`` asks to import the good rows and list the bad ones. Importing the same
file again changes nothing (ImportBatch keeps each file's sha256; policies are upserted
by policy number and left alone when their content is equal).

CLI: ``python -m portal.data.import_policies --source life|property FILE
[--skip-bad-rows] [--lang zh|en]`` — exit code 1 when anything was rejected.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from portal.data.schema import upgrade_to_head
from portal.data import tables as t
from portal.data.importers import life_core, property_core
from portal.data.importers.common import ImportRejected, ImportReport, RowError, apply_records
from portal.domain.clock import today as clock_today
from portal.domain.clock import utc_now

SOURCES = {"life": life_core, "property": property_core}


def import_bytes(
    session: Session,
    source: str,
    content: bytes,
    *,
    skip_bad_rows: bool = False,
    today: date | None = None,
) -> ImportReport:
    """Import within ``session``. Raises ``ImportRejected`` (with the report) when the file
    must not be imported at all; the caller then rolls the transaction back."""
    module = SOURCES[source]
    kind = "item" if module is property_core else "line"
    digest = hashlib.sha256(content).hexdigest()
    previous = session.execute(
        select(t.ImportBatch.imported_at).where(t.ImportBatch.file_sha256 == digest)
    ).scalar_one_or_none()
    if previous is not None:
        report = ImportReport(module.SOURCE, kind)
        report.already_imported_at = previous
        return report
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        report = ImportReport(module.SOURCE, kind, errors=[RowError("not_utf8", {}, None, kind)], rolled_back=True)
        raise ImportRejected(report) from None

    records, parse_errors = module.parse(text, today or clock_today())
    report = apply_records(
        session, source=module.SOURCE, line=module.LINE, kind=kind, records=records,
        parse_errors=parse_errors, skip_bad_rows=skip_bad_rows,
    )
    if report.created or report.updated or report.unchanged:
        session.add(
            t.ImportBatch(
                source=module.SOURCE,
                file_sha256=digest,
                imported_at=utc_now(),
                row_count=report.created + report.updated + report.unchanged,
            )
        )
        session.flush()
    return report


def import_file(
    engine: Engine,
    source: str,
    path: str | Path,
    *,
    skip_bad_rows: bool = False,
    today: date | None = None,
) -> ImportReport:
    """Import one file in its own transaction; a rejected file leaves no trace."""
    from portal.data.db import session_scope

    try:
        content = Path(path).read_bytes()
    except OSError as exc:
        kind = "item" if source == "property" else "line"
        return ImportReport(
            SOURCES[source].SOURCE, kind, errors=[RowError("file_unreadable", {"detail": exc.strerror or str(exc)}, None, kind)],
            rolled_back=True,
        )
    try:
        with session_scope(engine) as session:
            return import_bytes(session, source, content, skip_bad_rows=skip_bad_rows, today=today)
    except ImportRejected as rejected:
        return rejected.report


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
