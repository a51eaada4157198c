"""Heroku Platform API v3 client: reads apps, spaces, add-ons, attachments and plans as raw JSON.

Pages through `206 Partial Content` / `Next-Range`, backs off on `429`, and turns every failure into a
`HerokuApiError` whose message says what to do and never contains the token.
"""

import logging
import math
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypedDict
from urllib.parse import quote, urlsplit, urlunsplit

import httpx

from app import __version__
from app.core.config import Settings
from app.core.errors import DomainError

log = logging.getLogger("riskreg.heroku")

ACCEPT = "application/vnd.heroku+json; version=3"
MAX_PAGES = 10_000  # 10,000 pages of 1,000 items: far beyond any real estate, short of an endless loop
MAX_BACKOFF_SECONDS = 60.0
UNAVAILABLE_RETRY_AFTER = "30"  # what our own 503 tells the caller

JSON = Any


class HerokuApiError(DomainError):
    """Heroku answered something we cannot use. 502: the fault is upstream, not in the caller's request."""

    status_code = 502


class HerokuTokenRefused(HerokuApiError):
    """401/403: the configured token is wrong, expired, revoked or lacks access to what was asked."""


class HerokuNotConfigured(HerokuApiError):
    """No token is configured: nothing was asked of Heroku."""

    status_code = 412


class HerokuNotFound(HerokuApiError):
    status_code = 404


class HerokuPlanNotFound(HerokuNotFound):
    """The plan (or its add-on service) is not in Heroku's catalogue: treat the plan as unknown."""


class HerokuUnavailable(HerokuApiError):
    """Heroku could not be reached, timed out, or kept answering 5xx: retry later."""

    status_code = 503

    def __init__(self, detail: str, *, retry_after: str = UNAVAILABLE_RETRY_AFTER) -> None:
        super().__init__(detail, headers={"Retry-After": retry_after})


class HerokuRateLimited(HerokuUnavailable):
    """Still `429` after every retry: the account's API budget (4,500 requests an hour) is spent."""


class ApiEstate(TypedDict):
    """What one read of the Platform API returned, in the order `estate_from_api` takes it."""

    apps: list[dict[str, JSON]]
    spaces: list[dict[str, JSON]]
    addons: list[dict[str, JSON]]
    attachments: list[dict[str, JSON]]
    plans: list[dict[str, JSON]]


NOT_CONFIGURED = (
    "no Heroku API token is configured; set HEROKU_API_TOKEN (create one with `heroku authorizations:create`)"
)
TOKEN_REFUSED = (
    "the Heroku API token was refused (HEROKU_API_TOKEN); create one with `heroku authorizations:create`"
)


def _strip_userinfo(url: str) -> str:
    """The URL without `user:password@`, for messages."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def _segment(identity: str) -> str:
    """One path segment: ids and names are quoted, `:` in plan names included."""
    return quote(identity, safe="")


def _retry_after_seconds(value: str | None) -> float | None:
    """`Retry-After` as seconds (0 to one day): delta-seconds or an HTTP date; None when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if not math.isfinite(seconds):
        return None
    return min(max(0.0, seconds), 86_400.0)


class HerokuClient:
    """A synchronous Platform API client. One instance per sync: it caches plan details for its lifetime.

    `transport`, `sleep` and `max_retries` exist for tests: no test ever really sleeps.
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_retries: int = 5,
        timeout: float = 30.0,
        page_size: int | None = None,
        max_backoff: float = MAX_BACKOFF_SECONDS,
        max_pages: int = MAX_PAGES,
    ) -> None:
        if not token:
            raise HerokuNotConfigured(NOT_CONFIGURED)
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._sleep = sleep
        self._max_retries = max_retries
        self._max_backoff = max_backoff
        self._max_pages = max_pages
        self._page_size = page_size
        self._plans: dict[tuple[str, str], dict[str, JSON] | None] = {}  # None: Heroku said 404
        self._http = httpx.Client(
            base_url=self.base_url,
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            headers={
                "Accept": ACCEPT,
                "Authorization": f"Bearer {token}",
                "User-Agent": f"riskreg/{__version__}",
            },
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"HerokuClient({_strip_userinfo(self.base_url)!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "HerokuClient":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- resources --------------------------------------------------------------------------------

    def list_apps(self) -> list[dict[str, JSON]]:
        return self._list("/apps")

    def get_app(self, name_or_id: str) -> dict[str, JSON]:
        return self._get(f"/apps/{_segment(name_or_id)}", missing=f"no Heroku app {name_or_id!r} is visible to this token")

    def list_spaces(self) -> list[dict[str, JSON]]:
        return self._list("/spaces")

    def list_addons(self) -> list[dict[str, JSON]]:
        return self._list("/addons")

    def list_app_addons(self, app: str) -> list[dict[str, JSON]]:
        return self._list(f"/apps/{_segment(app)}/addons")

    def list_attachments(self) -> list[dict[str, JSON]]:
        return self._list("/addon-attachments")

    def list_plans(self, service: str) -> list[dict[str, JSON]]:
        return self._list(f"/addon-services/{_segment(service)}/plans")

    def get_plan(self, service: str, plan: str) -> dict[str, JSON]:
        """One plan of one add-on service (`plan` is its id or its name). Cached per client, 404s included:
        raises `HerokuPlanNotFound` when Heroku does not know the plan or the service."""
        key = (service, plan)
        if key not in self._plans:
            try:
                self._plans[key] = self._get(
                    f"/addon-services/{_segment(service)}/plans/{_segment(plan)}", missing=""
                )
            except HerokuNotFound:
                self._plans[key] = None
        found = self._plans[key]
        if found is None:
            raise HerokuPlanNotFound(f"Heroku does not know the plan {plan!r} of the add-on service {service!r}")
        return found

    # --- plumbing -----------------------------------------------------------------------------------

    def _get(self, path: str, *, missing: str) -> dict[str, JSON]:
        response = self._request(path, headers={})
        if response.status_code == 404:
            raise HerokuNotFound(missing or f"Heroku answered 404 for {path}")
        self._raise_for_status(response, path)
        body = self._json(response, path)
        if not isinstance(body, dict):
            raise HerokuApiError(f"Heroku answered {path} with {type(body).__name__}, not an object")
        return body

    def _list(self, path: str) -> list[dict[str, JSON]]:
        """Every item of a list endpoint: follows `Next-Range` while Heroku answers 206."""
        items: list[dict[str, JSON]] = []
        range_header = f"id ..; max={self._page_size}" if self._page_size else None
        seen_ranges: set[str] = set()
        for _page in range(self._max_pages):
            headers = {"Range": range_header} if range_header else {}
            response = self._request(path, headers=headers)
            if response.status_code == 404:
                raise HerokuNotFound(f"Heroku answered 404 for {path}: the app or service is not visible to this token")
            self._raise_for_status(response, path)
            body = self._json(response, path)
            if not isinstance(body, list):
                raise HerokuApiError(f"Heroku answered {path} with {type(body).__name__}, not a list")
            items.extend(item for item in body if isinstance(item, dict))
            next_range = response.headers.get("Next-Range")
            if response.status_code != 206 or not next_range:
                return items
            if next_range in seen_ranges:
                raise HerokuApiError(f"Heroku's paging of {path} did not advance (Next-Range repeated); try again later")
            seen_ranges.add(next_range)
            range_header = next_range
        raise HerokuApiError(f"Heroku's listing of {path} went past {self._max_pages} pages; stopped")

    def _request(self, path: str, *, headers: dict[str, str]) -> httpx.Response:
        """GET with retries: `429` and `5xx` back off (Retry-After, else 1, 2, 4 ... s up to the cap)."""
        attempt = 0
        while True:
            try:
                response = self._http.get(path, headers=headers)
            except httpx.TimeoutException as error:
                raise HerokuUnavailable(
                    f"the Heroku API at {_strip_userinfo(self.base_url)} did not answer in time "
                    f"({type(error).__name__}); try again later"
                ) from error
            except httpx.TransportError as error:
                raise HerokuUnavailable(
                    f"the Heroku API at {_strip_userinfo(self.base_url)} could not be reached "
                    f"({type(error).__name__}); check the network or RISKREG_HEROKU_API_URL and try again"
                ) from error
            status = response.status_code
            if status != 429 and status not in (500, 502, 503, 504):
                return response
            if attempt >= self._max_retries:
                retry_after = response.headers.get("Retry-After")
                seconds = _retry_after_seconds(retry_after)
                advice = str(max(1, int(seconds))) if seconds is not None else UNAVAILABLE_RETRY_AFTER
                if status == 429:
                    raise HerokuRateLimited(
                        f"the Heroku API rate limit is spent (still 429 after {attempt} retries); "
                        "try again in a few minutes",
                        retry_after=advice,
                    )
                raise HerokuUnavailable(
                    f"the Heroku API kept answering {status} ({attempt} retries); try again later",
                    retry_after=advice,
                )
            delay = self._backoff(response, attempt)
            log.warning(
                "heroku api backoff",
                extra={"status": status, "path": path, "attempt": attempt + 1, "delay_seconds": delay},
            )
            self._sleep(delay)
            attempt += 1

    def _backoff(self, response: httpx.Response, attempt: int) -> float:
        given = _retry_after_seconds(response.headers.get("Retry-After"))
        delay = given if given is not None else 2.0**attempt
        return min(delay, self._max_backoff)

    def _raise_for_status(self, response: httpx.Response, path: str) -> None:
        status = response.status_code
        if status < 400:
            return
        message = self._redact(self._heroku_message(response))
        if status == 401:
            raise HerokuTokenRefused(TOKEN_REFUSED)
        if status == 403:  # a valid token without access (scope, team membership): Heroku's reason helps
            raise HerokuTokenRefused(TOKEN_REFUSED + (f" (Heroku said: {message})" if message else ""))
        raise HerokuApiError(f"the Heroku API answered {status} for {path}" + (f": {message}" if message else ""))

    def _json(self, response: httpx.Response, path: str) -> JSON:
        try:
            return response.json()
        except ValueError:
            raise HerokuApiError(f"the Heroku API answered {path} with something that is not JSON") from None

    @staticmethod
    def _heroku_message(response: httpx.Response) -> str:
        """Heroku's error body is `{"id": ..., "message": ...}`; anything else is not repeated."""
        try:
            body = response.json()
        except ValueError:
            return ""
        if isinstance(body, dict) and isinstance(body.get("message"), str):
            return body["message"][:300]
        return ""

    def _redact(self, text: str) -> str:
        return text.replace(self._token, "[token]") if self._token else text


def client_from_settings(settings: Settings, **options: Any) -> HerokuClient:
    """A client for the configured API URL and token; `HerokuNotConfigured` when there is no token."""
    token = settings.heroku_api_token.get_secret_value() if settings.heroku_api_token else ""
    if not token:
        raise HerokuNotConfigured(NOT_CONFIGURED)
    return HerokuClient(settings.heroku_api_url, token, **options)


# --- reading the whole estate ---------------------------------------------------------------------


def _plan_lookup(addon: dict[str, JSON]) -> tuple[str, str] | None:
    """(service, plan) identities to ask Heroku about, or None when the add-on's plan is a stub.

    The plan's id is preferred (unambiguous); else its name. The service is the add-on service's name,
    else its id, else the part of the plan name before `:`.
    """
    plan = addon.get("plan")
    service = addon.get("addon_service")
    plan = plan if isinstance(plan, dict) else {}
    service = service if isinstance(service, dict) else {}
    plan_id = plan.get("id") if isinstance(plan.get("id"), str) and plan.get("id") else None
    plan_name = plan.get("name") if isinstance(plan.get("name"), str) and plan.get("name") else None
    plan_identity = plan_id or plan_name
    if plan_identity is None:
        return None
    service_identity = None
    for candidate in (service.get("name"), service.get("id")):
        if isinstance(candidate, str) and candidate:
            service_identity = candidate
            break
    if service_identity is None and plan_name and ":" in plan_name:
        service_identity = plan_name.split(":", 1)[0]
    if service_identity is None:
        return None
    return service_identity, plan_identity


def distinct_plan_lookups(addons: Iterable[dict[str, JSON]]) -> list[tuple[str, str]]:
    """The distinct (service, plan) pairs the add-ons use, in first-seen order; stubs left out."""
    seen: dict[tuple[str, str], None] = {}
    for addon in addons:
        lookup = _plan_lookup(addon)
        if lookup is not None:
            seen.setdefault(lookup, None)
    return list(seen)


def fetch_estate(client: HerokuClient) -> ApiEstate:
    """Read the estate: apps, spaces, every add-on, every attachment, then the details of each distinct
    plan in use (fetched once each). Plans Heroku does not know (404) are left out: the parser sees no
    catalogue entry and treats them as unknown. Any other failure raises `HerokuApiError`."""
    apps = client.list_apps()
    spaces = client.list_spaces()
    addons = client.list_addons()
    attachments = client.list_attachments()
    plans: list[dict[str, JSON]] = []
    plan_ids: set[str] = set()
    unknown = 0
    for service, plan in distinct_plan_lookups(addons):
        try:
            details = client.get_plan(service, plan)
        except HerokuPlanNotFound:
            unknown += 1
            continue
        plan_id = details.get("id")
        if isinstance(plan_id, str):
            if plan_id in plan_ids:
                continue
            plan_ids.add(plan_id)
        plans.append(details)
    log.info(
        "heroku estate fetched",
        extra={
            "apps": len(apps),
            "spaces": len(spaces),
            "addons": len(addons),
            "attachments": len(attachments),
            "plans": len(plans),
            "plans_unknown": unknown,
        },
    )
    return {"apps": apps, "spaces": spaces, "addons": addons, "attachments": attachments, "plans": plans}
