"""Questionnaire use cases: keep the stored versions in step with the files, list and read them."""

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from app.audit import service as audit
from app.audit.service import Actor
from app.core.db import utcnow
from app.core.errors import NotFound
from app.questionnaires.definition import QuestionnaireDef
from app.questionnaires.loader import Catalogue, Problem
from app.questionnaires.models import QuestionnaireVersion
from app.responses.models import Response

log = logging.getLogger("riskreg.questionnaires")
LOADER = Actor.system("questionnaire-loader")


class QuestionnaireNotFound(NotFound):
    pass


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    refused: list[Problem] = field(default_factory=list)


def _used_by_responses(session: Session, version_id: int) -> bool:
    """Whether any response is bound to this version (its content is then frozen)."""
    return session.execute(select(Response.id).where(Response.questionnaire_version_id == version_id).limit(1)).first() is not None


def sync_catalogue(session: Session, catalogue: Catalogue) -> SyncReport:
    """Stores every loaded version; a changed file for an unused version replaces it, a changed file for a
    version that responses use is refused (bump the version instead) and the stored one stays in force."""
    report = SyncReport()
    stored = {(v.key, v.version): v for v in session.execute(select(QuestionnaireVersion)).scalars()}
    for (key, version), loaded in sorted(catalogue.loaded.items()):
        name = f"{key} v{version}"
        definition = loaded.definition.model_dump(mode="json", by_alias=True)
        row = stored.get((key, version))
        if row is None:
            row = QuestionnaireVersion(key=key, version=version, title=loaded.definition.title,
                                       content_hash=loaded.content_hash, source=loaded.path.name, definition=definition)
            session.add(row)
            session.flush()
            audit.record(session, actor=LOADER, action="questionnaire.loaded", subject_type="questionnaire_version",
                         subject_id=row.id, changes={"key": {"before": None, "after": key},
                                                     "version": {"before": None, "after": version},
                                                     "content_hash": {"before": None, "after": loaded.content_hash}})
            report.added.append(name)
        elif row.content_hash != loaded.content_hash:
            if _used_by_responses(session, row.id):  # type: ignore[arg-type]
                report.refused.append(Problem(str(loaded.path), None,
                    f"{name} changed, but responses already use it: bump the version (the stored {name} stays in force)"))
                continue
            before = row.content_hash
            row.title, row.definition, row.content_hash = loaded.definition.title, definition, loaded.content_hash
            row.source, row.updated_at = loaded.path.name, utcnow()
            session.flush()
            audit.record(session, actor=LOADER, action="questionnaire.replaced", subject_type="questionnaire_version",
                         subject_id=row.id, changes={"content_hash": {"before": before, "after": loaded.content_hash}})
            report.updated.append(name)
    return report


def definition_of(row: QuestionnaireVersion) -> QuestionnaireDef:
    return QuestionnaireDef.model_validate(row.definition)


def list_latest(session: Session) -> list[QuestionnaireVersion]:
    """The newest version of every questionnaire, by key."""
    newest = (
        select(QuestionnaireVersion.key, func.max(QuestionnaireVersion.version).label("version"))
        .group_by(QuestionnaireVersion.key)
        .subquery()
    )
    stmt = (
        select(QuestionnaireVersion)
        .join(newest, (QuestionnaireVersion.key == newest.c.key) & (QuestionnaireVersion.version == newest.c.version))
        .order_by(QuestionnaireVersion.key)
    )
    return list(session.execute(stmt).scalars())


def versions_of(session: Session, key: str) -> list[int]:
    stmt = select(QuestionnaireVersion.version).where(QuestionnaireVersion.key == key).order_by(QuestionnaireVersion.version)
    return list(session.execute(stmt).scalars())


def get_version(session: Session, key: str, version: int | None = None) -> QuestionnaireVersion:
    stmt = select(QuestionnaireVersion).where(QuestionnaireVersion.key == key)
    stmt = stmt.where(QuestionnaireVersion.version == version) if version else stmt.order_by(QuestionnaireVersion.version.desc())
    row = session.execute(stmt.limit(1)).scalar_one_or_none()
    if row is None:
        known = ", ".join(r.key for r in list_latest(session)) or "none loaded"
        what = f"{key} v{version}" if version else key
        raise QuestionnaireNotFound(f"No questionnaire {what}; known questionnaires: {known}.")
    return row


def applicable(session: Session, *, kind: str, data_categories: list[str]) -> list[QuestionnaireVersion]:
    """The newest questionnaires whose `applies_to` fits an integration of this kind and data."""
    categories = frozenset(data_categories)
    return [row for row in list_latest(session) if definition_of(row).applies(kind=kind, data_categories=categories)]


def summary(row: QuestionnaireVersion) -> dict[str, Any]:
    definition = definition_of(row)
    return {
        "key": row.key, "version": row.version, "title": row.title, "description": definition.description,
        "content_hash": row.content_hash, "questions": len(definition.questions()),
        "sections": [s.id for s in definition.sections],
        "applies_to": definition.applies_to.model_dump(mode="json") if definition.applies_to else None,
    }
