"""Page-test helpers: read a form's CSRF token, sign in through the login form, read Set-Cookie lines."""

import re

from fastapi.testclient import TestClient
from httpx import Response

PASSWORD = "correct horse battery staple"
_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]*)"')


def csrf_of(page: Response) -> str:
    match = _CSRF_FIELD.search(page.text)
    assert match, f"no csrf_token field in the page: {page.text[:500]}"
    return match.group(1)


def post_login(client: TestClient, email: str, password: str = PASSWORD, *, headers: dict[str, str] | None = None
               ) -> Response:
    token = csrf_of(client.get("/login"))
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token},
                       headers=headers, follow_redirects=False)


def set_cookie(response: Response, name: str) -> str:
    """The Set-Cookie line for `name` (exactly one expected)."""
    lines = [line for line in response.headers.get_list("set-cookie") if line.startswith(f"{name}=")]
    assert len(lines) == 1, f"expected one Set-Cookie for {name}, got {lines}"
    return lines[0]


def cookie_flags(line: str) -> set[str]:
    return {part.strip().lower() for part in line.split(";")[1:]}
