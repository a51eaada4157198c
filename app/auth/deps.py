"""Authentication and permission dependencies: every route declares what it needs with `Requires`."""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.audit.service import Actor
from app.auth import service as auth_service
from app.auth.models import User
from app.auth.permissions import DESCRIPTIONS, Permission, allowed
from app.core.deps import SessionDep
from app.core.errors import PermissionDenied

_bearer = HTTPBearer(auto_error=False, description="An API token: `riskreg tokens create` prints one")


def current_user(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    if credentials is None:
        raise auth_service.NotAuthenticated(
            "Send `Authorization: Bearer <token>`; create a token with `riskreg tokens create`."
        )
    user = auth_service.authenticate_token(session, credentials.credentials)
    request.state.user_id = user.id
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def require(permission: Permission) -> Callable[..., User]:
    """A dependency that lets the request through only for a role holding `permission`."""

    def dependency(user: CurrentUser) -> User:
        if not allowed(user.role, permission):
            raise PermissionDenied(
                f"Your role ({user.role}) does not allow this: '{DESCRIPTIONS[permission]}' needs the "
                f"{permission.value} permission."
            )
        return user

    dependency.permission = permission  # type: ignore[attr-defined]  (read by the route × role walk)
    return dependency


def Requires(permission: Permission) -> Any:  # noqa: N802  (reads like a type in signatures)
    return Depends(require(permission))


def public() -> None:
    """Marks a route as open to anyone (health check); every other route must name a permission."""


public.permission = None  # type: ignore[attr-defined]
Public = Depends(public)


def actor_of(user: User) -> Actor:
    return Actor.for_user(user)
