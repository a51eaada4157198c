"""The rule every approval follows, whoever takes it: a failed gate blocks, unless an exception lifts it.

Used by add-on request decisions and by assessment reviews. Pure: the gates and the day come in.
"""

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Protocol

from app.core.errors import Conflict, InvalidInput

MAX_EXCEPTION_DAYS = 365


class RequestBlocked(Conflict):
    pass


class InvalidDecision(InvalidInput):
    pass


class OfferedException(Protocol):
    gate: str
    reason: str
    expires_on: date


def check_exceptions(
    what: str, *, decision: str, failed: Mapping[str, str], exceptions: Sequence[OfferedException], today: date
) -> None:
    """Refuses a decision that does not deal with every failed gate. `failed` maps each failed gate id
    to its message. An approval must lift each with an exception (reason, expiry after today and within
    a year) and name no gate that did not fail; a rejection lifts nothing."""
    offered = {e.gate for e in exceptions}
    if decision == "reject":
        if exceptions:
            raise InvalidDecision("exceptions: a rejection lifts no gate; send none.")
        return
    unknown = sorted(offered - failed.keys())
    if unknown:
        raise InvalidDecision(
            f"exceptions: {', '.join(unknown)} " + ("is" if len(unknown) == 1 else "are")
            + f" not a failed gate of this {what}" + (f" (failed: {', '.join(sorted(failed))})" if failed else "")
        )
    missing = sorted(failed.keys() - offered)
    if missing:
        reasons = " ".join(failed[g] for g in missing)
        raise RequestBlocked(
            f"The {what} is blocked by {', '.join(missing)}: {reasons} "
            "Fix the cause, or approve with an exception for each gate (gate, reason, expires_on)."
        )
    for exception in exceptions:
        if not today < exception.expires_on <= today + timedelta(days=MAX_EXCEPTION_DAYS):
            raise InvalidDecision(
                f"exceptions: {exception.gate} must expire after today and within {MAX_EXCEPTION_DAYS} days."
            )
