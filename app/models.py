"""Every table, imported once so Alembic and the tests see the whole metadata."""

from app.assessments.models import Assessment
from app.audit.models import AuditEvent
from app.auth.models import ApiToken, User, WebSession
from app.core.storage import FileChunk, StoredFile
from app.documents.models import Document, DocumentIntegration
from app.heroku.models import (
    AddonInstallation,
    AddonPlan,
    AddonService,
    GateException,
    HerokuApp,
    HerokuImport,
    HerokuSpace,
    IntegrationDecision,
)
from app.integrations.models import Integration
from app.questionnaires.models import QuestionnaireVersion
from app.reminders.models import CalendarFeedToken, ReminderDelivery
from app.responses.models import Response, ResponseAnswer, ResponseInvite
from app.vendors.models import Vendor

__all__ = [
    "Assessment",
    "AddonInstallation", "AddonPlan", "AddonService", "GateException", "HerokuApp", "HerokuImport", "HerokuSpace",
    "IntegrationDecision",
    "ApiToken", "AuditEvent", "Document", "DocumentIntegration", "FileChunk", "Integration", "StoredFile", "QuestionnaireVersion", "Response", "ResponseAnswer", "ResponseInvite",
    "User", "Vendor", "WebSession",
    "CalendarFeedToken", "ReminderDelivery",
]
