"""Optimistic concurrency over HTTP: a row's `version` is its ETag; a change needs a matching If-Match."""

import re
from collections.abc import Collection

from app.core.errors import PreconditionFailed, PreconditionRequired

_TAG = re.compile(r'"v(\d{1,9})"')


def etag(version: int) -> str:
    return f'"v{version}"'


def expected_version(if_match: str | None, *, what: str) -> frozenset[int] | None:
    """The versions the client says it edited, from `If-Match`; None for `*` (whatever is current).

    If-Match compares strongly (RFC 9110 13.1.1): a weak `W/"v3"` never matches. A list of tags is
    allowed. Raises PreconditionRequired (428) without the header, PreconditionFailed (412) when no
    tag could match.
    """
    if if_match is None or not if_match.strip():
        raise PreconditionRequired(
            f"Send an If-Match header with the ETag from your last GET of this {what}, "
            "so a concurrent change is not overwritten."
        )
    value = if_match.strip()
    if value == "*":
        return None
    versions = frozenset(
        int(match.group(1)) for tag in value.split(",") if (match := _TAG.fullmatch(tag.strip()))
    )
    if not versions:
        raise PreconditionFailed(
            f"If-Match {value!r} names no ETag of this {what} (weak W/ tags never match); GET it again."
        )
    return versions


def check_version(current: int, expected: Collection[int] | None, *, what: str) -> None:
    if expected is not None and current not in expected:
        raise PreconditionFailed(
            f"The {what} was changed by someone else since you read it (it is now at ETag {etag(current)}); "
            "GET it again, reapply your change and retry."
        )
