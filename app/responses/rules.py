"""What makes an answer fit its question: the rules the API, the vendor form and the CSV import share.

Pure: no I/O.
"""

import math
from datetime import date

from app.questionnaires.definition import Question
from app.responses.schemas import AnswerIn

MAX_NUMBER = 1e12


def check_answer(question: Question | None, answer: AnswerIn) -> str | None:
    """Why `answer` does not fit `question`, or None when it does."""
    if question is None:
        return f"{answer.question_id}: no such question in this questionnaire version"
    where = answer.question_id
    if answer.na:
        if not question.na_allowed:
            return f"{where}: this question cannot be answered N/A"
        if not answer.na_reason:
            return f"{where}: N/A needs a reason (na_reason)"
        if answer.value is not None:
            return f"{where}: an N/A answer carries no value"
        return None
    value = answer.value
    if value is None:
        return None  # clears the answer
    kind = question.type
    if kind == "yes_no" and value not in ("yes", "no"):
        return f"{where}: answer 'yes' or 'no'"
    if kind == "choice" and value not in question.answer_values():
        return f"{where}: choose one of {', '.join(sorted(question.answer_values()))}"
    if kind == "multi":
        if not isinstance(value, list) or not value:
            return f"{where}: send a non-empty list of {', '.join(sorted(question.answer_values()))}"
        unknown = [v for v in value if v not in question.answer_values()]
        if unknown or len(set(value)) != len(value):
            return f"{where}: each option once, from {', '.join(sorted(question.answer_values()))}"
    if kind == "number" and (isinstance(value, bool) or not isinstance(value, int | float)
                             or not math.isfinite(value) or abs(value) > MAX_NUMBER):
        return f"{where}: send a number"
    if kind == "text" and not isinstance(value, str):
        return f"{where}: send text"
    if kind == "date":
        try:
            date.fromisoformat(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return f"{where}: send a date as YYYY-MM-DD"
    if kind == "document":
        return f"{where}: a document question is answered by attaching a document, not a value"
    return None
