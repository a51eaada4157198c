"""What `riskreg export …` runs: a register list, the whole register or the record of processing into a
file, replaced atomically and readable by its owner only (it maps where regulated data goes)."""

import os
import tempfile
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import IO

from sqlmodel import Session

from app.core.errors import InvalidInput
from app.dataflows.service import Scope
from app.exports import service as export_service
from app.exports import writers
from app.exports.service import Entity


class What(StrEnum):
    record_of_processing = "record-of-processing"
    register = "register"
    vendors = "vendors"
    integrations = "integrations"
    documents = "documents"
    assessments = "assessments"
    addons = "addons"


class Format(StrEnum):
    csv = "csv"
    xlsx = "xlsx"
    pdf = "pdf"


FORMATS: dict[What, tuple[Format, ...]] = {
    What.record_of_processing: (Format.csv, Format.xlsx, Format.pdf),
    What.register: (Format.xlsx,),
    **{What(e.value): (Format.csv, Format.xlsx) for e in Entity},
}


@dataclass(frozen=True)
class Written:
    path: Path
    bytes: int
    rows: dict[str, int]  # rows per table (per sheet)


def check_format(what: What, fmt: Format) -> None:
    if fmt not in FORMATS[what]:
        allowed = ", ".join(f.value for f in FORMATS[what])
        raise InvalidInput(f"format: {what.value} exports as {allowed}, not {fmt.value}")


class _Counted:
    """Counts the rows of a table as a writer consumes them."""

    def __init__(self, table: writers.Table) -> None:
        self.table = table
        self.rows = 0

    def counted(self) -> writers.Table:
        def rows():  # type: ignore[no-untyped-def]
            for row in self.table.rows:
                self.rows += 1
                yield row

        return writers.Table(self.table.title, self.table.header, rows(), self.table.widths)


def _write(session: Session, what: What, fmt: Format, out: IO[bytes], *, today: date, scope: Scope) -> dict[str, int]:
    from app.core.config import get_settings

    expiring_days = get_settings().document_expiring_days
    if what is What.record_of_processing:
        record = export_service.record_of_processing(session, today=today, expiring_days=expiring_days, scope=scope)
        if fmt is Format.pdf:
            out.write(export_service.record_pdf(record))
            return {"Record of processing": len(record.entries)}
        tables = [export_service.record_table(record)]
    elif what is What.register:
        tables = export_service.register_tables(session, today=today, expiring_days=expiring_days)
    else:
        tables = [export_service.entity_table(session, Entity(what.value), today=today, expiring_days=expiring_days)]
    counters = [_Counted(t) for t in tables]
    if fmt is Format.csv:
        for chunk in writers.csv_stream(counters[0].counted()):
            out.write(chunk)
    else:
        writers.write_xlsx([c.counted() for c in counters], out)
    return {c.table.title: c.rows for c in counters}


def export_to_file(session: Session, what: What, fmt: Format, path: Path, *, today: date,
                   scope: Scope = Scope.current) -> Written:
    """Writes the export to a temporary file beside `path` (created 0600), flushes it to disk, then renames
    it over `path`: a reader never sees half a file, and a failed export leaves the previous one as it was."""
    check_format(what, fmt)
    path = Path(path)
    if path.is_dir():
        raise InvalidInput(f"output: {path} is a folder; give a file name")
    if not path.parent.is_dir():
        raise InvalidInput(f"output: folder {path.parent} does not exist")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            rows = _write(session, what, fmt, out, today=today, scope=scope)
            out.flush()
            os.fsync(out.fileno())
            size = out.tell()
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:  # the rename itself survives a crash once the folder is flushed too
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
    except OSError:
        pass
    return Written(path=path, bytes=size, rows=rows)
