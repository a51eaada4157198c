"""Identity use cases: users and roles, API tokens, web sessions, sign-in with throttling."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.audit import service as audit
from app.audit.chain import diff
from app.audit.models import AuditEvent
from app.audit.service import Actor
from app.auth.models import ApiToken, Role, User, WebSession
from app.core.concurrency import check_version
from app.core.db import utcnow
from app.core.errors import Conflict, DomainError, InvalidInput, InvalidState, NotFound, PermissionDenied
from app.core.pagination import PageResult, SortField, paginate, parse_sort, table_columns
from app.core.security import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    hash_password,
    new_token,
    token_hash,
    verify_password,
)


class NotAuthenticated(DomainError):
    status_code = 401

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="riskreg"'})


class UserNotFound(NotFound):
    pass


class TokenNotFound(NotFound):
    pass


class DuplicateUser(Conflict):
    pass


class WeakPassword(InvalidInput):
    pass


class OwnRoleChange(PermissionDenied):
    pass


class UserDisabled(InvalidState):
    pass


class TooManyAttempts(DomainError):
    status_code = 429


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"password: use at least {MIN_PASSWORD_LENGTH} characters (a passphrase is fine)")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(f"password: at most {MAX_PASSWORD_LENGTH} characters")


# --- users ---

USER_SORTS = {
    "email": SortField(User.email, lambda u: u.email),  # type: ignore[arg-type]
    "created_at": SortField(User.created_at, lambda u: u.created_at, is_datetime=True),  # type: ignore[arg-type]
}


def _user_facts(user: User) -> dict[str, Any]:
    return {"email": user.email, "name": user.name, "role": user.role, "disabled_at": user.disabled_at}


def create_user(session: Session, *, actor: Actor, email: str, name: str, role: Role, password: str | None) -> User:
    email = normalise_email(email)
    if session.execute(select(User.id).where(User.email == email)).first():
        raise DuplicateUser(f"A user with e-mail {email} already exists; edit that user instead.")
    if password is not None:
        check_password_strength(password)
    user = User(email=email, name=name, role=role.value, password_hash=hash_password(password) if password else None)
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:
        raise DuplicateUser(f"A user with e-mail {email} already exists.") from exc
    audit.record(session, actor=actor, action="user.created", subject_type="user", subject_id=user.id,
                 changes=diff({}, _user_facts(user)))
    return user


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise UserNotFound(f"No user with id {user_id}.")
    return user


def get_user_by_email(session: Session, email: str) -> User:
    user = session.execute(select(User).where(User.email == normalise_email(email))).scalar_one_or_none()
    if user is None:
        raise UserNotFound(f"No user with e-mail {normalise_email(email)}.")
    return user


def list_users(session: Session, *, role: Role | None = None, sort: str = "email", limit: int = 50,
               cursor: str | None = None) -> PageResult[Any]:
    stmt = table_columns(User)
    if role is not None:
        stmt = stmt.where(User.role == role.value)
    return paginate(session, stmt, id_column=User.id, sort=parse_sort(sort, USER_SORTS), limit=limit, cursor=cursor)  # type: ignore[arg-type]


def update_user(
    session: Session, user_id: int, *, actor: Actor, expected_version: Collection[int] | None, changes: dict[str, Any]
) -> User:
    """Changes name, role or password. Nobody changes their own role."""
    user = get_user(session, user_id)
    check_version(user.version, expected_version, what="user")
    if "role" in changes and changes["role"] != user.role and actor.type == "user" and actor.id == user.id:
        raise OwnRoleChange("You cannot change your own role; ask another admin.")
    before = _user_facts(user)
    if "name" in changes:
        user.name = changes["name"]
    if "role" in changes:
        user.role = Role(changes["role"]).value
    if changes.get("password") is not None:
        check_password_strength(changes["password"])
        user.password_hash = hash_password(changes["password"])
        _end_web_sessions(session, user.id)  # type: ignore[arg-type]  (whoever knew the old one is signed out)
    after = _user_facts(user)
    if after == before and "password" not in changes:
        return user
    user.updated_at = utcnow()
    session.flush()
    facts = diff(before, after)
    if "password" in changes:
        facts["password"] = {"before": "***", "after": "*** (changed)"}
    audit.record(session, actor=actor, action="user.updated", subject_type="user", subject_id=user.id, changes=facts)
    return user


def disable_user(session: Session, user_id: int, *, actor: Actor) -> User:
    """Disables the account: its web sessions end and its API tokens are revoked for good, at once
    (re-enabling the account later does not bring an old token back)."""
    user = get_user(session, user_id)
    if actor.type == "user" and actor.id == user.id:
        raise PermissionDenied("You cannot disable your own account.")
    if user.disabled_at is not None:
        raise UserDisabled(f"User {user.email} is already disabled.")
    now = utcnow()
    user.disabled_at = user.updated_at = now
    _end_web_sessions(session, user.id)  # type: ignore[arg-type]
    tokens = session.execute(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))  # type: ignore[union-attr]
    ).scalars().all()
    for token in tokens:
        token.revoked_at = now
    session.flush()
    audit.record(session, actor=actor, action="user.disabled", subject_type="user", subject_id=user.id,
                 changes={"disabled_at": {"before": None, "after": user.disabled_at},
                          "tokens_revoked": {"before": None, "after": sorted(t.id for t in tokens)}})
    return user


def enable_user(session: Session, user_id: int, *, actor: Actor) -> User:
    """Lets a disabled account sign in again; it needs new API tokens (the old ones stay revoked)."""
    user = get_user(session, user_id)
    if user.disabled_at is None:
        raise InvalidState(f"User {user.email} is not disabled.")
    before = user.disabled_at
    user.disabled_at, user.updated_at = None, utcnow()
    session.flush()
    audit.record(session, actor=actor, action="user.enabled", subject_type="user", subject_id=user.id,
                 changes={"disabled_at": {"before": before, "after": None}})
    return user


def _end_web_sessions(session: Session, user_id: int) -> int:
    now = utcnow()
    sessions = session.execute(
        select(WebSession).where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))  # type: ignore[union-attr]
    ).scalars().all()
    for web_session in sessions:
        web_session.revoked_at = now
    return len(sessions)


# --- API tokens ---


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once, never stored


def create_token(
    session: Session, *, actor: Actor, user: User, name: str, expires_in_days: int | None
) -> IssuedToken:
    if not user.is_active:
        raise UserDisabled(f"User {user.email} is disabled; no tokens can be issued for it.")
    secret = new_token()
    expires_at = utcnow() + timedelta(days=expires_in_days) if expires_in_days else None
    token = ApiToken(user_id=user.id, name=name, token_hash=token_hash(secret), prefix=secret[:10],
                     expires_at=expires_at)
    session.add(token)
    session.flush()
    audit.record(session, actor=actor, action="token.created", subject_type="api_token", subject_id=token.id,
                 changes={"user": {"before": None, "after": user.email}, "name": {"before": None, "after": name},
                          "expires_at": {"before": None, "after": expires_at}})
    return IssuedToken(token=token, secret=secret)


def list_tokens(session: Session, *, user_id: int) -> list[ApiToken]:
    stmt = select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)
    return list(session.execute(stmt).scalars())


def get_token(session: Session, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise TokenNotFound(f"No API token with id {token_id}.")
    return token


def get_own_token(session: Session, *, user_id: int, token_id: int) -> ApiToken:
    """One of `user_id`'s tokens; someone else's is not found, exactly like one that does not exist."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user_id:
        raise TokenNotFound(f"You have no API token with id {token_id}.")
    return token


def revoke_token(session: Session, token: ApiToken, *, actor: Actor) -> ApiToken:
    if token.revoked_at is not None:
        return token
    token.revoked_at = utcnow()
    session.flush()
    audit.record(session, actor=actor, action="token.revoked", subject_type="api_token", subject_id=token.id,
                 changes={"revoked_at": {"before": None, "after": token.revoked_at}})
    return token


def authenticate_token(session: Session, secret: str) -> User:
    """The user behind a bearer token: one indexed lookup by hash, no password hashing."""
    row = session.execute(
        select(User, ApiToken.expires_at, ApiToken.revoked_at)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == token_hash(secret))
    ).first()
    if row is None:
        raise NotAuthenticated("The API token is not valid; create one with `riskreg tokens create`.")
    user, expires_at, revoked_at = row
    if revoked_at is not None:
        raise NotAuthenticated("The API token was revoked; create a new one.")
    if expires_at is not None and expires_at <= utcnow():
        raise NotAuthenticated("The API token has expired; create a new one.")
    if not user.is_active:
        raise NotAuthenticated("The account behind this API token is disabled.")
    return user


# --- web sign-in and sessions ---


@dataclass(frozen=True)
class SignIn:
    user: User | None
    session_secret: str | None
    retry_after: int | None = None


def _recent_failures(session: Session, email: str, *, since: datetime) -> tuple[int, datetime | None]:
    """Failed sign-ins for `email` since `since` and after its last success, and the oldest of them."""
    last_success = select(func.coalesce(func.max(AuditEvent.seq), 0)).where(
        AuditEvent.subject_type == "account", AuditEvent.subject_id == email, AuditEvent.action == "auth.signed_in"
    ).scalar_subquery()
    row = session.execute(
        select(func.count(), func.min(AuditEvent.at)).where(
            AuditEvent.subject_type == "account",
            AuditEvent.subject_id == email,
            AuditEvent.action == "auth.sign_in_failed",
            AuditEvent.at >= since,
            AuditEvent.seq > last_success,
        )
    ).one()
    return row[0], row[1]


def sign_in(session: Session, *, email: str, password: str, max_failures: int, window_seconds: int,
            session_hours: int) -> SignIn:
    """Checks a password; records success or failure in the audit trail; throttles repeated failures.

    Failures are counted per account from the audit trail, so the limit holds across processes and dynos.
    The caller must commit even on failure: the failed attempt is what the throttle counts.
    """
    email = normalise_email(email)
    now = utcnow()
    failures, oldest = _recent_failures(session, email, since=now - timedelta(seconds=window_seconds))
    if failures >= max_failures and oldest is not None:
        retry = int((oldest + timedelta(seconds=window_seconds) - now).total_seconds()) + 1
        return SignIn(user=None, session_secret=None, retry_after=max(retry, 1))
    user = session.execute(select(User).where(User.email == email)).scalar_one_or_none()
    ok = verify_password(user.password_hash if user else None, password) and user is not None and user.is_active
    if not ok or user is None:
        audit.record(session, actor=Actor.system("sign-in"), action="auth.sign_in_failed", subject_type="account",
                     subject_id=email)
        return SignIn(user=None, session_secret=None)
    secret = new_token()
    session.add(WebSession(user_id=user.id, token_hash=token_hash(secret), expires_at=now + timedelta(hours=session_hours)))
    audit.record(session, actor=Actor.for_user(user), action="auth.signed_in", subject_type="account", subject_id=email)
    return SignIn(user=user, session_secret=secret)


def user_for_session(session: Session, secret: str) -> User | None:
    row = session.execute(
        select(User, WebSession.expires_at, WebSession.revoked_at)
        .join(WebSession, WebSession.user_id == User.id)
        .where(WebSession.token_hash == token_hash(secret))
    ).first()
    if row is None:
        return None
    user, expires_at, revoked_at = row
    if revoked_at is not None or expires_at <= utcnow() or not user.is_active:
        return None
    return user


def sign_out(session: Session, secret: str) -> None:
    web_session = session.execute(select(WebSession).where(WebSession.token_hash == token_hash(secret))).scalar_one_or_none()
    if web_session is None or web_session.revoked_at is not None:
        return
    web_session.revoked_at = utcnow()
    user = session.get(User, web_session.user_id)
    if user is not None:
        audit.record(session, actor=Actor.for_user(user), action="auth.signed_out", subject_type="account",
                     subject_id=user.email)
