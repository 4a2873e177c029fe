"""Who is behind a browser, and whether a form really came from our page.

The session cookie holds the session's random token and an HMAC of it under a secret
derived from the coalition key, so a cookie that was not issued here is refused before the
database is asked; the token itself is checked against the server's sessions table, so a
cookie kept after sign-out is worth nothing. The cookie is HttpOnly, SameSite=Lax and, behind
an https public URL, Secure.

Every form carries a CSRF token: an HMAC of the session token (or, before sign-in, of a
random per-browser cookie), checked on every POST before the handler runs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from fastapi import Request, Response

from syndic.app import Syndic
from syndic.auth.models import Principal, Role
from syndic.auth.policy import Need
from syndic.errors import AuthError, Forbidden

SESSION_COOKIE = "syndic_session"
BROWSER_COOKIE = "syndic_browser"  # before sign-in: what the sign-in forms' CSRF tokens bind to
CSRF_FIELD = "csrf"
SECRET_PURPOSE = b"syndic web session cookies v1"


@dataclass(frozen=True)
class Viewer:
    """A signed-in person: who they act as, and their session's token (for sign-out)."""

    principal: Principal
    token: str

    @property
    def role(self) -> Role:
        return self.principal.role

    @property
    def subject_id(self) -> int | None:
        return self.principal.subject_id


class Cookies:
    """Signs and checks cookie values, and makes CSRF tokens, under one derived secret."""

    def __init__(self, secret: bytes, *, secure: bool) -> None:
        self._secret = secret
        self.secure = secure

    def _mac(self, purpose: bytes, value: str) -> str:
        mac = hmac.new(self._secret, purpose + b"\0" + value.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def sign(self, value: str) -> str:
        return f"{value}.{self._mac(b'cookie', value)}"

    def unsign(self, signed: str | None) -> str | None:
        """The value, or None when the cookie is missing or was not signed here."""
        if not signed or "." not in signed:
            return None
        value, _, mac = signed.rpartition(".")
        return value if hmac.compare_digest(mac, self._mac(b"cookie", value)) else None

    def csrf(self, basis: str) -> str:
        return self._mac(b"csrf", basis)

    def set(self, response: Response, name: str, value: str, *, max_age: int | None) -> None:
        response.set_cookie(
            name,
            self.sign(value),
            max_age=max_age,
            httponly=True,
            samesite="lax",
            secure=self.secure,
            path="/",
        )


def cookies_for(syndic: Syndic) -> Cookies:
    secure = syndic.settings.public_url.startswith("https://")
    return Cookies(syndic.signer.derive_secret(SECRET_PURPOSE), secure=secure)


def cookies(request: Request) -> Cookies:
    jar: Cookies = request.app.state.cookies
    return jar


def current_viewer(request: Request) -> Viewer | None:
    """The signed-in person, or None; read once per request."""
    if hasattr(request.state, "viewer"):
        cached: Viewer | None = request.state.viewer
        return cached
    viewer = None
    token = cookies(request).unsign(request.cookies.get(SESSION_COOKIE))
    if token is not None:
        syndic: Syndic = request.app.state.syndic
        try:
            viewer = Viewer(syndic.signin.authenticate(token), token)
        except AuthError:
            viewer = None
    request.state.viewer = viewer
    return viewer


def browser_id(request: Request) -> str:
    """The per-browser value that an anonymous form's CSRF token binds to (made on first
    sight and set as a cookie by ``remember_browser``)."""
    if not hasattr(request.state, "browser"):
        known = cookies(request).unsign(request.cookies.get(BROWSER_COOKIE))
        request.state.browser = known or secrets.token_urlsafe(24)
        request.state.browser_is_new = known is None
    value: str = request.state.browser
    return value


def remember_browser(request: Request, response: Response) -> None:
    if getattr(request.state, "browser_is_new", False):
        cookies(request).set(response, BROWSER_COOKIE, request.state.browser, max_age=None)


def csrf_token(request: Request) -> str:
    viewer = current_viewer(request)
    basis = f"session:{viewer.token}" if viewer else f"browser:{browser_id(request)}"
    return cookies(request).csrf(basis)


async def check_csrf(request: Request) -> None:
    """A router dependency: every POST must carry this browser's CSRF token."""
    if request.method != "POST":
        return
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    if not isinstance(sent, str) or not hmac.compare_digest(sent, csrf_token(request)):
        raise Forbidden(
            "this form is out of date or did not come from this site; reload the page and try again"
        )


def signed_in(request: Request) -> Viewer:
    viewer = current_viewer(request)
    if viewer is None:
        raise AuthError("sign in to see this page")
    return viewer


def require(request: Request, need: Need, *, subject: int | None = None) -> Viewer:
    """The signed-in person, if the authorization policy lets them act under ``need`` on
    ``subject`` (refusals over someone else's records are logged, as for the API)."""
    viewer = signed_in(request)
    syndic: Syndic = request.app.state.syndic
    syndic.authorizer.check(viewer.principal, need, subject=subject)
    return viewer
