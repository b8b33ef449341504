"""What every response carries, and what every request must be.

- Headers: a strict Content-Security-Policy (our own files only, no inline script or
  style, no framing), no referrer, no sniffing, no caching of pages that show a
  conversation (a seized device's browser cache must not hold one).
- Onion-only: with an onion name set, a request for any other Host is refused, and so
  is one that came through a tor2web gateway (which sees everything in clear).
- CSRF: every form carries the session's token; a POST without it is refused, and so
  is one the browser says another site made (``Sec-Fetch-Site``).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from aiohttp import web

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
        "frame-ancestors 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}
#: Pages show a conversation: kept by no cache, on the way or in the browser. Nor is
#: anything else of the bot's: a stylesheet kept in a seized computer's browser cache,
#: under the bot's address, shows that the device visited it.
NO_STORE = "no-store"
#: Headers that tor2web gateways add (and ordinary proxies, which an onion has none of).
GATEWAY_HEADERS = ("X-Tor2web", "X-Forwarded-For", "X-Forwarded-Host", "Forwarded", "Via")
#: What browsers say of a request that another site (or a sibling subdomain) made.
ELSEWHERE = frozenset({"cross-site", "same-site"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def add_headers(request: web.Request, response: web.StreamResponse) -> None:
    """For every response, also aiohttp's own errors (``on_response_prepare``)."""
    response.headers.update(HEADERS)
    response.headers["Cache-Control"] = NO_STORE
    # aiohttp names itself and its version otherwise.
    response.headers["Server"] = "candibot"


def host_of(request: web.Request) -> str:
    """The Host header without its port, in lower case."""
    host = (request.headers.get("Host") or "").strip().lower()
    if host.startswith("["):
        return host.partition("]")[0] + "]"
    return host.rpartition(":")[0] if ":" in host else host


def onion_refusal(request: web.Request, onion_name: str | None) -> bool:
    """True when onion-only is on and this request must not be served."""
    if onion_name is None:
        return False
    if any(name in request.headers for name in GATEWAY_HEADERS):
        return True
    return host_of(request) != onion_name


def from_elsewhere(request: web.Request) -> bool:
    """The browser says another site made this request (Fetch Metadata). Browsers that
    send no ``Sec-Fetch-Site`` are judged by the cookie and the token alone."""
    return request.headers.get("Sec-Fetch-Site", "").strip().lower() in ELSEWHERE


def same_token(expected: str, given: object) -> bool:
    return isinstance(given, str) and hmac.compare_digest(expected.encode(), given.encode())


def cookie_name(https: bool) -> str:
    """Over HTTPS, ``__Host-``: the browser then takes the cookie only from this very host,
    with ``Secure`` and no ``Domain``, so that a sibling site (another name under the same
    domain) cannot plant a session of its choosing on the reader (session fixation)."""
    return "__Host-candibot" if https else "candibot"


def cookie_options(https: bool) -> dict[str, object]:
    """A cookie for this browser session only (no expiry: gone when the browser closes),
    out of reach of scripts, and never sent by another site's request."""
    return {"httponly": True, "samesite": "Strict", "secure": https, "path": "/"}
