"""A signed-in HTTP client over the standard library (and pyotp for the TOTP step): signs in through the real pages (password, TOTP,
attestation) and hands back the cookie header for wrk, plus the CSRF token for posts."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

import pyotp

CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Response:
    status: int
    url: str
    headers: dict
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def csrf(self) -> str | None:
        match = CSRF_META.search(self.text) or CSRF_INPUT.search(self.text)
        return next((group for group in match.groups() if group), None) if match else None


@dataclass
class Client:
    base_url: str
    jar: http.cookiejar.CookieJar = field(default_factory=http.cookiejar.CookieJar)
    follow: bool = True

    def _opener(self):
        handlers = [urllib.request.HTTPCookieProcessor(self.jar)]
        if not self.follow:
            handlers.append(_NoRedirect())
        return urllib.request.build_opener(*handlers)

    def request(
        self, method: str, path: str, data: dict | None = None, headers: dict | None = None, *, timeout: float = 60
    ) -> Response:
        url = path if path.startswith("http") else self.base_url + path
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(url, data=body, method=method, headers=headers or {})  # noqa: S310 (loopback)
        if body is not None:
            request.add_header("Content-Type", "application/x-www-form-urlencoded")
        try:
            with self._opener().open(request, timeout=timeout) as response:
                return Response(response.status, response.url, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, error.url, dict(error.headers), error.read())

    def get(self, path: str, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def post_form(self, path: str, data: dict, *, page: str | None = None, headers: dict | None = None) -> Response:
        """POST ``data`` with the CSRF token read from ``page`` (default: the same path)."""
        token = self.get(page or path).csrf()
        return self.request("POST", path, {**data, "csrf_token": token or ""}, headers=headers)

    def cookie_header(self) -> str:
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.jar)

    def csrf_token(self, path: str = "/account/security") -> str | None:
        return self.get(path).csrf()

    def sign_in(self, email: str, password: str, *, mfa_secret: str | None = None) -> Response:
        """The real sign-in: the form, then the TOTP step and the student's attestation when they come."""
        response = self.post_form("/", {"email": email, "password": password})
        if response.status == 404:  # the role's home page is not built yet; a page that exists shows the steps
            response = self.get("/account/security")
        if response.url.split("?")[0].endswith("/mfa/verify"):
            response = self.post_form("/mfa/verify", {"code": pyotp.TOTP(mfa_secret).now()})
        if response.url.split("?")[0].endswith("/attestation"):
            response = self.post_form("/attestation", {"accept": "y"})
        if response.status >= 400 and response.status != 404:
            raise RuntimeError(f"signing in as {email} ended at {response.url} with HTTP {response.status}")
        return response
