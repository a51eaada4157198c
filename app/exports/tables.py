"""The columns of each export and how a loaded row becomes a line. Pure: rows in, tuples of values out
(lists stay lists, dates stay dates; the writers decide how a CSV or XLSX cell shows them)."""

from collections.abc import Mapping, Sequence
from typing import Any

from app.dataflows.graph import AgreementFact
from app.dataflows.processing import ProcessingEntry, ProcessingRecord

VENDOR_COLUMNS = (
    "id", "legal_name", "name", "website", "country", "data_locations", "subprocessors", "contacts", "status",
    "offboarded_at", "offboard_reason", "created_at", "updated_at",
)
INTEGRATION_COLUMNS = (
    "id", "vendor_id", "vendor", "name", "kind", "purpose", "data_categories", "access", "volume", "data_filtering",
    "fields_shared", "transfer_countries", "business_criticality", "substitutability", "heroku_app", "addon_plan",
    "inherent_tier", "inherent_driver", "inherent_rules", "status", "requested_by_id", "created_at", "updated_at",
)
DOCUMENT_COLUMNS = (
    "id", "vendor_id", "vendor", "type", "title", "status", "status_on", "ends_on", "notice_deadline_on", "days_left",
    "signed_on", "effective_on", "expires_on", "auto_renews", "renewal_months", "notice_days", "transfer_mechanism",
    "breach_notice_hours", "subprocessors", "integration_ids", "supersedes_id", "superseded_by_id", "file_name",
    "sha256", "size", "media_type", "notes", "created_at",
)
ASSESSMENT_COLUMNS = (
    "id", "integration_id", "integration", "vendor_id", "vendor", "status", "state", "superseded_by_id",
    "inherent_tier", "assurance", "residual_tier", "verdict", "decision", "reason", "conditions", "reviewer",
    "reviewed_at", "signer", "signed_at", "valid_until", "record_sha256", "created_at", "updated_at",
)
ADDON_COLUMNS = (
    "id", "heroku_id", "name", "app", "service", "plan", "plan_compliance", "installable_inside_private_network",
    "vendor_id", "vendor", "state", "approval", "integration_id", "integration_status", "config_vars", "attached_to",
    "billed_price_cents", "billed_price_unit", "first_seen_at", "last_seen_at", "gone_at",
)
RECORD_COLUMNS = (
    "vendor_id", "vendor", "legal_name", "headquarters", "vendor_status", "purposes", "integrations",
    "data_categories", "countries", "third_countries", "subprocessors", "transfer_mechanisms",
    "transfers_without_mechanism", "dpa_document_id", "dpa_title", "dpa_sha256", "dpa_signed_on",
    "dpa_effective_on", "dpa_expires_on", "dpa_term_ends_on", "dpa_status", "other_agreements", "findings",
)


def subprocessor_text(sp: Mapping[str, Any]) -> str:
    return f"{sp.get('name', '')} ({sp.get('purpose', '')}, {sp.get('country', '')})"


def contact_text(contact: Mapping[str, Any]) -> str:
    role = f" ({contact['role']})" if contact.get("role") else ""
    return f"{contact.get('name', '')} <{contact.get('email', '')}>{role}"


def vendor_row(r: Any) -> tuple[Any, ...]:
    return (
        r.id, r.legal_name, r.name, r.website, r.country, list(r.data_locations or ()),
        [subprocessor_text(s) for s in r.subprocessors or ()], [contact_text(c) for c in r.contacts or ()],
        r.status, r.offboarded_at, r.offboard_reason, r.created_at, r.updated_at,
    )


def integration_row(r: Any, vendor: str | None) -> tuple[Any, ...]:
    return (
        r.id, r.vendor_id, vendor, r.name, r.kind, r.purpose, list(r.data_categories or ()), r.access, r.volume,
        r.data_filtering, list(r.fields_shared or ()), list(r.transfer_countries or ()), r.business_criticality,
        r.substitutability, r.heroku_app, r.addon_plan, r.inherent_tier, r.inherent_driver, r.inherent_rules,
        r.status, r.requested_by_id, r.created_at, r.updated_at,
    )


def document_row(view: Any, vendor: str | None) -> tuple[Any, ...]:
    d, s = view.document, view.standing
    return (
        d.id, d.vendor_id, vendor, d.type, d.title, s.status.value, view.on, s.ends_on, s.notice_deadline_on,
        s.days_left, d.signed_on, d.effective_on, d.expires_on, d.auto_renews, d.renewal_months, d.notice_days,
        d.transfer_mechanism, d.breach_notice_hours,
        None if d.subprocessors is None else [subprocessor_text(sp) for sp in d.subprocessors],
        list(view.integration_ids), d.supersedes_id, view.superseded_by_id, d.file_name, d.sha256, d.size,
        d.media_type, d.notes, d.created_at,
    )


def assessment_row(r: Any, *, state: str, superseded_by_id: int | None) -> tuple[Any, ...]:
    return (
        r.id, r.integration_id, r.integration, r.vendor_id, r.vendor, r.status, state, superseded_by_id,
        r.inherent_tier, r.assurance, r.residual_tier, r.verdict, r.decision, r.reason, list(r.conditions or ()),
        r.reviewer, r.reviewed_at, r.signer, r.signed_at, r.valid_until, r.record_sha256, r.created_at, r.updated_at,
    )


def compliance_text(compliance: Sequence[str] | None) -> str | list[str]:
    """null means nobody looked the plan up; [] that the plan claims none: never shown the same."""
    if compliance is None:
        return "unknown"
    return list(compliance) if compliance else "none claimed"


def addon_row(row: Any, vendor: str | None) -> tuple[Any, ...]:
    i, plan = row.installation, row.plan
    attached = None if i.attachments is None else sorted({a.get("app", "") for a in i.attachments})
    return (
        i.id, i.heroku_id, i.name, row.app.name, row.service.name if row.service else None,
        plan.name if plan else None, compliance_text(plan.compliance) if plan else "unknown",
        plan.installable_inside_private_network if plan else None,
        row.service.vendor_id if row.service else None, vendor, i.state, row.approval, i.integration_id,
        row.integration.status if row.integration else None, list(i.config_vars or ()), attached,
        i.billed_price_cents, i.billed_price_unit, i.first_seen_at, i.last_seen_at, i.gone_at,
    )


def term_text(a: AgreementFact) -> str:
    """The stated expiry and, when it differs (an auto-renewal rolled forward, a report valid for a year),
    the end of the term in force: an auto-renewing DPA whose first term ended in 2023 is not expired."""
    expiry = f", expires {a.expires_on}" if a.expires_on else ""
    if a.ends_on is not None and a.ends_on != a.expires_on:
        expiry += f", current term ends {a.ends_on}"
    return expiry


def agreement_text(a: AgreementFact) -> str:
    return f"{a.type} #{a.document_id} {a.title}{term_text(a)}"


def record_row(entry: ProcessingEntry) -> tuple[Any, ...]:
    dpa = entry.dpa
    return (
        entry.vendor_id, entry.vendor, entry.legal_name, entry.headquarters, entry.vendor_status,
        list(entry.purposes), list(entry.integrations), list(entry.data_categories), list(entry.countries),
        list(entry.third_countries), [f"{s.name} ({s.purpose}, {s.country})" for s in entry.subprocessors],
        list(entry.transfer_mechanisms), list(entry.uncovered_countries),
        dpa.document_id if dpa else None, dpa.title if dpa else None, dpa.sha256 if dpa else None,
        dpa.signed_on if dpa else None, dpa.effective_on if dpa else None, dpa.expires_on if dpa else None,
        dpa.ends_on if dpa else None, dpa.status if dpa else ("missing" if entry.personal_data else "not needed"),
        [agreement_text(a) for a in entry.other_agreements], list(entry.findings),
    )


def record_rows(record: ProcessingRecord) -> list[tuple[Any, ...]]:
    return [record_row(e) for e in record.entries]
