"""What `riskreg users …` and `riskreg tokens …` run: accounts and API tokens managed from a shell."""

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from app.audit.service import Actor
from app.auth import service as auth_service
from app.auth.models import ApiToken, Role, User
from app.core.errors import InvalidInput

# Deliberately loose: one @, something either side, no spaces. Stricter validators refuse
# special-use domains such as `.local`, which the demo accounts use.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def generate_password() -> str:
    """A password nobody has to choose: 18 random bytes, 24 URL-safe characters (144 bits)."""
    return secrets.token_urlsafe(18)


def check_email(email: str) -> str:
    email = auth_service.normalise_email(email)
    if not _EMAIL.fullmatch(email) or len(email) > 254:
        raise InvalidInput(f"email: '{email}' is not an e-mail address")
    return email


def check_new_user(session: Session, email: str) -> None:
    """Refuses before anyone types a password: the address is malformed or already taken."""
    email = check_email(email)
    try:
        auth_service.get_user_by_email(session, email)
    except auth_service.UserNotFound:
        return
    raise auth_service.DuplicateUser(f"A user with e-mail {email} already exists.")


@dataclass(frozen=True)
class CreatedUser:
    user: User
    generated_password: str | None  # set when the job chose the password; shown once


def create_user(
    session: Session, *, actor: Actor, email: str, role: Role, name: str | None, password: str | None
) -> CreatedUser:
    """Creates a user with `password`, or with a generated one when `password` is None.

    The name defaults to the address's local part.
    """
    email = check_email(email)
    generated = generate_password() if password is None else None
    user = auth_service.create_user(
        session,
        actor=actor,
        email=email,
        name=(name or "").strip() or email.split("@", 1)[0],
        role=role,
        password=password if password is not None else generated,
    )
    return CreatedUser(user=user, generated_password=generated)


def disable_user(session: Session, *, actor: Actor, email: str) -> User:
    user = auth_service.get_user_by_email(session, email)
    assert user.id is not None
    return auth_service.disable_user(session, user.id, actor=actor)


def enable_user(session: Session, *, actor: Actor, email: str) -> User:
    user = auth_service.get_user_by_email(session, email)
    assert user.id is not None
    return auth_service.enable_user(session, user.id, actor=actor)


def iter_users(session: Session, *, page_size: int = 100) -> Iterator[Any]:
    """Every user in e-mail order, as rows (email, name, role, disabled_at, …), a page at a time."""
    cursor: str | None = None
    while True:
        page = auth_service.list_users(session, sort="email", limit=page_size, cursor=cursor)
        yield from page.items
        if page.next is None:
            return
        cursor = page.next


def create_token(
    session: Session, *, actor: Actor, email: str, name: str, expires_in_days: int | None
) -> auth_service.IssuedToken:
    name = name.strip()
    if not name:
        raise InvalidInput("name: give the token a name, such as the machine or script that will use it")
    if expires_in_days is not None and expires_in_days < 1:
        raise InvalidInput("expires-in: give a number of days of at least 1, or leave it out for no expiry")
    user = auth_service.get_user_by_email(session, email)
    return auth_service.create_token(session, actor=actor, user=user, name=name, expires_in_days=expires_in_days)


@dataclass(frozen=True)
class Revocation:
    revoked: list[ApiToken]  # revoked by this run
    already_revoked: list[ApiToken]  # matched, but revoked before


def revoke_tokens(
    session: Session, *, actor: Actor, email: str | None, name: str | None, token_id: int | None
) -> Revocation:
    """Revokes one token by id, or every token of a user with a given name (names need not be unique).

    With an id, an e-mail (when given) must be the token's owner, so a typo cannot revoke someone
    else's token. Revoking a revoked token changes nothing and is not an error.
    """
    if token_id is not None:
        try:
            token = auth_service.get_token(session, token_id)
        except auth_service.TokenNotFound:
            token = None
        if token is not None and email is not None:
            owner = auth_service.get_user_by_email(session, email)
            if token.user_id != owner.id:
                token = None
        if token is None:
            owner_note = f" belonging to {auth_service.normalise_email(email)}" if email else ""
            raise auth_service.TokenNotFound(f"No API token with id {token_id}{owner_note}.")
        matched = [token]
    else:
        if email is None or name is None:
            raise InvalidInput("give --id ID, or --email E and --name N")
        user = auth_service.get_user_by_email(session, email)
        assert user.id is not None
        matched = [t for t in auth_service.list_tokens(session, user_id=user.id) if t.name == name]
        if not matched:
            raise auth_service.TokenNotFound(f"{user.email} has no API token named '{name}'.")
    already = [t for t in matched if t.revoked_at is not None]
    revoked = [auth_service.revoke_token(session, t, actor=actor) for t in matched if t.revoked_at is None]
    return Revocation(revoked=revoked, already_revoked=already)


def list_tokens(session: Session, *, email: str) -> list[ApiToken]:
    user = auth_service.get_user_by_email(session, email)
    assert user.id is not None
    return auth_service.list_tokens(session, user_id=user.id)


def token_state(token: ApiToken, *, now: datetime) -> str:
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    return "active"
