"""A realistic assessment snapshot and decision, built by hand and scored by the real engine.

`sample_snapshot(**overrides)` and `sample_decision(**overrides)` have valid defaults: a Heroku
log-drain add-on on a Shield app, two responses (baseline-security v1 and heroku-addon v1, 25
answers between them), four documents, policy gates and the findings the scorer produced.
"""

from dataclasses import asdict, replace
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from app.assessments.record import Decision
from app.assessments.snapshot import (
    AnswerRow,
    DocumentSnap,
    HerokuSnap,
    IntegrationSnap,
    Overall,
    ResponseSnap,
    Snapshot,
    VendorSnap,
    as_json,
)
from app.integrations.exposure import Access, Criticality, ExposureInput, Volume, inherent_exposure, parse_categories
from app.questionnaires import scoring
from app.questionnaires.loader import Loaded, load_dir
from app.questionnaires.scoring import Answer, Evidence, PolicyCheck

QUESTIONNAIRES = Path(__file__).resolve().parents[2] / "questionnaires"
TAKEN_AT = datetime(2026, 3, 2, 14, 5, tzinfo=UTC)
REVIEWER = "Sam Okafor (security)"
SIGNER = "Lena Brandt (legal)"

_EXPOSURE = ExposureInput(
    data_categories=parse_categories(["customer_personal", "logs_telemetry"]),
    access=Access.write, volume=Volume.lt_10m, business_criticality=Criticality.high,
)

# question id → (answer, comment, compensating control text, accepted)
_BASELINE: dict[str, tuple[Answer, str | None, str | None, bool | None]] = {
    "gov.security_policy": (Answer("gov.security_policy", "yes", evidence=Evidence.independent), None, None, None),
    "gov.security_owner": (Answer("gov.security_owner", "dedicated_function", evidence=Evidence.document),
                           "CISO reports to the CEO.", None, None),
    "access.mfa_staff": (Answer("access.mfa_staff", "all_staff", evidence=Evidence.independent),
                         "Okta Verify push for all staff; hardware keys for admins planned for Q3.", None, None),
    "access.sso": (Answer("access.sso", "most_systems"), "Two legacy tools still have local accounts.", None, None),
    "access.offboarding_hours": (Answer("access.offboarding_hours", 24, evidence=Evidence.document), None, None, None),
    "access.customer_mfa": (Answer("access.customer_mfa", na=True,
                                   na_reason="Customers never sign in to the add-on; we use it through the API."),
                            None, None, None),
    "data.encryption_in_transit": (Answer("data.encryption_in_transit", "tls12_everywhere",
                                          evidence=Evidence.independent), None, None, None),
    "data.encryption_at_rest": (Answer("data.encryption_at_rest", "yes", evidence=Evidence.independent),
                                None, None, None),
    "data.deletion_on_termination": (Answer("data.deletion_on_termination", "yes", evidence=Evidence.document),
                                     "Contract clause 14.2.", None, None),
    "appsec.critical_patch_days": (Answer("appsec.critical_patch_days", 14), None, None, None),
    "logging.security_events": (Answer("logging.security_events", "yes", evidence=Evidence.independent),
                                None, None, None),
    "logging.tamper_protection": (Answer("logging.tamper_protection", "no"),
                                  "Logs live in the production AWS account; admins there can delete them.", None, None),
    "incident.plan": (Answer("incident.plan", "yes", evidence=Evidence.document), None, None, None),
    "incident.breach_notice_hours": (Answer("incident.breach_notice_hours", 48, evidence=Evidence.document),
                                     "DPA says 48 hours; we asked for 24.", None, None),
    "incident.security_contact": (Answer("incident.security_contact", "security@logbright.example"),
                                  None, None, None),
}
_ADDON: dict[str, tuple[Answer, str | None, str | None, bool | None]] = {
    "addon.data_categories": (Answer("addon.data_categories", ("customer_personal", "logs_telemetry")),
                              None, None, None),
    "addon.delivery": (Answer("addon.delivery", "log_drain"), None, None, None),
    "addon.filter_layer": (Answer("addon.filter_layer", "no"), "Filtering is planned, not built.",
                           "Log lines pass the app's structured logger, which drops request bodies.", True),
    "addon.log_drain_scrubbed": (Answer("addon.log_drain_scrubbed", "yes"),
                                 "Emails and IPs are hashed by the logger before they reach stdout.", None, None),
    "addon.credential_rotation_days": (Answer("addon.credential_rotation_days", 180), None, None, None),
    "addon.app_network": (Answer("addon.app_network", "shield_space"), None, None, None),
    "addon.installable_in_private_network": (Answer("addon.installable_in_private_network", "yes",
                                                    evidence=Evidence.document), None, None, None),
    "addon.shield_plan": (Answer("addon.shield_plan", "yes", evidence=Evidence.document), None, None, None),
    "addon.dpa": (Answer("addon.dpa", document_in_date=True, evidence=Evidence.document), None, None, None),
    "addon.deletion_on_deprovision": (Answer("addon.deletion_on_deprovision", "deleted_30_days"),
                                      None, None, None),
}
_POLICY = {
    "heroku-addon": [
        PolicyCheck("policy.gdpr.dpa", True, "high", "A DPA is in force (document 11)."),
        PolicyCheck("policy.heroku.private_network", True, "critical",
                    "logbright:shield-pro installs inside a private network, as billing-api in Shield space "
                    "acme-shield needs."),
    ],
}


@cache
def catalogue() -> dict[str, Loaded]:
    loaded = load_dir(QUESTIONNAIRES)
    assert not loaded.problems, loaded.problems
    return {key: loaded.latest(key) for key in ("baseline-security", "heroku-addon")}  # type: ignore[misc]


def make_response(response_id: int, key: str, given: dict[str, tuple[Answer, str | None, str | None, bool | None]],
                  *, policy: list[PolicyCheck] | None = None, answered_by: str = "vendor respondent") -> ResponseSnap:
    """A submitted response to the latest version of `key`, scored by the real engine, with a row for
    every question of the questionnaire (answered or not)."""
    loaded = catalogue()[key]
    definition = loaded.definition
    # A compensating control earns credit only once a reviewer has accepted it (scoring.Answer).
    answers = {qid: replace(answer, compensating_control=bool(control and accepted))
               for qid, (answer, _, control, accepted) in given.items()}
    policy = policy if policy is not None else _POLICY.get(key, [])
    result = scoring.score(definition, answers, exposure=_EXPOSURE, content_hash=loaded.content_hash, policy=policy)
    rows = []
    for section in definition.sections:
        for question in section.questions:
            _, comment, control, accepted = given.get(question.id, (None, None, None, None))
            answer = answers.get(question.id)
            rows.append(AnswerRow(
                section=section.id, question_id=question.id, question=question.text, type=question.type,
                value=list(answer.value) if answer is not None and isinstance(answer.value, tuple) else
                (answer.value if answer is not None else None),
                na=bool(answer and answer.na), na_reason=answer.na_reason if answer else None, comment=comment,
                evidence=answer.evidence.value if answer else "", compensating_control=control,
                compensating_accepted=accepted, reviewer_points=answer.reviewer_points if answer else None,
                answered_by=answered_by if answer else None,
            ))
    return ResponseSnap(
        response_id=response_id, questionnaire_key=key, questionnaire_version=definition.version,
        questionnaire_title=definition.title, content_hash=loaded.content_hash,
        submitted_at=datetime(2026, 2, 20, 9, 30, tzinfo=UTC), submitted_by="Priya Natarajan (Logbright)",
        definition=definition.model_dump(mode="json", by_alias=True),
        exposure={"data_categories": sorted(c.value for c in _EXPOSURE.data_categories),
                  "access": _EXPOSURE.access.value, "volume": _EXPOSURE.volume.value,
                  "business_criticality": _EXPOSURE.business_criticality.value},
        answers=[as_json(asdict(a)) for a in answers.values()],
        policy=[asdict(p) for p in policy],
        rows=rows,
        score=as_json(result.as_dict()),
    )


def overall_of(responses: list[ResponseSnap]) -> Overall:
    """The assessment-wide result: the weakest response's assurance, every gate and finding."""
    inherent = inherent_exposure(_EXPOSURE).tier
    assurance = min((r.score["assurance"] for r in responses), default=None)
    residual = scoring.residual_tier(inherent, assurance or 0.0, scoring.ScoringConfig())
    gates = [{**g, "questionnaire": r.questionnaire_key} for r in responses for g in r.score["gates"]]
    findings = [{**f, "questionnaire": r.questionnaire_key} for r in responses for f in r.score["findings"]]
    blocked = any(g["status"] != "passed" for g in gates)
    return Overall(inherent=inherent.value, assurance=assurance, residual=residual.value,
                   verdict="blocked" if blocked else "pass", gates=gates, findings=findings)


def _documents() -> list[DocumentSnap]:
    sha = "9f2c1e4b7a".ljust(64, "0")
    return [
        DocumentSnap(id=11, type="dpa", title="Logbright Data Processing Addendum 2025", file_name="logbright-dpa-2025.pdf",
                     sha256="a3f5" + sha[4:], signed_on=date(2025, 5, 1), effective_on=date(2025, 5, 1),
                     expires_on=None, status="in_force", transfer_mechanism="scc"),
        DocumentSnap(id=12, type="soc2_type2", title="SOC 2 Type II report, period ending 2025-09-30",
                     file_name="Logbright SOC2 2025.pdf", sha256="b7c1" + sha[4:], signed_on=None,
                     effective_on=date(2025, 10, 15), expires_on=date(2026, 10, 15), status="in_force",
                     transfer_mechanism=None),
        DocumentSnap(id=9, type="pen_test", title="External penetration test 2024", file_name="pentest-2024.pdf",
                     sha256="c0de" + sha[4:], signed_on=None, effective_on=date(2024, 11, 1),
                     expires_on=date(2025, 11, 1), status="expired", transfer_mechanism=None),
        DocumentSnap(id=14, type="insurance", title="Cyber liability certificate", file_name="cyber-cert.pdf",
                     sha256="d00d" + sha[4:], signed_on=None, effective_on=date(2025, 4, 1),
                     expires_on=date(2026, 3, 31), status="expiring", transfer_mechanism=None),
    ]


def _base() -> dict[str, Any]:
    exposure = inherent_exposure(_EXPOSURE)
    responses = [
        make_response(301, "baseline-security", _BASELINE),
        make_response(302, "heroku-addon", _ADDON, answered_by="Dana Whitfield (platform)"),
    ]
    return {
        "taken_at": TAKEN_AT,
        "taken_on": TAKEN_AT.date(),
        "integration": IntegrationSnap(
            id=7, name="Logbright log drain on billing-api", kind="heroku_addon",
            purpose="Centralised search and alerting over billing-api's application logs.", status="in_review",
            data_categories=["customer_personal", "logs_telemetry"], access="write", volume="lt_10m",
            data_filtering="The app logs through structlog; a processor hashes email addresses and IPs and drops "
                           "request bodies before lines reach stdout and the drain.",
            fields_shared=["request_id", "route", "status", "duration_ms", "customer_id (hashed)", "email (hashed)"],
            transfer_countries=["US"], business_criticality="high", substitutability="easy",
            heroku_app="billing-api", addon_plan="logbright:shield-pro",
            inherent_tier=exposure.tier.value, inherent_driver=exposure.driver,
        ),
        "vendor": VendorSnap(
            id=3, legal_name="Logbright Inc.", name="Logbright", country="US", website="https://logbright.example",
            status="active", data_locations=["US", "IE"],
            subprocessors=[{"name": "Amazon Web Services", "purpose": "Hosting (us-east-1, eu-west-1)", "country": "US"},
                           {"name": "Zendesk", "purpose": "Support tickets", "country": "US"}],
        ),
        "heroku": HerokuSnap(
            app="billing-api", space="acme-shield", shield=True, app_data_categories=["customer_personal"],
            plan="logbright:shield-pro", plan_compliance=["HIPAA"], installable_inside_private_network=True,
            installation="logbright-curved-12345", installation_state="provisioned",
        ),
        "documents": _documents(),
        "responses": responses,
        "overall": overall_of(responses),
    }


def sample_snapshot(**overrides: Any) -> Snapshot:
    """A valid snapshot; each override replaces a field of Snapshot, and a dict given for a nested
    model (vendor={"name": ...}) updates just those fields of it."""
    fields = _base()
    for name, value in overrides.items():
        current = fields.get(name)
        if isinstance(value, dict) and hasattr(current, "model_dump"):
            value = type(current).model_validate({**current.model_dump(), **value})
        fields[name] = value
    return Snapshot(**fields)


def with_row(snapshot: Snapshot, question_id: str, **changes: Any) -> Snapshot:
    """The snapshot with one answer row changed (in whichever response asks `question_id`)."""
    responses = []
    for response in snapshot.responses:
        rows = [r.model_copy(update=changes) if r.question_id == question_id else r for r in response.rows]
        responses.append(response.model_copy(update={"rows": rows}))
    return snapshot.model_copy(update={"responses": responses})


def sample_decision(**overrides: Any) -> Decision:
    values: dict[str, Any] = {
        "assessment_id": 42, "status": "decided", "decision": "approve_with_conditions",
        "reason": "Strong baseline backed by a current SOC 2 Type II; the drain has no filtering layer of its own.",
        "conditions": ["Build the log filtering layer and re-answer addon.filter_layer within 90 days.",
                       "Obtain a 24-hour breach notice in the next DPA revision."],
        "reviewer": REVIEWER, "reviewed_at": datetime(2026, 3, 3, 10, 0, tzinfo=UTC),
        "signer": SIGNER, "signed_at": datetime(2026, 3, 4, 16, 45, tzinfo=UTC),
        "valid_until": date(2027, 3, 4), "supersedes_id": 17,
    }
    values.update(overrides)
    return Decision(**values)
