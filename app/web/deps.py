"""Page dependencies: the signed-in user behind the `riskreg_session` cookie."""

from types import SimpleNamespace
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.responses import Response

from app.auth import service as auth_service
from app.auth.models import User
from app.auth.permissions import DESCRIPTIONS, Permission, allowed
from app.core.config import Settings
from app.core.deps import SessionDep, SettingsDep
from app.core.errors import PermissionDenied

SESSION_COOKIE = "riskreg_session"
LOGIN_PATH = "/login"


class SignInRequired(Exception):
    """Raised by `current_web_user`; the page error handler answers with a 303 to the login page."""

    def __init__(self, *, stale_cookie: bool, secure: bool) -> None:
        super().__init__("sign in first")
        self.stale_cookie = stale_cookie
        self.secure = secure


def set_session_cookie(response: Response, secret: str, settings: Settings) -> None:
    response.set_cookie(
        SESSION_COOKIE, secret, max_age=settings.session_hours * 3600, path="/", httponly=True, samesite="lax",
        secure=settings.secure_cookies,
    )


def clear_session_cookie(response: Response, *, secure: bool) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=secure)


def session_secret(request: Request) -> str | None:
    secret = request.cookies.get(SESSION_COOKIE)
    # Secrets we issue are ~46 characters; anything far longer is not worth hashing.
    return secret if secret and len(secret) <= 200 else None


def optional_web_user(request: Request, session: SessionDep) -> User | None:
    """The user of a live session (not expired, revoked or disabled), else None."""
    secret = session_secret(request)
    user = auth_service.user_for_session(session, secret) if secret else None
    if user is not None:
        request.state.user_id = user.id
        # For error pages (rendered after the session closed): the navigation needs only these.
        request.state.web_user = SimpleNamespace(id=user.id, email=user.email, role=user.role)
    return user


def current_web_user(
    request: Request, settings: SettingsDep, user: Annotated[User | None, Depends(optional_web_user)]
) -> User:
    if user is None:
        raise SignInRequired(stale_cookie=SESSION_COOKIE in request.cookies, secure=settings.secure_cookies)
    return user


current_web_user.signed_in = True  # type: ignore[attr-defined]  # any signed-in user: read by the page-route test

OptionalWebUser = Annotated[User | None, Depends(optional_web_user)]
WebUser = Annotated[User, Depends(current_web_user)]


def web_requires(permission: Permission) -> Any:
    """A page's `Requires`: the signed-in user, refused (403) unless their role holds `permission`."""

    def dependency(user: WebUser) -> User:
        if not allowed(user.role, permission):
            raise PermissionDenied(
                f"Your role ({user.role}) does not allow this: '{DESCRIPTIONS[permission]}' needs the "
                f"{permission.value} permission."
            )
        return user

    dependency.permission = permission  # type: ignore[attr-defined]  # read by the route × permission test
    return Depends(dependency)
