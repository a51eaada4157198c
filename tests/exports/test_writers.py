"""The CSV and XLSX writers: values round-trip, formula-like text is neutralised, memory stays per chunk."""

import csv
import io
import re
import zipfile
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from app.exports import writers
from app.exports.writers import Table
from app.responses.spreadsheet import restore

HOSTILE = ['=HYPERLINK("http://x","y")', "+1+2", "-2+3", "@SUM(A1)", "\tTAB", "\rCR", "'quoted"]


def read_csv(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads UTF-8 only with the mark
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def test_csv_cells_that_would_run_as_formulas_are_neutralised_as_the_spreadsheet_module_does():
    data = b"".join(writers.csv_stream(Table("t", ["name"], [[value] for value in HOSTILE])))
    rows = read_csv(data)[1:]

    assert [r[0] for r in rows] == [f"'{v}" for v in HOSTILE]
    assert [restore(r[0]) for r in rows] == HOSTILE  # and read back the way response sheets are


FRAGMENT_BREAKS = re.compile(r"[,;\t\r\n]")


def test_no_piece_of_a_cell_starts_a_formula_wherever_a_spreadsheet_splits_it():
    # OWASP: a separator inside a value must not start a new cell. Excel splits CSV on `;` where the decimal
    # mark is a comma (much of the EU), so `Acme;=cmd|' /C calc'!A0` would be the cells `Acme` and a DDE formula.
    values = ["Acme;=cmd|' /C calc'!A0", "b,=1+1", "c\t=1+1", "d;\t=1+1", "notes\n+2+3", "e\r\n@SUM(A1)",
              "=x;-y", "IE; DE", "a;b", "plain"]
    data = b"".join(writers.csv_stream(Table("t", ["a", "b"], [[1, v] for v in values]), bom=False)).decode()

    # Whatever the separator, and even with the quotes ignored, no piece starts with a formula character.
    pieces = [p.removeprefix('"') for p in FRAGMENT_BREAKS.split(data)]
    assert not [p for p in pieces if p.startswith(("=", "+", "-", "@"))]
    read = [r[1] for r in csv.reader(io.StringIO(data, newline=""))][1:]
    assert read[0] == "Acme;'=cmd|' /C calc'!A0" and read[4] == "notes\n'+2+3" and read[6] == "'=x;'-y"
    assert read[7:] == ["IE; DE", "a;b", "plain"]  # nothing else changes


def test_numbers_are_written_as_numbers_not_neutralised_text():
    # A document that expired three days ago has days_left -3: a number, not a formula, so no `'`.
    data = b"".join(writers.csv_stream(Table("t", ["days_left", "x", "text"], [[-3, -2.5, "-3"]])))
    assert read_csv(data)[1] == ["-3", "-2.5", "'-3"]  # text that looks like a formula still is neutralised


@pytest.mark.parametrize(("value", "text"), [
    (None, ""), (True, "yes"), (False, "no"), (3, "3"), (2.5, "2.5"), (float("nan"), ""),
    (date(2026, 11, 29), "2026-11-29"), (datetime(2026, 11, 29, 10, 30, tzinfo=UTC), "2026-11-29T10:30:00Z"),
    (["IE", "DE"], "IE; DE"), ((), ""), ("naïve café ✓", "naïve café ✓"),
])
def test_csv_text_of_each_kind_of_value(value, text):
    assert writers.text_of(value) == text


def test_csv_is_streamed_in_chunks(monkeypatch):
    monkeypatch.setattr(writers, "CSV_FLUSH_ROWS", 10)
    produced = []

    def rows():
        for n in range(35):
            produced.append(n)
            yield [n, f"row {n}"]

    chunks = []
    for chunk in writers.csv_stream(Table("t", ["n", "label"], rows())):
        chunks.append((len(produced), chunk))
    assert [seen for seen, _ in chunks] == [10, 20, 30, 35]  # each chunk leaves before the next rows are read
    assert len(read_csv(b"".join(c for _, c in chunks))) == 36


def test_xlsx_round_trips_values_and_keeps_formula_like_text_as_text(tmp_path):
    moment = datetime(2026, 11, 29, 10, 30, 5, tzinfo=UTC)
    rows = [[1, "plain", moment, date(2026, 1, 31), True, 2.5, None, ["a", "b"]]] + [[i, v] for i, v in enumerate(HOSTILE, 2)]
    out = tmp_path / "t.xlsx"
    with out.open("wb") as f:
        counts = writers.write_xlsx([Table("Vendors", ["id", "name", "at", "on", "flag", "x", "none", "list"], rows)], f)
    assert counts == {"Vendors": len(rows)}

    sheet = load_workbook(out)["Vendors"]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == ("id", "name", "at", "on", "flag", "x", "none", "list")
    assert values[1] == (1, "plain", moment.replace(tzinfo=None), datetime(2026, 1, 31), True, 2.5, None, "a; b")
    for row, value in zip(sheet.iter_rows(min_row=3), HOSTILE, strict=True):
        cell = row[1]
        assert cell.value == value and cell.data_type == "s"  # the exact text, never a formula
        if value[0] in "=+-@\t\r":
            assert cell.quotePrefix  # Excel shows it as text and keeps it text when edited
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == f"A1:H{len(rows) + 1}"
    sheet_xml = zipfile.ZipFile(out).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml  # no formula anywhere in the file


def test_xlsx_drops_what_xml_cannot_hold_and_cuts_what_a_cell_cannot(tmp_path):
    long = "x" * 40_000
    source, size = writers.xlsx_file([Table("T", ["a", "b"], [["bell\x07", long]])])
    try:
        sheet = load_workbook(source)["T"]
    finally:
        source.close()
    a, b = next(sheet.iter_rows(min_row=2, values_only=True))
    assert a == "bell\ufffd"
    assert len(b) == writers.XLSX_CELL_LIMIT and b.endswith("the CSV export has it whole)")
    assert size > 0


def test_file_chunks_closes_the_file():
    source = io.BytesIO(b"a" * (writers.FILE_CHUNK + 10))
    assert [len(c) for c in writers.file_chunks(source)] == [writers.FILE_CHUNK, 10]
    assert source.closed
