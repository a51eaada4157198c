"""A response as a spreadsheet: answers out to CSV and back in, with every bad row named by its line.

No I/O: text in, text or answers out. The answer rules are the service's own (`check_answer`).
"""

import csv
import io
import math
import re
from collections.abc import Sequence
from typing import Any, Protocol

from pydantic import ValidationError

from app.core.errors import InvalidInput, PayloadTooLarge, describe_validation_error
from app.questionnaires.definition import Question, QuestionnaireDef
from app.responses.rules import check_answer
from app.responses.schemas import AnswerIn

MAX_BYTES = 1024 * 1024
COLUMNS = ("question_id", "section", "question", "type", "options", "answer", "na", "na_reason", "comment")
# What an import reads; the other columns are there for the person filling the sheet.
IMPORTED = ("question_id", "answer", "na", "na_reason", "comment")
LIST_SEPARATOR = "; "
# A spreadsheet treats a cell starting with one of these as a formula (CSV injection). The apostrophe is
# included so that text which really starts with one survives the round trip.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ESCAPED_START = (*_FORMULA_START, "'")
_TRUE = {"yes", "true", "1"}
_FALSE = {"", "no", "false", "0"}
_INT = re.compile(r"^[+-]?\d+$")
_EU_DECIMAL = re.compile(r"^[+-]?\d+,\d+$")
MAX_LISTED = 100


class SpreadsheetInvalid(InvalidInput):
    """The file cannot be imported; `problems` holds every one, `detail` the first `MAX_LISTED`."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        listed = "; ".join(problems[:MAX_LISTED])
        more = f"; … and {len(problems) - MAX_LISTED} more" if len(problems) > MAX_LISTED else ""
        super().__init__(f"Nothing was imported. {listed}{more}")


class SpreadsheetTooLarge(PayloadTooLarge):
    pass


class StoredAnswer(Protocol):
    question_id: str
    value: Any
    na: bool
    na_reason: str | None
    comment: str | None


def neutralise(cell: str) -> str:
    """Prefix `'` to a cell a spreadsheet would run as a formula (and to one already starting with `'`)."""
    return f"'{cell}" if cell.startswith(_ESCAPED_START) else cell


def restore(cell: str) -> str:
    """Undo `neutralise`: drop the `'` in front of a formula character or of another `'`."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(_ESCAPED_START) else cell


def _format_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return LIST_SEPARATOR.join(str(v) for v in value)
    return str(value)


def _question_text(question: Question) -> str:
    if question.show_if is None:
        return question.text
    shown_when = " or ".join(question.show_if.in_)
    return f"{question.text} (only when {question.show_if.question} is {shown_when})"


def write_csv(definition: QuestionnaireDef, answers: Sequence[StoredAnswer]) -> str:
    """One row per question in questionnaire order, hidden follow-ups included so they can be filled in.

    `options` lists the values a choice, multi or yes/no question accepts; a multi answer is its values
    joined by "; "; `na` is "yes" for an N/A answer. Every cell is neutralised against formula injection.
    """
    by_id = {a.question_id: a for a in answers}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for section in definition.sections:
        for question in section.questions:
            answer = by_id.get(question.id)
            options = [o.value for o in question.options or ()] if question.type in ("choice", "multi") else []
            if question.type == "yes_no":
                options = ["yes", "no"]
            row = [
                question.id, section.title, _question_text(question), question.type, LIST_SEPARATOR.join(options),
                _format_value(answer.value) if answer else "", "yes" if answer and answer.na else "",
                (answer.na_reason or "") if answer else "", (answer.comment or "") if answer else "",
            ]
            writer.writerow([neutralise(cell) for cell in row])
    return out.getvalue()


def decode(data: bytes | str) -> str:
    """The text of an uploaded file: at most `MAX_BYTES`, UTF-8 (a BOM is dropped), not binary."""
    if isinstance(data, str):
        text = data
    else:
        if len(data) > MAX_BYTES:
            raise SpreadsheetTooLarge(f"The file is larger than {MAX_BYTES} bytes; a response's CSV is far smaller.")
        if b"\x00" in data:
            raise SpreadsheetInvalid(["This is not a CSV file (it contains binary data); export the sheet as CSV."])
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SpreadsheetInvalid(
                [f"The file is not UTF-8 text (byte {exc.start}); save it as \"CSV UTF-8\"."]
            ) from None
    if "\x00" in text:
        raise SpreadsheetInvalid(["This is not a CSV file (it contains binary data); export the sheet as CSV."])
    return text.removeprefix("\ufeff")


def _header(names: list[str]) -> list[str]:
    return [restore(name).strip().lower() for name in names]


def _rows(text: str) -> tuple[str, list[str], list[tuple[int, list[str]]]]:
    """The delimiter (`,`, or `;` when the header reads that way), the header, and each record with the
    line it starts on."""
    first_line = text.split("\n", 1)[0]
    delimiter = ","
    if "question_id" not in _header(next(csv.reader([first_line]), [])) and ";" in first_line:
        delimiter = ";"
    # Strict: an unclosed quote must not swallow the rest of the file into one cell.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records: list[tuple[int, list[str]]] = []
    line = 0
    try:
        header = _header(next(reader, []))
        line = reader.line_num
        for record in reader:
            records.append((line + 1, record))
            line = reader.line_num
    except csv.Error as exc:
        raise SpreadsheetInvalid(
            [f"line {line + 1}: not readable as CSV ({exc}); check the quotes in this row"]
        ) from None
    return delimiter, header, records


def _parse_value(question: Question, raw: str, *, delimiter_is_semicolon: bool) -> Any:
    """The cell as the API would receive it; a cell that does not parse is passed on as text for
    `check_answer` to explain."""
    if question.type == "yes_no":
        return raw.lower()
    if question.type == "multi":
        return [part.strip() for part in re.split(r"[;,]", raw) if part.strip()]
    if question.type == "number":
        number = raw.replace(",", ".") if delimiter_is_semicolon and _EU_DECIMAL.match(raw) else raw
        if _INT.match(number):
            return int(number)
        try:
            parsed = float(number)
        except ValueError:
            return raw
        return parsed if math.isfinite(parsed) else raw
    return raw


def _describe(exc: ValidationError, value: Any) -> list[str]:
    """One message per field; for the answer, only the branch of its union that fits what was written."""
    branch = {str: "function-after", list: "list[", int: "int", float: "float"}.get(type(value), "")
    messages = []
    for err in exc.errors():
        loc = err.get("loc", ())
        if loc[:1] == ("value",):
            if len(loc) > 1 and not str(loc[1]).startswith(branch):
                continue
            err = {**err, "loc": ("answer", *loc[2:])}
        messages.append(describe_validation_error(err))
    return messages


def _flag(raw: str) -> bool | None:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    return None


def read_csv(data: bytes | str, definition: QuestionnaireDef) -> list[AnswerIn]:
    """The answers a CSV (as `write_csv` makes it, possibly edited) gives, in file order.

    A row with an empty answer and `na` not set is skipped: it gives no answer and clears none. Any bad
    row (unknown or repeated question id, an answer its question does not accept, N/A without a reason,
    a comment without an answer) refuses the whole file with every problem listed by line. Accepts `,`
    or `;` as delimiter (Excel in many European locales writes `;`), a UTF-8 BOM, and `'`-neutralised cells.
    """
    text = decode(data)
    if not text.strip():
        raise SpreadsheetInvalid(["The file is empty; export the response as CSV, fill in the answers, upload it."])
    delimiter, header, records = _rows(text)
    missing = [name for name in IMPORTED if name not in header]
    if missing:
        raise SpreadsheetInvalid([
            f"line 1: the header has no {', '.join(missing)} column(s); it must name "
            f"{', '.join(COLUMNS)} (export the response as CSV to get one)"
        ])
    twice = sorted({name for name in header if name and header.count(name) > 1} & set(IMPORTED))
    if twice:
        raise SpreadsheetInvalid([f"line 1: the header names {', '.join(twice)} more than once"])
    index = {name: header.index(name) for name in IMPORTED}
    questions = {q.id: q for q in definition.questions()}
    problems: list[str] = []
    answers: list[AnswerIn] = []
    first_seen: dict[str, int] = {}
    for line, record in records:
        if not any(cell.strip() for cell in record):
            continue
        cells = {name: restore(record[i].strip()) if i < len(record) else "" for name, i in index.items()}
        if extra := [c for c in record[len(header):] if c.strip()]:
            problems.append(f"line {line}: {len(header) + len(extra)} cells but the header names {len(header)}")
            continue
        question_id = cells["question_id"]
        where = f"line {line}: {question_id or '(no question_id)'}"
        if not question_id:
            problems.append(f"{where}: the question_id cell is empty")
            continue
        if question_id in first_seen:
            problems.append(f"{where}: this question is already on line {first_seen[question_id]}")
            continue
        first_seen[question_id] = line
        question = questions.get(question_id)
        if question is None:
            problems.append(f"{where}: no such question in {definition.key} v{definition.version}")
            continue
        na = _flag(cells["na"])
        if na is None:
            problems.append(f"{where}: na must be yes or empty, not '{cells['na'][:40]}'")
            continue
        if not cells["answer"] and not na:
            if cells["comment"] or cells["na_reason"]:
                problems.append(f"{where}: a comment or na_reason needs an answer (or na = yes); "
                                "fill in the answer or clear them")
            continue
        value = None
        if cells["answer"]:
            value = _parse_value(question, cells["answer"], delimiter_is_semicolon=delimiter == ";")
        try:
            answer = AnswerIn(question_id=question_id, value=value, na=na,
                              na_reason=cells["na_reason"] or None, comment=cells["comment"] or None)
        except ValidationError as exc:
            problems.extend(f"line {line}: {question_id}: {message}" for message in _describe(exc, value))
            continue
        if problem := check_answer(question, answer):
            problems.append(f"line {line}: {problem}")
            continue
        answers.append(answer)
    if problems:
        raise SpreadsheetInvalid(problems)
    return answers


def _same(answer: AnswerIn, stored: StoredAnswer) -> bool:
    def norm(value: Any) -> Any:
        return sorted(value) if isinstance(value, list) else value

    return (norm(answer.value), answer.na, answer.na_reason, answer.comment) == (
        norm(stored.value), stored.na, stored.na_reason, stored.comment
    )


def changed_answers(answers: Sequence[AnswerIn], stored: Sequence[StoredAnswer]) -> list[AnswerIn]:
    """The imported answers that differ from what is stored (value, N/A, reason, comment).

    An unchanged row is left alone, so re-importing an export changes nothing: not who answered, not
    when, not the evidence level or compensating control (which the sheet does not carry). A changed
    answer keeps the stored compensating control; its evidence is self-attested, as for any answer
    sent without evidence.
    """
    by_id = {a.question_id: a for a in stored}
    changed = []
    for answer in answers:
        before = by_id.get(answer.question_id)
        if before is not None and _same(answer, before):
            continue
        if before is not None and getattr(before, "compensating_control", None):
            answer = answer.model_copy(update={"compensating_control": before.compensating_control})  # type: ignore[attr-defined]
        changed.append(answer)
    return changed
