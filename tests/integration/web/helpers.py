"""A browser without a browser: a cookie-keeping client over the site, reading CSRF tokens
from the forms the way a person's browser would submit them."""

from __future__ import annotations

import re
import warnings
from typing import Any

import httpx

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

from syndic.app import Syndic
from syndic.auth.models import Role
from syndic.web.site import create_site

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    m = _CSRF.search(html)
    assert m is not None, "the page has no form with a CSRF token"
    return m.group(1)


class Visitor:
    def __init__(self, syndic: Syndic) -> None:
        self.syndic = syndic
        self.client = TestClient(create_site(syndic), raise_server_exceptions=False)

    def get(self, url: str) -> httpx.Response:
        return self.client.get(url)

    def submit(self, page: str, action: str, data: dict[str, Any], **kw: Any) -> httpx.Response:
        """Open ``page``, then post its form's CSRF token with ``data`` to ``action``."""
        token = csrf_of(self.get(page).text)
        return self.client.post(action, data={"csrf": token, **data}, **kw)

    def sign_in(self, role: Role, subject_id: int | None) -> httpx.Response:
        url = self.syndic.login_link(role=role, subject_id=subject_id, base_url="http://testserver")
        token = url.split("token=", 1)[1]
        return self.submit(url, "/signin/link", {"token": token}, follow_redirects=False)

    def session_cookie(self) -> str:
        value = self.client.cookies.get("syndic_session")
        assert value
        return value
