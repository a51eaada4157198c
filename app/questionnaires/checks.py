"""Rules across fields and questions of a questionnaire file. Pure; works on the raw parsed data so
it reports its problems even when the structure has others (every problem in one pass).

Each problem is (path, message); the loader turns the path into a line number.
"""

from collections.abc import Iterator
from typing import Any

Path = tuple[str | int, ...]
_CHOICE_TYPES = ("choice", "multi")


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def cross_checks(data: Any) -> list[tuple[Path, str]]:
    return list(_check(_mapping(data)))


def _check(data: dict[str, Any]) -> Iterator[tuple[Path, str]]:
    questions: dict[str, tuple[Path, dict[str, Any]]] = {}
    order: list[str] = []
    section_ids: set[str] = set()
    for s, section in enumerate(_items(data.get("sections"))):
        section = _mapping(section)
        sid = section.get("id")
        if isinstance(sid, str):
            if sid in section_ids:
                yield ("sections", s, "id"), f"section id '{sid}' is used twice"
            section_ids.add(sid)
        for q, question in enumerate(_items(section.get("questions"))):
            question = _mapping(question)
            path: Path = ("sections", s, "questions", q)
            qid = question.get("id")
            if isinstance(qid, str):
                if qid in questions:
                    yield (*path, "id"), f"question id '{qid}' is used twice (first at {_where(questions[qid][0])})"
                else:
                    questions[qid] = (path, question)
                    order.append(qid)
            yield from _check_question(path, question)
    scored = [q for _, q in questions.values() if _weight(q) > 0 and q.get("type") in _SCORED]
    if questions and not scored:
        yield ("sections",), "no question is scored (every weight is 0): the questionnaire could not score"
    for qid, (path, question) in questions.items():
        yield from _check_show_if(path, qid, question, questions, order)


_SCORED = ("yes_no", "choice", "multi", "number", "document")


def _weight(question: dict[str, Any]) -> float:
    weight = question.get("weight", 1)
    return float(weight) if isinstance(weight, int | float) and not isinstance(weight, bool) else 0.0


def _where(path: Path) -> str:
    return ".".join(str(p) for p in path)


def _answer_values(question: dict[str, Any]) -> set[str] | None:
    kind = question.get("type")
    if kind == "yes_no":
        return {"yes", "no"}
    if kind in _CHOICE_TYPES:
        return {o.get("value") for o in map(_mapping, _items(question.get("options"))) if o.get("value")}
    if kind == "document":
        return {"missing", "expired"}
    return None


def _check_question(path: Path, q: dict[str, Any]) -> Iterator[tuple[Path, str]]:
    kind = q.get("type")
    has = {name for name in ("points", "options", "bands", "points_mode") if q.get(name) is not None}
    expected = {"yes_no": {"points"}, "choice": {"options"}, "multi": {"options", "points_mode"},
                "number": {"bands"}, "text": set(), "date": set(), "document": set()}.get(kind)
    if expected is None:
        return  # unknown type: the structural check reports it
    for extra in sorted(has - expected):
        yield (*path, extra), f"'{extra}' does not apply to a {kind} question"
    scored = _weight(q) > 0
    if kind == "yes_no":
        points = _mapping(q.get("points"))
        if set(points) != {"yes", "no"}:
            yield (*path, "points"), "a yes_no question needs points for exactly 'yes' and 'no'"
        elif scored and max(_num(v) for v in points.values()) != 1:
            yield (*path, "points"), "the best answer must earn 1 point (so all-best scores 100)"
    elif kind in _CHOICE_TYPES:
        options = [_mapping(o) for o in _items(q.get("options"))]
        if len(options) < 2:
            yield (*path, "options"), f"a {kind} question needs at least two options"
        seen: set[Any] = set()
        for i, option in enumerate(options):
            if option.get("value") in seen:
                yield (*path, "options", i, "value"), f"option '{option.get('value')}' is listed twice"
            seen.add(option.get("value"))
        if scored and options and max(_num(o.get("points")) for o in options) != 1:
            yield (*path, "options"), "the best option must earn 1 point (so all-best scores 100)"
    elif kind == "number":
        bands = [_mapping(b) for b in _items(q.get("bands"))]
        if not bands:
            yield (*path, "bands"), "a number question needs bands: [{max: 24, points: 1}, ..., {points: 0}]"
        else:
            limits = [b.get("max") for b in bands[:-1]]
            if any(m is None for m in limits) or bands[-1].get("max") is not None:
                yield (*path, "bands"), "every band but the last needs max; the last has none and takes the rest"
            elif limits != sorted(limits):
                yield (*path, "bands"), "band maxima must increase"
            if scored and max(_num(b.get("points")) for b in bands) != 1:
                yield (*path, "bands"), "the best band must earn 1 point (so all-best scores 100)"
    elif kind == "document" and scored and not _items(q.get("evidence")):
        yield (*path, "evidence"), "a scored document question must list the document types that satisfy it"
    yield from _check_gate(path, q)


def _num(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else -1.0


def _check_gate(path: Path, q: dict[str, Any]) -> Iterator[tuple[Path, str]]:
    gate = q.get("gate")
    if not isinstance(gate, dict) or "when" not in gate:
        return
    when = gate["when"]
    if q.get("type") == "number":
        if not isinstance(when, dict):
            yield (*path, "gate", "when"), "a gate on a number question takes bounds such as {lt: 72}"
        return
    allowed = _answer_values(q)
    if allowed is None:
        yield (*path, "gate"), f"a {q.get('type')} question cannot carry a gate (its answers are not scored)"
        return
    if not isinstance(when, list):
        yield (*path, "gate", "when"), f"list the failing answers, from: {', '.join(sorted(allowed))}"
        return
    for i, value in enumerate(when):
        if value not in allowed:
            yield (*path, "gate", "when", i), f"gate names '{value}', not an answer of this question ({', '.join(sorted(allowed))})"


def _check_show_if(path: Path, qid: str, q: dict[str, Any], questions: dict[str, tuple[Path, dict[str, Any]]],
                   order: list[str]) -> Iterator[tuple[Path, str]]:
    show_if = q.get("show_if")
    if not isinstance(show_if, dict):
        return
    target = show_if.get("question")
    if target not in questions:
        yield (*path, "show_if", "question"), f"show_if names question '{target}', which is not in this file"
        return
    if order.index(target) >= order.index(qid):
        yield (*path, "show_if", "question"), f"show_if must name an earlier question, not '{target}'"
        return
    allowed = _answer_values(questions[target][1])
    if allowed is None:
        yield (*path, "show_if", "question"), f"show_if needs a yes_no, choice, multi or document question, not '{target}'"
        return
    for i, value in enumerate(_items(show_if.get("in"))):
        if value not in allowed:
            yield (*path, "show_if", "in", i), f"'{value}' is not an answer of '{target}' ({', '.join(sorted(allowed))})"
