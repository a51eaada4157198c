"""The assessment record's view model: what the signed PDF shows, built from the frozen snapshot and
the decision and already formatted as text, so the template only lays it out.

Pure: standard library and the snapshot model; no I/O, no settings, no clock.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

from app.assessments.snapshot import AnswerRow, ResponseSnap, Snapshot

TEXT_CAP = 4_000  # characters of one free-text field (answers, comments, reasons, filtering)
SHORT_CAP = 300  # characters of a name, title, label or code
LIST_CAP = 100  # items of one list (fields shared, conditions, countries)
HEAD_CAP = 48  # characters of the integration name in the page header
NONE = "—"

Tone = str  # "", "ok", "warn" or "bad": a CSS class suffix taken from the tables below, never user text


@dataclass(frozen=True)
class Decision:
    """The decision part of an assessment, as the service read it from the row."""

    assessment_id: int
    status: str  # draft | in_review | decided | signed | superseded | expired
    decision: str | None  # approve | approve_with_conditions | reject
    reason: str | None
    conditions: list[str]
    reviewer: str | None
    reviewed_at: datetime | None
    signer: str | None
    signed_at: datetime | None
    valid_until: date | None
    supersedes_id: int | None


@dataclass(frozen=True)
class Item:
    """One labelled value of a definition list."""

    label: str
    value: str
    tone: Tone = ""
    mono: bool = False  # hashes and codes: monospace, wrapped anywhere


@dataclass(frozen=True)
class SubprocessorRow:
    name: str
    purpose: str
    country: str


@dataclass(frozen=True)
class DocumentRow:
    type: str
    title: str
    file_name: str
    sha256: str
    signed_on: str
    effective_on: str
    expires_on: str
    status: str
    tone: Tone
    transfer_mechanism: str


@dataclass(frozen=True)
class QuestionnaireRow:
    key: str
    version: str
    title: str
    content_hash: str
    response_id: str
    submitted: str
    assurance: str
    residual: str
    verdict: str
    tone: Tone
    inputs_hash: str


@dataclass(frozen=True)
class AnswerView:
    number: str  # "2.3": section 2, question 3
    question_id: str
    question: str
    answer: str  # option label(s) or the formatted value; "Not answered", "N/A", "Not asked"
    value: str  # the stored value(s) when they differ from what `answer` shows, else ""
    na_reason: str
    comment: str
    evidence: str
    compensating: str  # the control and whether a reviewer accepted it, or ""
    reviewer_points: str
    answered_by: str
    status: str  # answered | not answered | N/A | not asked | not scored
    points: str  # "0.80 × 0.85 = 0.68"
    weight: str
    tone: Tone


@dataclass(frozen=True)
class SectionScoreRow:
    title: str
    weight: str
    score: str  # 0–100, or "not counted"
    answered: int
    unanswered: int
    na: int
    not_asked: int


@dataclass(frozen=True)
class SectionView:
    number: str
    title: str
    answers: tuple[AnswerView, ...]


@dataclass(frozen=True)
class ResponseView:
    heading: str  # "Baseline security (baseline-security v1)"
    summary: tuple[Item, ...]
    breakdown: tuple[SectionScoreRow, ...]
    sections: tuple[SectionView, ...]


@dataclass(frozen=True)
class GateRow:
    id: str
    source: str
    status: str
    tone: Tone
    severity: str
    message: str
    notes: str  # any further facts the gate carries (questionnaire, exception), "key: value; ..."


@dataclass(frozen=True)
class FindingRow:
    where: str  # question or policy id, with its questionnaire when known
    severity: str
    tone: Tone
    text: str
    remediation: str


@dataclass(frozen=True)
class RecordView:
    """Everything the record template shows, as text. Frozen and picklable (it crosses to the
    rendering worker process)."""

    assessment_id: int
    title: str  # the PDF's title
    running_head: str  # the page header
    created: str  # W3C date-time for the PDF metadata: signed_at, else taken_at
    draft_notice: str  # "" for a signed record
    integration_name: str
    vendor_name: str  # display name, with the legal name when it differs
    headline: str  # the decision, in words
    headline_tone: Tone
    cover: tuple[Item, ...]
    integration: tuple[Item, ...]
    data_flow: tuple[Item, ...]
    fields_shared: tuple[str, ...]
    heroku: tuple[Item, ...]  # empty when the integration is not an add-on
    vendor: tuple[Item, ...]
    subprocessors: tuple[SubprocessorRow, ...]
    documents: tuple[DocumentRow, ...]
    questionnaires: tuple[QuestionnaireRow, ...]
    responses: tuple[ResponseView, ...]
    gates: tuple[GateRow, ...]
    findings: tuple[FindingRow, ...]
    decision: tuple[Item, ...]
    conditions: tuple[str, ...]
    sign_off: tuple[Item, ...]
    provenance: tuple[Item, ...]


# --- labels ------------------------------------------------------------------------------------

DECISIONS = {
    "approve": ("Approved", "ok"),
    "approve_with_conditions": ("Approved with conditions", "warn"),
    "reject": ("Rejected", "bad"),
}
STATUSES = {
    "draft": "Draft", "in_review": "In review", "decided": "Decided", "signed": "Signed",
    "superseded": "Superseded", "expired": "Expired",
}
CATEGORIES = {
    "none": "None", "business_contact": "Business contact details",
    "customer_personal": "Customer personal data", "special_category": "Special category data (GDPR Art. 9)",
    "phi": "Protected health information (HIPAA)", "cardholder": "Cardholder data (PCI DSS)",
    "credentials": "Credentials", "logs_telemetry": "Logs and telemetry", "financial": "Financial data",
}
ACCESS = {"none": "None", "read": "Read", "write": "Write", "admin": "Admin"}
VOLUMES = {
    "lt_1k": "Fewer than 1,000 records", "lt_100k": "Fewer than 100,000 records",
    "lt_10m": "Fewer than 10 million records", "gte_10m": "10 million records or more",
}
KINDS = {"heroku_addon": "Heroku add-on", "saas": "SaaS", "api": "API", "other": "Other"}
SUBSTITUTABILITY = {"easy": "Easy to replace", "hard": "Hard to replace", "none": "No substitute"}
TIER_TONES = {"low": "ok", "medium": "", "high": "warn", "critical": "bad"}
DOCUMENT_TYPES = {
    "dpa": "DPA", "baa": "BAA", "scc": "SCC", "msa": "MSA", "soc2_type2": "SOC 2 Type II",
    "iso27001": "ISO 27001", "pci_aoc": "PCI AoC", "pen_test": "Penetration test", "insurance": "Insurance",
    "other": "Other",
}
DOCUMENT_STATUSES = {
    "in_force": ("In force", "ok"), "expiring": ("Expiring", "warn"), "pending": ("Not yet effective", "warn"),
    "expired": ("Expired", "bad"), "superseded": ("Superseded", "bad"),
}
MECHANISMS = {"none": "None", "adequacy": "Adequacy decision", "scc": "SCC", "bcr": "BCR", "dpf": "DPF"}
EVIDENCE = {
    "self_attested": "Self-attested", "document": "Backed by a document",
    "independent": "Independently attested, in date",
}
GATE_STATUSES = {
    "passed": ("Passed", "ok"), "failed": ("Failed", "bad"), "not_answered": ("Not answered", "bad"),
    "lifted": ("Lifted by exception", "warn"),
}
SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}
GATE_FIELDS = ("id", "source", "status", "severity", "message")


# --- text --------------------------------------------------------------------------------------

# C0/C1 controls except tab and newline, and lone surrogates (they cannot be encoded at all).
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def clean(value: object) -> str:
    """`value` as display text: CRLF and CR become newlines, other control characters and lone
    surrogates become U+FFFD, so what the record shows is exactly what was stored, made visible."""
    text = value if isinstance(value, str) else str(value)
    return _UNPRINTABLE.sub("\ufffd", text.replace("\r\n", "\n").replace("\r", "\n"))


def truncate(value: object, cap: int = TEXT_CAP) -> str:
    """At most `cap` characters of `value`, then "… (N more characters)" saying how much was left out.

    The full text is in the attached snapshot; the record shows enough to read, within a page budget.
    """
    text = clean(value)
    if len(text) <= cap:
        return text
    cut = len(text) - cap
    return f"{text[:cap]}… ({cut:,} more character{'s' if cut != 1 else ''})"


def _short(value: object) -> str:
    return NONE if value is None or value == "" else truncate(value, SHORT_CAP)


def _long(value: object) -> str:
    return NONE if value is None or value == "" else truncate(value, TEXT_CAP)


def _label(labels: Mapping[str, str], value: object) -> str:
    if value is None:
        return NONE
    return labels.get(value, _short(value)) if isinstance(value, str) else _short(value)


def _items(values: Iterable[object], cap: int = LIST_CAP) -> tuple[str, ...]:
    items = [truncate(v, SHORT_CAP) for v in values]
    if len(items) > cap:
        return (*items[:cap], f"… and {len(items) - cap:,} more")
    return tuple(items)


def _joined(values: Iterable[object], labels: Mapping[str, str] | None = None, *, empty: str = NONE) -> str:
    shown = [_label(labels, v) if labels is not None else v for v in values]
    items = _items(shown)
    return ", ".join(items) if items else empty


def _datetime(value: datetime | None) -> str:
    """UTC, to the minute; a naive value is taken to be UTC already (the register stores UTC)."""
    if value is None:
        return NONE
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M UTC")


def _date(value: date | None) -> str:
    return NONE if value is None else value.isoformat()


def _w3c(value: datetime) -> str:
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _yes_no(value: bool | None, *, unknown: str = "Not known") -> str:
    return unknown if value is None else "Yes" if value else "No"


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0")


def _score(value: float | None) -> str:
    return "not counted" if value is None else f"{value * 100:.1f}"


def _tier(value: str) -> tuple[str, Tone]:
    return _short(value), TIER_TONES.get(value, "")


# --- answers -----------------------------------------------------------------------------------

def _question_defs(definition: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {q["id"]: q for s in definition.get("sections", ()) for q in s.get("questions", ())}


def _question_scores(score: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {q["question_id"]: q for s in score.get("sections", ()) for q in s.get("questions", ())}


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _shown_value(row: AnswerRow, question: Mapping[str, Any], raw: Mapping[str, Any] | None) -> tuple[str, str]:
    """What the answer says in words, and the stored value(s) when the words differ from them."""
    value = row.value
    kind = row.type
    if kind == "document":
        in_date = bool(raw and raw.get("document_in_date"))
        words = "In-date document attached" if in_date else "No in-date document attached"
        return (f"{words}: {_short(value)}" if value not in (None, "") else words), ""
    if value is None or value == "" or value == []:
        return "", ""
    if kind == "yes_no" and isinstance(value, str):
        return {"yes": "Yes", "no": "No"}.get(value, _short(value)), ""
    if kind in ("choice", "multi"):
        labels = {o["value"]: o.get("label", o["value"]) for o in question.get("options") or ()}
        chosen = _as_list(value)
        words = "; ".join(_items(labels.get(v, v) if isinstance(v, str) else v for v in chosen))
        codes = ", ".join(_items(chosen))
        return words, ("" if words == codes else codes)
    if kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        return _number(value), ""
    return truncate(value), ""


def shown_answers(response: Mapping[str, Any]) -> dict[str, str]:
    """Each answer of a snapshot's response (its JSON) in words, as the record prints it: option labels rather
    than stored codes, Yes/No, numbers without noise. For pages that show the snapshot."""
    questions = _question_defs(response.get("definition") or {})
    raw = {a["question_id"]: a for a in response.get("answers") or () if "question_id" in a}
    shown = {}
    for row in response.get("rows") or ():
        answer = SimpleNamespace(value=row.get("value"), type=row.get("type"))
        words, _codes = _shown_value(answer, questions.get(row["question_id"], {}), raw.get(row["question_id"]))  # type: ignore[arg-type]
        shown[row["question_id"]] = words
    return shown


def _points(scored: Mapping[str, Any] | None) -> tuple[str, str, str, Tone]:
    """(status, points, weight, tone) from the scorer's breakdown of one question."""
    if scored is None:
        return "not scored", NONE, NONE, ""
    status = scored.get("status")
    weight = _number(float(scored.get("weight") or 0))
    if status == "answered":
        points, confidence, earned = (float(scored.get(k) or 0) for k in ("points", "confidence", "earned"))
        tone = "ok" if points >= 1 else "bad" if points == 0 else "warn"
        return "answered", f"{points:.2f} × {confidence:.2f} = {earned:.2f}", weight, tone
    if status == "unanswered":
        return "not answered", "0", weight, "bad"
    if status == "na":
        return "N/A", "not counted", NONE, ""
    if status == "hidden":
        return "not asked", "not counted", NONE, ""
    return "not scored", "not counted", NONE, ""


def _answer(number: str, row: AnswerRow, question: Mapping[str, Any], raw: Mapping[str, Any] | None,
            scored: Mapping[str, Any] | None) -> AnswerView:
    status, points, weight, tone = _points(scored)
    words, codes = _shown_value(row, question, raw)
    if row.na:
        answer = "N/A"
    elif status == "not asked":
        answer = "Not asked (the question it depends on ruled it out)"
    else:
        answer = words or "Not answered"
    if row.compensating_control:
        verdict = {True: "accepted by the reviewer", False: "not accepted by the reviewer"}.get(
            row.compensating_accepted, "not yet reviewed")  # type: ignore[arg-type]
        compensating = f"{truncate(row.compensating_control)} ({verdict})"
    else:
        compensating = ""
    return AnswerView(
        number=number,
        question_id=_short(row.question_id),
        question=truncate(row.question),
        answer=answer,
        value=codes,
        na_reason=truncate(row.na_reason) if row.na and row.na_reason else "",
        comment=truncate(row.comment) if row.comment else "",
        evidence=_label(EVIDENCE, row.evidence),
        compensating=compensating,
        reviewer_points=NONE if row.reviewer_points is None else f"{row.reviewer_points:.2f}",
        answered_by=_short(row.answered_by),
        status=status,
        points=points,
        weight=weight,
        tone=tone,
    )


def _response(response: ResponseSnap) -> ResponseView:
    definition = response.definition
    questions = _question_defs(definition)
    titles = {s["id"]: s.get("title", s["id"]) for s in definition.get("sections", ())}
    scores = _question_scores(response.score)
    raw_answers = {a["question_id"]: a for a in response.answers if "question_id" in a}
    score = response.score

    order = [s["id"] for s in definition.get("sections", ())]
    by_section: dict[str, list[AnswerRow]] = {}
    for row in response.rows:
        by_section.setdefault(row.section, []).append(row)
    order += [s for s in by_section if s not in order]  # rows of a section the definition lacks still show

    sections = []
    for s_index, section_id in enumerate((s for s in order if s in by_section), start=1):
        answers = tuple(
            _answer(f"{s_index}.{q_index}", row, questions.get(row.question_id, {}), raw_answers.get(row.question_id),
                    scores.get(row.question_id))
            for q_index, row in enumerate(by_section[section_id], start=1)
        )
        sections.append(SectionView(str(s_index), _short(titles.get(section_id, section_id)), answers))

    breakdown = []
    for section in score.get("sections", ()):
        statuses = [q.get("status") for q in section.get("questions", ())]
        breakdown.append(SectionScoreRow(
            title=_short(titles.get(section.get("section_id"), section.get("section_id"))),
            weight=_number(float(section.get("weight") or 0)),
            score=_score(section.get("score")),
            answered=statuses.count("answered"),
            unanswered=statuses.count("unanswered"),
            na=statuses.count("na"),
            not_asked=statuses.count("hidden"),
        ))

    inherent = score.get("inherent") or {}
    residual, residual_tone = _tier(score.get("residual", NONE))
    verdict = score.get("verdict")
    summary = (
        Item("Questionnaire", f"{_short(response.questionnaire_key)} version {response.questionnaire_version}"),
        Item("Content hash (SHA-256)", _short(response.content_hash), mono=True),
        Item("Response", f"#{response.response_id}"),
        Item("Submitted", _submitted(response)),
        Item("Assurance", _assurance(score.get("assurance"))),
        Item("Inherent exposure", f"{_short(inherent.get('tier', NONE))} ({_short(inherent.get('reason', NONE))})"),
        Item("Residual risk", residual, residual_tone),
        Item("Verdict", _verdict(verdict), "bad" if verdict == "blocked" else "ok" if verdict == "pass" else ""),
        Item("Scorer and inputs hash", f"{_short(score.get('scorer', NONE))} · {_short(score.get('inputs_hash', NONE))}",
             mono=True),
    )
    heading = f"{_short(response.questionnaire_title)} ({_short(response.questionnaire_key)} v{response.questionnaire_version})"
    return ResponseView(heading, summary, tuple(breakdown), tuple(sections))


def _submitted(response: ResponseSnap) -> str:
    if response.submitted_at is None:
        return "Not submitted"
    by = f" by {_short(response.submitted_by)}" if response.submitted_by else ""
    return f"{_datetime(response.submitted_at)}{by}"


def _assurance(value: float | None) -> str:
    return "Not assessed (no response covered)" if value is None else f"{float(value):.2f} / 100"


def _verdict(value: str | None, failed: int | None = None) -> str:
    if value == "pass":
        return "Pass"
    if value == "blocked":
        return "Blocked" + (f" by {failed} gate{'s' if failed != 1 else ''}" if failed else "")
    return _short(value)


# --- gates and findings ------------------------------------------------------------------------

def _notes(entry: Mapping[str, Any], known: Iterable[str]) -> str:
    extra = [(k, v) for k, v in entry.items() if k not in known and v not in (None, "", [], {})]
    return "; ".join(f"{_short(k)}: {_short(v)}" for k, v in extra)


def _gate(entry: Mapping[str, Any]) -> GateRow:
    status = entry.get("status")
    label, tone = GATE_STATUSES.get(status, (_short(status), "warn")) if isinstance(status, str) else (NONE, "warn")
    return GateRow(
        id=_short(entry.get("id")),
        source={"question": "Question", "policy": "Policy"}.get(entry.get("source"), _short(entry.get("source"))),  # type: ignore[arg-type]
        status=label,
        tone=tone,
        severity=_short(entry.get("severity")),
        message=_long(entry.get("message")),
        notes=_notes(entry, GATE_FIELDS),
    )


def _finding(entry: Mapping[str, Any]) -> FindingRow:
    severity = entry.get("severity")
    where = entry.get("question_id")
    questionnaire = entry.get("questionnaire") or entry.get("questionnaire_key")
    return FindingRow(
        where=f"{_short(questionnaire)} · {_short(where)}" if questionnaire else _short(where),
        severity=_short(severity),
        tone={"critical": "bad", "high": "bad", "medium": "warn"}.get(severity, ""),  # type: ignore[arg-type]
        text=_long(entry.get("text")),
        remediation=_long(entry.get("remediation")),
    )


def _severity_rank(entry: Mapping[str, Any]) -> int:
    return SEVERITY_ORDER.get(entry.get("severity"), len(SEVERITY_ORDER))  # type: ignore[arg-type]


def _gate_rank(entry: Mapping[str, Any]) -> int:
    return {"failed": 0, "not_answered": 1}.get(entry.get("status"), 2)  # type: ignore[arg-type]


# --- the record --------------------------------------------------------------------------------

def build_record(snapshot: Snapshot, decision: Decision) -> RecordView:
    """The record as the PDF shows it. Every free-text field is cleaned of control characters and cut
    to TEXT_CAP (names and codes to SHORT_CAP, lists to LIST_CAP items) with a note saying how much was
    cut; the attached snapshot keeps the full text. Failed gates and the most severe findings come
    first. Deterministic: the same snapshot and decision give the same view.
    """
    integration, vendor, overall = snapshot.integration, snapshot.vendor, snapshot.overall
    decision_label, decision_tone = DECISIONS.get(decision.decision or "", (
        _short(decision.decision) if decision.decision else "No decision recorded", ""))
    residual, residual_tone = _tier(overall.residual)
    inherent, inherent_tone = _tier(overall.inherent)
    failed = sum(1 for g in overall.gates if g.get("status") not in ("passed", "lifted"))
    verdict_tone = "bad" if overall.verdict == "blocked" else "ok" if overall.verdict == "pass" else ""
    signed = decision.signer is not None and decision.signed_at is not None
    integration_name, vendor_name = _short(integration.name), _short(vendor.name)

    cover = (
        Item("Integration", f"{integration_name} ({_label(KINDS, integration.kind)})"),
        Item("Vendor", vendor_name if vendor.name == vendor.legal_name else f"{vendor_name} ({_short(vendor.legal_name)})"),
        Item("Decision", decision_label, decision_tone),
        Item("Residual risk", residual, residual_tone),
        Item("Inherent exposure", f"{inherent} ({_short(integration.inherent_driver)})", inherent_tone),
        Item("Assurance", _assurance(overall.assurance)),
        Item("Verdict", _verdict(overall.verdict, failed), verdict_tone),
        Item("Valid until", _date(decision.valid_until)),
        Item("Reviewed by", _signature(decision.reviewer, decision.reviewed_at)),
        Item("Signed by", _signature(decision.signer, decision.signed_at, missing="Not signed")),
        Item("Status", _label(STATUSES, decision.status)),
        Item("Snapshot taken", f"{_datetime(snapshot.taken_at)} (documents judged on {_date(snapshot.taken_on)})"),
    )

    integration_items = (
        Item("Name", integration_name),
        Item("Kind", _label(KINDS, integration.kind)),
        Item("Purpose", _long(integration.purpose)),
        Item("Status when taken", _short(integration.status)),
        Item("Business criticality", _short(integration.business_criticality)),
        Item("Substitutability", _label(SUBSTITUTABILITY, integration.substitutability)),
        Item("Inherent exposure", f"{inherent}, set by {_short(integration.inherent_driver)}", inherent_tone),
    )
    data_flow = (
        Item("Data categories", _joined(integration.data_categories, CATEGORIES, empty="None declared")),
        Item("Access granted", _label(ACCESS, integration.access)),
        Item("Volume", _label(VOLUMES, integration.volume)),
        Item("How the data is filtered", _long(integration.data_filtering) if integration.data_filtering
             else "No filtering layer described"),
        Item("Transfer countries", _joined(integration.transfer_countries, empty="None")),
        Item("Vendor data locations", _joined(vendor.data_locations, empty="None declared")),
    )

    heroku: tuple[Item, ...] = ()
    if snapshot.heroku is not None:
        h = snapshot.heroku
        installed = (f"{_short(h.installation)} ({_short(h.installation_state)})" if h.installation
                     else "Not seen installed by an import")
        heroku = (
            Item("App", _short(h.app)),
            Item("Space", _short(h.space) if h.space else "Not known"),
            Item("Shield", _yes_no(h.shield)),
            Item("Data the app holds", _joined(h.app_data_categories, CATEGORIES, empty="None declared")),
            Item("Plan", _short(h.plan) if h.plan else "Not known"),
            Item("Plan compliance", "Not known (plan details not looked up)" if h.plan_compliance is None
                 else _joined(h.plan_compliance, empty="None listed")),
            Item("Installable inside a private network", _yes_no(h.installable_inside_private_network)),
            Item("Installation", installed),
        )

    vendor_items = (
        Item("Name", vendor_name),
        Item("Legal name", _short(vendor.legal_name)),
        Item("Country", _short(vendor.country)),
        Item("Website", _short(vendor.website)),
        Item("Status when taken", _short(vendor.status)),
        Item("Data locations", _joined(vendor.data_locations, empty="None declared")),
    )
    subprocessors = tuple(
        SubprocessorRow(_short(s.get("name")), _long(s.get("purpose")), _short(s.get("country")))
        for s in vendor.subprocessors[:LIST_CAP]
    )
    if len(vendor.subprocessors) > LIST_CAP:
        subprocessors += (SubprocessorRow(f"… and {len(vendor.subprocessors) - LIST_CAP:,} more", "", ""),)

    documents = []
    for doc in sorted(snapshot.documents, key=lambda d: (d.status not in ("in_force", "expiring"), d.type, d.id)):
        status, tone = DOCUMENT_STATUSES.get(doc.status, (_short(doc.status), ""))
        documents.append(DocumentRow(
            type=_label(DOCUMENT_TYPES, doc.type), title=_short(doc.title), file_name=_short(doc.file_name),
            sha256=_short(doc.sha256), signed_on=_date(doc.signed_on), effective_on=_date(doc.effective_on),
            expires_on=_date(doc.expires_on), status=status, tone=tone,
            transfer_mechanism=_label(MECHANISMS, doc.transfer_mechanism),
        ))

    questionnaires = []
    for response in snapshot.responses:
        verdict = response.score.get("verdict")
        questionnaires.append(QuestionnaireRow(
            key=_short(response.questionnaire_key), version=str(response.questionnaire_version),
            title=_short(response.questionnaire_title), content_hash=_short(response.content_hash),
            response_id=f"#{response.response_id}", submitted=_submitted(response),
            assurance=_assurance(response.score.get("assurance")),
            residual=_short(response.score.get("residual", NONE)), verdict=_verdict(verdict),
            tone="bad" if verdict == "blocked" else "ok" if verdict == "pass" else "",
            inputs_hash=_short(response.score.get("inputs_hash", NONE)),
        ))

    gates = tuple(_gate(g) for g in sorted(overall.gates, key=_gate_rank))
    findings = tuple(_finding(f) for f in sorted(overall.findings, key=_severity_rank))

    decision_items = (
        Item("Decision", decision_label, decision_tone),
        Item("Reason", _long(decision.reason)),
        Item("Valid until", _date(decision.valid_until)),
        Item("Supersedes", f"Assessment #{decision.supersedes_id}" if decision.supersedes_id else NONE),
    )
    sign_off = (
        Item("Reviewer", _short(decision.reviewer)),
        Item("Reviewed at", _datetime(decision.reviewed_at)),
        Item("Legal signer", _short(decision.signer)),
        Item("Signed at", _datetime(decision.signed_at)),
    )
    provenance = (
        Item("Snapshot format", _short(snapshot.format), mono=True),
        Item("Scorer", _short(snapshot.scorer), mono=True),
        Item("Snapshot taken at", _datetime(snapshot.taken_at)),
        Item("Documents judged on", _date(snapshot.taken_on)),
        Item("Attached inputs", "assessment.json: the full snapshot, enough to recompute every score"),
    )

    return RecordView(
        assessment_id=decision.assessment_id,
        title=f"Assessment record #{decision.assessment_id}: {integration_name} ({vendor_name})",
        running_head=f"Assessment record #{decision.assessment_id} · {_head(integration.name)}",
        created=_w3c(decision.signed_at if signed and decision.signed_at else snapshot.taken_at),
        draft_notice="" if signed else "Not signed: a preview of the record, not the record itself.",
        integration_name=integration_name,
        vendor_name=cover[1].value,
        headline=decision_label,
        headline_tone=decision_tone,
        cover=cover,
        integration=integration_items,
        data_flow=data_flow,
        fields_shared=_items(integration.fields_shared),
        heroku=heroku,
        vendor=vendor_items,
        subprocessors=subprocessors,
        documents=tuple(documents),
        questionnaires=tuple(questionnaires),
        responses=tuple(_response(r) for r in snapshot.responses),
        gates=gates,
        findings=findings,
        decision=decision_items,
        conditions=_conditions(decision.conditions),
        sign_off=sign_off,
        provenance=provenance,
    )


def _signature(who: str | None, at: datetime | None, *, missing: str = NONE) -> str:
    if not who:
        return missing
    return f"{_short(who)}, {_datetime(at)}" if at else _short(who)


def _conditions(conditions: list[str]) -> tuple[str, ...]:
    shown = tuple(truncate(c) for c in conditions[:LIST_CAP])
    if len(conditions) > LIST_CAP:
        return (*shown, f"… and {len(conditions) - LIST_CAP:,} more")
    return shown


def _head(name: str) -> str:
    text = clean(name)
    return text if len(text) <= HEAD_CAP else f"{text[:HEAD_CAP]}…"
