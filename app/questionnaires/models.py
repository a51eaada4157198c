"""Stored questionnaire versions: the definition as loaded, with the hash of its file, kept forever
so a response and its score can be recomputed after the file changed or was removed."""

from datetime import datetime
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.models import json_value_field, timestamp_field


class QuestionnaireVersion(SQLModel, table=True):
    __tablename__ = "questionnaire_version"
    __table_args__ = (UniqueConstraint("key", "version", name="uq_questionnaire_version_key_version"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=60)
    version: int
    title: str = Field(max_length=2000)
    content_hash: str = Field(max_length=64)
    source: str = Field(max_length=500, description="The file it was loaded from")
    definition: dict[str, Any] = json_value_field()
    loaded_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
