"""Response shapes of the audit API."""

from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field

from app.core.pagination import Page
from app.core.schemas import ResponseModel


class AuditEventPublic(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"seq": 42, "at": "2026-11-02T14:00:00.123456Z", "actor_type": "user", "actor_id": 3,
                 "actor": "dana@example.com", "action": "vendor.updated", "subject_type": "vendor", "subject_id": "7",
                 "changes": {"name": {"before": "Papertrail", "after": "Papertrail by SolarWinds"}},
                 "prev_hash": "9f2c…", "hash": "1a7e…"}
            ]
        }
    )

    seq: int
    at: datetime
    actor_type: str
    actor_id: int | None
    actor: str
    action: str
    subject_type: str
    subject_id: str
    changes: dict[str, Any]
    prev_hash: str
    hash: str


class AuditPage(Page[AuditEventPublic]):
    pass


class ChainVerdict(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"ok": True, "checked": 1200, "first_bad_seq": None, "problem": None,
                                         "head_seq": 1200, "head_hash": "1a7e…"}]}
    )

    ok: bool = Field(description="True when every event links to the previous one and matches its hash")
    checked: int = Field(description="Events verified before the first problem (all of them when ok)")
    first_bad_seq: int | None
    problem: str | None
    head_seq: int | None
    head_hash: str | None
