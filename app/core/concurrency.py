"""Optimistic concurrency over HTTP: a row's `version` is its ETag; a change needs a matching If-Match."""

from app.core.errors import PreconditionFailed, PreconditionRequired


def etag(version: int) -> str:
    return f'"v{version}"'


def expected_version(if_match: str | None, *, what: str) -> int | None:
    """The version the client last saw, from `If-Match`; None for `*` (any version).

    Raises PreconditionRequired (428) when the header is missing and PreconditionFailed (412) when
    it names no version we could ever have issued.
    """
    if if_match is None or not if_match.strip():
        raise PreconditionRequired(
            f"Send an If-Match header with the ETag from your last GET of this {what}, "
            "so a concurrent change is not overwritten."
        )
    value = if_match.strip()
    if value == "*":
        return None
    tag = value.removeprefix("W/").strip()
    if tag.startswith('"v') and tag.endswith('"') and tag[2:-1].isdigit():
        return int(tag[2:-1])
    raise PreconditionFailed(f"If-Match {value!r} is not an ETag this service issued for the {what}; GET it again.")


def check_version(current: int, expected: int | None, *, what: str) -> None:
    if expected is not None and expected != current:
        raise PreconditionFailed(
            f"The {what} was changed by someone else since you read it (it is now at ETag {etag(current)}); "
            "GET it again, reapply your change and retry."
        )
