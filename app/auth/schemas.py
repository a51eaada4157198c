"""Request and response shapes of the user and token API."""

from datetime import datetime
from typing import Annotated

from pydantic import ConfigDict, EmailStr, Field

from app.auth.models import Role
from app.core.pagination import Page
from app.core.schemas import Label, Name, RequestModel, ResponseModel
from app.core.security import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

Password = Annotated[str, Field(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH, description="At least 12 characters")]


class UserCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"email": "dana@example.com", "name": "Dana Reviewer", "role": "security"}]}
    )

    email: EmailStr
    name: Name
    role: Role
    password: Password | None = Field(default=None, description="Omit to create an account that signs in later")


class UserUpdate(RequestModel):
    """Only the fields sent change. Nobody can change their own role."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"role": "auditor"}]})

    name: Name = None  # type: ignore[assignment]
    role: Role = None  # type: ignore[assignment]
    password: Password = None  # type: ignore[assignment]


class UserPublic(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"id": 3, "email": "dana@example.com", "name": "Dana Reviewer", "role": "security", "active": True,
                 "disabled_at": None, "created_at": "2026-11-01T09:30:00Z", "updated_at": "2026-11-01T09:30:00Z",
                 "version": 1}
            ]
        }
    )

    id: int
    email: str
    name: str
    role: Role
    active: bool
    disabled_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def of(cls, user: object) -> "UserPublic":
        data = {name: getattr(user, name) for name in cls.model_fields if name != "active"}
        return cls(**data, active=user.disabled_at is None)


class UserPage(Page[UserPublic]):
    pass


class TokenCreate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "ci-export", "expires_in_days": 90}]})

    name: Label
    expires_in_days: int | None = Field(default=None, ge=1, le=3650, strict=True, description="Omit for a token that never expires")


class TokenPublic(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"id": 5, "user_id": 3, "name": "ci-export", "prefix": "rr_Xy12abC", "created_at": "2026-11-01T09:30:00Z",
                 "expires_at": "2027-01-30T09:30:00Z", "revoked_at": None}
            ]
        }
    )

    id: int
    user_id: int
    name: str
    prefix: str = Field(description="The first characters of the secret, to recognise it")
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class IssuedTokenPublic(TokenPublic):
    """Returned once, when the token is created: the secret is never shown again."""

    secret: str


class TokenList(ResponseModel):
    items: list[TokenPublic]
