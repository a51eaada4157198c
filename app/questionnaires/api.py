"""JSON API for questionnaires: the catalogue, one version, and which apply to an integration."""

from typing import Annotated

from fastapi import APIRouter, Path, Query

from app.auth.deps import Requires
from app.auth.models import User
from app.auth.permissions import Permission
from app.core.deps import RowId, SessionDep, errors
from app.integrations import service as integration_service
from app.questionnaires import service as questionnaire_service
from app.questionnaires.models import QuestionnaireVersion
from app.questionnaires.schemas import QuestionnaireDetail, QuestionnaireList, QuestionnaireSummary

router = APIRouter(tags=["questionnaires"])
Reader = Annotated[User, Requires(Permission.questionnaire_read)]


def _summary(session: SessionDep, row: QuestionnaireVersion) -> QuestionnaireSummary:
    return QuestionnaireSummary(**questionnaire_service.summary(row),
                                versions=questionnaire_service.versions_of(session, row.key))


@router.get("/api/v1/questionnaires", responses=errors())
def list_questionnaires(session: SessionDep, _reader: Reader) -> QuestionnaireList:
    """The newest version of every loaded questionnaire."""
    return QuestionnaireList(items=[_summary(session, row) for row in questionnaire_service.list_latest(session)])


@router.get("/api/v1/questionnaires/{key}", responses=errors(404))
def get_questionnaire(
    key: Annotated[str, Path(max_length=60, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")],
    session: SessionDep,
    _reader: Reader,
    version: Annotated[int | None, Query(ge=1, le=1_000_000, description="Default: the newest")] = None,
) -> QuestionnaireDetail:
    """One questionnaire version in full: sections, questions, gates, evidence, remediation."""
    row = questionnaire_service.get_version(session, key, version)
    return QuestionnaireDetail(key=row.key, version=row.version, content_hash=row.content_hash,
                               versions=questionnaire_service.versions_of(session, key),
                               definition=questionnaire_service.definition_of(row))


@router.get("/api/v1/integrations/{integration_id}/questionnaires", responses=errors(404))
def applicable_questionnaires(integration_id: RowId, session: SessionDep, _reader: Reader) -> QuestionnaireList:
    """The questionnaires whose `applies_to` fits this integration's kind and data categories."""
    integration = integration_service.get_integration(session, integration_id)
    rows = questionnaire_service.applicable(session, kind=integration.kind, data_categories=integration.data_categories)
    return QuestionnaireList(items=[_summary(session, row) for row in rows])
