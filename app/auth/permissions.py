"""Who may do what: one table of role × permission. Every route declares the permission it needs.

`python -m app.auth.permissions` prints the table as Markdown for the README.
"""

from enum import StrEnum

from app.auth.models import Role


class Permission(StrEnum):
    vendor_read = "vendor:read"
    vendor_write = "vendor:write"
    vendor_offboard = "vendor:offboard"
    integration_read = "integration:read"
    integration_create = "integration:create"
    integration_update = "integration:update"
    audit_read = "audit:read"
    questionnaire_read = "questionnaire:read"
    response_read = "response:read"
    response_write = "response:write"
    document_read = "document:read"
    document_upload = "document:upload"
    heroku_read = "heroku:read"
    assessment_read = "assessment:read"
    assessment_create = "assessment:create"
    assessment_review = "assessment:review"
    assessment_sign = "assessment:sign"
    record_read = "record:read"
    heroku_import = "heroku:import"
    heroku_manage = "heroku:manage"
    addon_request = "addon:request"
    addon_decide = "addon:decide"
    reminder_read = "reminders:read"
    dataflow_read = "dataflow:read"
    export_read = "export:read"
    user_manage = "user:manage"
    account_self = "account:self"


_READ_REGISTER = {
    Permission.vendor_read, Permission.integration_read, Permission.questionnaire_read, Permission.response_read,
    Permission.document_read, Permission.heroku_read, Permission.assessment_read, Permission.reminder_read,
    Permission.dataflow_read,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.admin: frozenset(Permission),
    Role.security: frozenset(
        _READ_REGISTER
        | {Permission.vendor_write, Permission.integration_create, Permission.integration_update,
           Permission.audit_read, Permission.response_write, Permission.document_upload, Permission.heroku_import,
           Permission.heroku_manage, Permission.addon_request, Permission.addon_decide, Permission.assessment_create,
           Permission.assessment_review, Permission.record_read, Permission.export_read, Permission.account_self}
    ),
    Role.procurement: frozenset(
        _READ_REGISTER
        | {Permission.vendor_write, Permission.vendor_offboard, Permission.integration_create,
           Permission.integration_update, Permission.response_write, Permission.document_upload,
           Permission.heroku_import, Permission.assessment_create, Permission.export_read, Permission.account_self}
    ),
    # Engineers request integrations and may edit only the ones they requested (object-level rule).
    Role.engineer: frozenset(
        _READ_REGISTER
        | {Permission.integration_create, Permission.integration_update, Permission.response_write,
           Permission.addon_request, Permission.account_self}
    ),
    Role.legal: frozenset(
        _READ_REGISTER
        | {Permission.vendor_write, Permission.audit_read, Permission.document_upload, Permission.assessment_sign,
           Permission.record_read, Permission.export_read, Permission.account_self}
    ),
    # Auditors read everything and change nothing (their own API tokens aside).
    Role.auditor: frozenset(_READ_REGISTER | {Permission.audit_read, Permission.record_read, Permission.export_read,
                                              Permission.account_self}),
}

DESCRIPTIONS: dict[Permission, str] = {
    Permission.vendor_read: "Read vendors",
    Permission.vendor_write: "Register and edit vendors",
    Permission.vendor_offboard: "Offboard a vendor (retires its integrations)",
    Permission.integration_read: "Read integrations",
    Permission.integration_create: "Record or request an integration",
    Permission.integration_update: "Edit an integration (engineers: only their own requests)",
    Permission.audit_read: "Read and verify the audit trail",
    Permission.questionnaire_read: "Read questionnaires and which apply to an integration",
    Permission.response_read: "Read responses and their scores",
    Permission.response_write: "Start responses, answer and submit them, invite a vendor to answer",
    Permission.document_read: "Read agreements and evidence, download their files, see a vendor's policy facts",
    Permission.document_upload: "Upload agreements and evidence, and new versions of them",
    Permission.heroku_read: "Read the Heroku estate (apps, add-ons, plans, imports, drift) and add-on requests",
    Permission.heroku_import: "Import Heroku CLI exports and sync from the Platform API",
    Permission.heroku_manage: "Set the data an app holds; map an add-on service to a vendor",
    Permission.addon_request: "Request approval to attach a Heroku add-on plan to an app",
    Permission.addon_decide: "Decide add-on requests, lifting failed gates with expiring exceptions",
    Permission.assessment_read: "Read assessments, their snapshots and states",
    Permission.assessment_create: "Take an assessment of an integration (snapshot of responses, documents, Heroku facts)",
    Permission.assessment_review: "Review an assessment: decide, assign reviewer points, accept compensating controls",
    Permission.assessment_sign: "Sign a decided assessment, producing its signed PDF record",
    Permission.record_read: "Download signed assessment records",
    Permission.reminder_read: "See what falls due (renewals, deadlines, waiting requests); subscribe to one's calendar feed",
    Permission.dataflow_read: "See the data-flow map (app → add-on or SaaS → vendor → sub-processor, with countries and agreements) as JSON, SVG and a page",
    Permission.export_read: "Download register exports (CSV, XLSX) and the record of processing (CSV, XLSX, PDF)",
    Permission.user_manage: "Manage users, roles and anyone's API tokens",
    Permission.account_self: "See one's own account; create and revoke one's own API tokens",
}


def allowed(role: str, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS.get(Role(role), frozenset())


def may_edit_integration(role: str | None, user_id: int | None, requested_by_id: int | None) -> bool:
    """Object-level rule: an engineer edits only the integrations they requested; other roles with
    `integration:update` edit any (system jobs have no role and are trusted)."""
    return role != Role.engineer or (user_id is not None and user_id == requested_by_id)


def markdown_table() -> str:
    roles = list(Role)
    lines = [
        "| permission | what it allows | " + " | ".join(r.value for r in roles) + " |",
        "| --- | --- | " + " | ".join(":---:" for _ in roles) + " |",
    ]
    for permission in Permission:
        marks = " | ".join("✓" if permission in ROLE_PERMISSIONS[r] else "" for r in roles)
        lines.append(f"| `{permission.value}` | {DESCRIPTIONS[permission]} | {marks} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown_table())
