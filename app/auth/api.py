"""JSON API for users (admins), one's own account and API tokens."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.auth import service as auth_service
from app.auth.deps import Requires, actor_of
from app.auth.models import ApiToken, Role, User
from app.auth.permissions import Permission, allowed
from app.auth.schemas import (
    IssuedTokenPublic,
    TokenCreate,
    TokenList,
    TokenPublic,
    UserCreate,
    UserPage,
    UserPublic,
    UserUpdate,
)
from app.core.concurrency import etag, expected_version
from app.core.deps import DEFAULT_LIMIT, Cursor, IfMatch, Limit, RowId, SessionDep, errors, sort_param
from app.core.errors import PermissionDenied

users = APIRouter(prefix="/api/v1/users", tags=["users"])
me = APIRouter(prefix="/api/v1/me", tags=["users"])
tokens = APIRouter(prefix="/api/v1/tokens", tags=["tokens"])

Admin = Annotated[User, Requires(Permission.user_manage)]
Self = Annotated[User, Requires(Permission.account_self)]


def _issued(issued: auth_service.IssuedToken) -> IssuedTokenPublic:
    return IssuedTokenPublic(**TokenPublic.model_validate(issued.token).model_dump(), secret=issued.secret)


def _with_etag(response: Response, user: User) -> UserPublic:
    response.headers["ETag"] = etag(user.version)
    return UserPublic.of(user)


@users.post("", status_code=status.HTTP_201_CREATED, responses=errors(409))
def create_user(data: UserCreate, session: SessionDep, response: Response, admin: Admin) -> UserPublic:
    """Create an account with a role. The password may be set now or later."""
    user = auth_service.create_user(
        session, actor=actor_of(admin), email=data.email, name=data.name, role=data.role, password=data.password
    )
    response.headers["Location"] = f"{users.prefix}/{user.id}"
    return _with_etag(response, user)


@users.get("", responses=errors())
def list_users(
    session: SessionDep,
    _admin: Admin,
    role: Annotated[Role | None, Query()] = None,
    sort: sort_param(auth_service.USER_SORTS) = "email",
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> UserPage:
    page = auth_service.list_users(session, role=role, sort=sort, limit=limit, cursor=cursor)
    return UserPage(items=[UserPublic.of(u) for u in page.items], total=page.total, next=page.next)


@users.get("/{user_id}", responses=errors(404))
def get_user(user_id: RowId, session: SessionDep, response: Response, _admin: Admin) -> UserPublic:
    return _with_etag(response, auth_service.get_user(session, user_id))


@users.patch("/{user_id}", responses=errors(404, 412, 428))
def update_user(
    user_id: RowId, changes: UserUpdate, session: SessionDep, response: Response, admin: Admin, if_match: IfMatch = None
) -> UserPublic:
    """Change name, role or password. Nobody can change their own role (403)."""
    expected = expected_version(if_match, what="user")
    user = auth_service.update_user(
        session, user_id, actor=actor_of(admin), expected_version=expected,
        changes=changes.model_dump(exclude_unset=True),
    )
    return _with_etag(response, user)


@users.post("/{user_id}/disable", responses=errors(404, 409))
def disable_user(user_id: RowId, session: SessionDep, response: Response, admin: Admin) -> UserPublic:
    """Disable the account: its sessions end and its API tokens are revoked, at once."""
    return _with_etag(response, auth_service.disable_user(session, user_id, actor=actor_of(admin)))


@users.post("/{user_id}/enable", responses=errors(404, 409))
def enable_user(user_id: RowId, session: SessionDep, response: Response, admin: Admin) -> UserPublic:
    """Let a disabled account sign in again. Its old API tokens stay revoked."""
    return _with_etag(response, auth_service.enable_user(session, user_id, actor=actor_of(admin)))


@users.post("/{user_id}/tokens", status_code=status.HTTP_201_CREATED, responses=errors(404, 409))
def create_token_for_user(user_id: RowId, data: TokenCreate, session: SessionDep, admin: Admin) -> IssuedTokenPublic:
    """Issue an API token for another user (shown once)."""
    user = auth_service.get_user(session, user_id)
    issued = auth_service.create_token(
        session, actor=actor_of(admin), user=user, name=data.name, expires_in_days=data.expires_in_days
    )
    return _issued(issued)


@users.get("/{user_id}/tokens", responses=errors(404))
def list_tokens_of_user(user_id: RowId, session: SessionDep, _admin: Admin) -> TokenList:
    auth_service.get_user(session, user_id)
    return TokenList(items=[TokenPublic.model_validate(t) for t in auth_service.list_tokens(session, user_id=user_id)])


@me.get("", responses=errors())
def who_am_i(user: Self, response: Response) -> UserPublic:
    """The account behind the token. Any signed-in role may call it."""
    return _with_etag(response, user)


@tokens.post("", status_code=status.HTTP_201_CREATED, responses=errors(409))
def create_own_token(data: TokenCreate, session: SessionDep, user: Self) -> IssuedTokenPublic:
    """Issue yourself a new API token. The secret is in this response only."""
    issued = auth_service.create_token(
        session, actor=actor_of(user), user=user, name=data.name, expires_in_days=data.expires_in_days
    )
    return _issued(issued)


@tokens.get("", responses=errors())
def list_own_tokens(session: SessionDep, user: Self) -> TokenList:
    assert user.id is not None
    return TokenList(items=[TokenPublic.model_validate(t) for t in auth_service.list_tokens(session, user_id=user.id)])


@tokens.post("/{token_id}/revoke", responses=errors(404))
def revoke_token(token_id: RowId, session: SessionDep, user: Self) -> TokenPublic:
    """Revoke one of your tokens (admins: anyone's). It stops working at once."""
    token: ApiToken = auth_service.get_token(session, token_id)
    if token.user_id != user.id and not allowed(user.role, Permission.user_manage):
        raise PermissionDenied("That token belongs to someone else; only an admin can revoke it.")
    return TokenPublic.model_validate(auth_service.revoke_token(session, token, actor=actor_of(user)))
