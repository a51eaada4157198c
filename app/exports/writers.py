"""Tables out as CSV (a stream of bytes) and XLSX (openpyxl write-only, into a temporary file), in
constant memory whatever the number of rows.

A cell a spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`, a tab or a carriage
return) is neutralised: in CSV with a leading `'`, exactly as app.responses.spreadsheet does for
response sheets, and so is such a character right after a `,`, `;`, tab or line break inside a cell (OWASP:
a spreadsheet that splits on another separator, as Excel splits on `;` where the decimal mark is a comma,
would start a new cell there); in XLSX it is stored as a text cell (never a formula) with Excel's own "quote prefix"
style, so the value reads back unchanged and stays text when someone edits the cell.
"""

import csv
import io
import math
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import IO, Any

from app.responses.spreadsheet import neutralise

LIST_SEPARATOR = "; "
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_FLUSH_ROWS = 500  # rows per chunk of a CSV stream
FILE_CHUNK = 64 * 1024
XLSX_CELL_LIMIT = 32_767  # the most characters an Excel cell holds
# What a spreadsheet reads as the start of a formula (the same set app.responses.spreadsheet neutralises).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Inside a CSV cell: a formula character right after a separator or a line break, where a spreadsheet reading
# the file with another separator (`;` in much of the EU) or ignoring the quotes would start a new cell.
_INNER_FORMULA = re.compile(r"(?<=[,;\t\r\n])(?=[=+\-@\t\r])")
_HAS_INNER_FORMULA = re.compile(r"[,;\t\r\n][=+\-@\t\r]")  # the same test, several times faster to search
# Characters XML 1.0 (and so XLSX) cannot carry.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class Table:
    """A named table: its column headers and its rows (any iterable, consumed once)."""

    title: str
    header: Sequence[str]
    rows: Iterable[Sequence[Any]]
    widths: Sequence[int] = ()  # XLSX column widths in characters; default from the header


def text_of(value: Any) -> str:
    """A value as the text a CSV cell holds: lists joined by "; ", booleans yes/no, datetimes in ISO 8601
    UTC with a Z, dates as YYYY-MM-DD, nothing as an empty cell."""
    kind = type(value)
    if kind is str:
        return value  # type: ignore[no-any-return]
    if value is None:
        return ""
    if kind is int:
        return str(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return "" if not math.isfinite(value) else repr(value)
    if isinstance(value, list | tuple):
        return LIST_SEPARATOR.join(text_of(v) for v in value)
    return str(value)


def csv_cell(value: Any) -> str:
    """The cell's text; text a spreadsheet would run as a formula gets a `'` in front, at its start and after
    each separator or line break inside it. A number is written as it is (-3 is the number -3, not a formula,
    and `'-3` would read back as text)."""
    kind = type(value)
    if kind is int or kind is float:
        return text_of(value)
    text = neutralise(value if kind is str else text_of(value))
    return _INNER_FORMULA.sub("'", text) if _HAS_INNER_FORMULA.search(text) else text


def csv_stream(table: Table, *, bom: bool = True) -> Iterator[bytes]:
    """The table as UTF-8 CSV (RFC 4180, CRLF), in chunks of CSV_FLUSH_ROWS rows; with a byte-order mark
    first by default, so that Excel reads the accents right. Only one chunk is ever held in memory."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if bom:
        buffer.write("\ufeff")
    writer.writerow([csv_cell(h) for h in table.header])
    pending = 0
    for row in table.rows:
        writer.writerow([csv_cell(v) for v in row])
        pending += 1
        if pending >= CSV_FLUSH_ROWS:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue().encode("utf-8")


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(index))


def _xlsx_text(text: str) -> str:
    if _ILLEGAL_XML.search(text):
        text = _ILLEGAL_XML.sub("\ufffd", text)
    if len(text) > XLSX_CELL_LIMIT:
        note = f"… (cut: {len(text)} characters; the CSV export has it whole)"
        text = text[: XLSX_CELL_LIMIT - len(note)] + note
    return text


class _XlsxCells:
    """Turns values into what openpyxl's write-only sheet takes, styling formula-like text as text."""

    def __init__(self, sheet: Any) -> None:
        from openpyxl.cell import WriteOnlyCell

        self._sheet = sheet
        self._cell = WriteOnlyCell

    def text_cell(self, text: str) -> Any:
        cell = self._cell(self._sheet, value=text)
        cell.data_type = "s"  # a string, never a formula, whatever it starts with
        cell.quotePrefix = True  # and Excel keeps it text when the cell is edited
        return cell

    def value(self, value: Any) -> Any:
        if type(value) is str:
            text = _xlsx_text(value)
            return self.text_cell(text) if text.startswith(_FORMULA_START) else text
        if value is None or isinstance(value, bool | int):
            return value
        if isinstance(value, float):
            return value if math.isfinite(value) else None
        if isinstance(value, datetime):
            # Excel has no time zones: UTC, as the header says.
            return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
        if isinstance(value, date):
            return value
        text = _xlsx_text(text_of(value))
        return self.text_cell(text) if text.startswith(_FORMULA_START) else text


def write_xlsx(tables: Iterable[Table], out: IO[bytes]) -> dict[str, int]:
    """Writes one sheet per table into `out` with openpyxl in write-only mode (rows go to disk as they
    come, so memory stays flat); returns the rows written per sheet. Header bold and frozen, with a filter."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    counts: dict[str, int] = {}
    for table in tables:
        sheet = workbook.create_sheet(title=table.title[:31])
        sheet.freeze_panes = "A2"
        widths = list(table.widths) or [max(10, min(len(h) + 4, 40)) for h in table.header]
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[_column_letter(index)].width = width
        header = []
        for name in table.header:
            cell = WriteOnlyCell(sheet, value=_xlsx_text(name))
            cell.data_type = "s"
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        cells = _XlsxCells(sheet)
        rows = 0
        for row in table.rows:
            sheet.append([cells.value(v) for v in row])
            rows += 1
        sheet.auto_filter.ref = f"A1:{_column_letter(max(len(table.header), 1))}{rows + 1}"
        counts[table.title] = rows
    workbook.save(out)
    return counts


def xlsx_file(tables: Iterable[Table]) -> tuple[IO[bytes], int]:
    """The workbook in an anonymous temporary file (gone once closed), rewound; and its size in bytes."""
    out = tempfile.TemporaryFile()
    try:
        write_xlsx(tables, out)
        size = out.tell()
        out.seek(0)
    except BaseException:
        out.close()
        raise
    return out, size


def file_chunks(source: IO[bytes]) -> Iterator[bytes]:
    """Streams a file in FILE_CHUNK pieces and closes it at the end (or when the stream is abandoned)."""
    try:
        while chunk := source.read(FILE_CHUNK):
            yield chunk
    finally:
        source.close()
