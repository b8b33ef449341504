"""The routes of the web chat.

``GET /`` shows the conversation (making a session when there is none); every change
is a form POST (``/say``, ``/press``, ``/photo``, ``/language``, ``/end``) that is
answered with a redirect to ``/#latest``, so that a reload never sends it again
(Post/Redirect/Get). A refused POST (an out-of-date form, too many messages, a photo
too large) shows the page again with a notice, and sends nothing to the core.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp.typedefs import Middleware
from aiohttp.web_request import FileField
from multidict import MultiDictProxy

from bot.adapters.web import strings
from bot.adapters.web.adapter import PLATFORM, WebAdapter
from bot.adapters.web.language import NAMES, TAGS, from_header, other
from bot.adapters.web.render import asks_for_photo, bubble, latest_buttons, shown
from bot.adapters.web.security import add_headers, cookie_options, onion_refusal, same_token
from bot.adapters.web.sessions import Ids, Session, valid_id
from bot.adapters.web.uploads import Problem, read_upload
from bot.core.events import (
    ButtonAction,
    ChatRef,
    Command,
    Event,
    PhotoMessage,
    SenderRef,
    event_from_text,
)
from bot.core.limits import SLOW_DOWN
from bot.core.locks import KeyedLocks
from bot.core.replies import Reply

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
COOKIE = "candibot"
LATEST = "/#latest"
#: Form posts other than photos are small: a message is at most 4,000 characters.
MAX_FORM = 128 * 1024
#: Clears what the browser holds for this site when a session ends.
CLEAR_SITE_DATA = '"cookies", "storage"'
UPLOAD_NOTICES = {
    Problem.TOO_LARGE: strings.TOO_LARGE,
    Problem.NOT_A_PHOTO: strings.NOT_A_PHOTO,
    Problem.NO_FILE: strings.NO_FILE,
    Problem.MALFORMED: strings.STALE_FORM,
}


@dataclass(frozen=True, slots=True)
class Step:
    """What a POST asks of the core: the event, the user's words to show, and the
    session as it should be before the replies are added."""

    event: Event | None
    said: Reply | None
    session: Session


MakeStep = Callable[[Ids, Session], Step]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def build_app(adapter: WebAdapter) -> web.Application:
    app = web.Application(middlewares=[_guard(adapter)], client_max_size=MAX_FORM)
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        default_helpers=False,
        undefined=jinja2.StrictUndefined,
    )
    app.on_response_prepare.append(add_headers)
    routes = Routes(adapter)
    app.router.add_get("/", routes.page)
    app.router.add_post("/say", routes.say)
    app.router.add_post("/press", routes.press)
    app.router.add_post("/photo", routes.photo)
    app.router.add_post("/language", routes.language)
    app.router.add_post("/end", routes.end)
    app.router.add_get("/ended", routes.ended)
    app.router.add_get("/favicon.ico", _no_icon)
    app.router.add_static("/static/", HERE / "static")
    return app


async def _no_icon(request: web.Request) -> web.Response:
    return web.Response(status=204)


class Unreadable(Exception):
    """A form whose bytes are not UTF-8."""


async def _form(request: web.Request) -> MultiDictProxy[str | bytes | bytearray | FileField]:
    """The posted form; aiohttp decodes it strictly, and raw bytes that are not UTF-8
    (percent-encoded ones become U+FFFD) would otherwise end as a server error."""
    try:
        return await request.post()
    except UnicodeDecodeError as exc:
        raise Unreadable from exc


def _guard(adapter: WebAdapter) -> Middleware:
    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        language = from_header(request.headers.get("Accept-Language"))
        if onion_refusal(request, adapter.options.onion_name):
            return _notice(request, adapter, language, strings.ONION_ONLY, status=421)
        try:
            return await handler(request)
        except web.HTTPException:
            raise
        except Unreadable:  # a client's garbage, not our failure: no error to log
            return _notice(request, adapter, language, strings.UNREADABLE, status=400)
        except Exception as exc:  # its message may quote what the user wrote
            log.error("a web request failed: %s", type(exc).__name__)
            return _notice(request, adapter, language, strings.FAILED, status=500)

    return guard


def _words(adapter: WebAdapter, language: str) -> dict[str, str]:
    options = adapter.options
    return strings.page_words(
        adapter.catalogs.gettext(language),
        minutes=options.session_minutes,
        size_mb=options.max_upload_bytes // (1024 * 1024),
    )


def _notice(
    request: web.Request, adapter: WebAdapter, language: str, message: str, *, status: int
) -> web.Response:
    """A page with nothing but a message: no session is made or touched."""
    _ = adapter.catalogs.gettext(language)
    context = {
        "lang": TAGS[language],
        "t": _words(adapter, language),
        "message": _(message).format(minutes=adapter.options.session_minutes),
    }
    return aiohttp_jinja2.render_template("notice.html", request, context, status=status)


class Routes:
    def __init__(self, adapter: WebAdapter) -> None:
        self._adapter = adapter
        self._sessions = adapter.sessions
        self._limits = adapter.limits
        self._locks = KeyedLocks()

    # Showing ---------------------------------------------------------------

    def _render(
        self, request: web.Request, session: Session, *, status: int = 200,
        notice: str | None = None,
    ) -> web.Response:  # fmt: skip
        language = session.language
        _ = self._adapter.catalogs.gettext(language)
        options = self._adapter.options
        said = notice or session.notice
        context = {
            "lang": TAGS[language],
            "t": _words(self._adapter, language),
            "csrf": session.csrf,
            "bubbles": shown(session.entries),
            "buttons": latest_buttons(session.entries),
            "asks_for_photo": asks_for_photo(session.entries),
            "notice": _(said).format(
                minutes=options.session_minutes, size=options.max_upload_bytes // (1024 * 1024)
            )
            if said
            else None,
            "switch": {"code": other(language), "name": NAMES[other(language)]},
            "switch_lang": TAGS[other(language)],
        }
        return aiohttp_jinja2.render_template("chat.html", request, context, status=status)

    def _renderer(self, request: web.Request, session: Session) -> Callable[[bool, Reply], str]:
        """Renders one bubble with the page's template, in the session's language."""
        words = _words(self._adapter, session.language)
        macro = aiohttp_jinja2.get_env(request.app).get_template("text.html").module.bubble  # type: ignore[attr-defined]

        def render(mine: bool, reply: Reply) -> str:
            return str(macro(bubble(mine, reply), words))

        return render

    async def page(self, request: web.Request) -> web.StreamResponse:
        sid = request.cookies.get(COOKIE)
        session = await self._sessions.load(sid)
        if sid is None or session is None:
            language = from_header(request.headers.get("Accept-Language"))
            if not await self._limits.globally():
                return _notice(request, self._adapter, language, strings.BUSY, status=429)
            sid, session = await self._sessions.create(language)
            response = self._render(request, session)
            self._set_cookie(response, sid)
            return response
        response = self._render(request, session)
        # Viewing is activity too (written back once a minute at most); a notice is shown once.
        if session.stale(time.time()):
            await self._sessions.save(sid, replace(session, notice=None))
        return response

    def _set_cookie(self, response: web.StreamResponse, sid: str) -> None:
        response.set_cookie(COOKIE, sid, **cookie_options(self._adapter.options.https))  # type: ignore[arg-type]

    # Changing --------------------------------------------------------------

    async def _act(self, request: web.Request, token: object, make: MakeStep) -> web.StreamResponse:
        """Check the session, its token and the budgets, then run one turn and redirect."""
        sid = request.cookies.get(COOKIE)
        if sid is None or not valid_id(sid):
            return await self._restart(request, None)
        ids = await self._sessions.ids(sid)
        async with self._locks.hold(ids.chat):
            session = await self._sessions.load(sid)
            if session is None:
                return await self._restart(request, strings.EXPIRED)
            if not same_token(session.csrf, token):
                return self._render(request, session, status=403, notice=strings.STALE_FORM)
            if not await self._limits.globally():
                return self._render(request, session, status=429, notice=strings.BUSY)
            if not await self._limits.for_session(ids.chat):
                return self._render(request, session, status=429, notice=SLOW_DOWN)
            step = make(ids, session)
            session = step.session
            if step.event is not None:
                replies = await self._adapter.turn(step.event)
                session = session.with_turn(step.said, replies, self._renderer(request, session))
            await self._sessions.save(sid, replace(session, notice=None))
        return _see_other(LATEST)

    async def _restart(self, request: web.Request, notice: str | None) -> web.StreamResponse:
        """A POST without a live session: a new one, which says why nothing was sent."""
        language = from_header(request.headers.get("Accept-Language"))
        if not await self._limits.globally():
            return _notice(request, self._adapter, language, strings.BUSY, status=429)
        sid, _ = await self._sessions.create(language, notice or strings.STALE_FORM)
        response = _see_other(LATEST)
        self._set_cookie(response, sid)
        return response

    async def say(self, request: web.Request) -> web.StreamResponse:
        form = await _form(request)
        text = form.get("text")
        typed = text.strip() if isinstance(text, str) else ""

        def step(ids: Ids, session: Session) -> Step:
            if not typed:
                return Step(None, None, session)
            event = event_from_text(typed, **_origin(ids, session.language))
            return Step(event, Reply.of(typed), session)

        return await self._act(request, form.get("csrf"), step)

    async def press(self, request: web.Request) -> web.StreamResponse:
        form = await _form(request)
        payload = form.get("payload")

        def step(ids: Ids, session: Session) -> Step:
            if not isinstance(payload, str) or not payload:
                return Step(None, None, session)
            label = _label(session, payload)
            event = ButtonAction(payload=payload, **_origin(ids, session.language))
            return Step(event, Reply.of(label) if label else None, session)

        return await self._act(request, form.get("csrf"), step)

    async def photo(self, request: web.Request) -> web.StreamResponse:
        upload = await read_upload(request, self._adapter.options.max_upload_bytes)
        if upload.problem is not None:
            return await self._refused_upload(request, upload.csrf, upload.problem)

        def step(ids: Ids, session: Session) -> Step:
            event = PhotoMessage(image=upload.photo, **_origin(ids, session.language))
            said = self._adapter.catalogs.gettext(session.language)(strings.PHOTO_SENT)
            return Step(event, Reply.of(said), session)

        return await self._act(request, upload.csrf, step)

    async def _refused_upload(
        self, request: web.Request, token: str, problem: Problem
    ) -> web.StreamResponse:
        sid = request.cookies.get(COOKIE)
        session = await self._sessions.load(sid)
        if sid is None or session is None:
            return await self._restart(request, strings.EXPIRED if sid else None)
        if not same_token(session.csrf, token):
            return self._render(request, session, status=403, notice=strings.STALE_FORM)
        status = {Problem.TOO_LARGE: 413, Problem.NOT_A_PHOTO: 415}.get(problem, 400)
        return self._render(request, session, status=status, notice=UPLOAD_NOTICES[problem])

    async def language(self, request: web.Request) -> web.StreamResponse:
        form = await _form(request)
        chosen = form.get("language")

        def step(ids: Ids, session: Session) -> Step:
            if not isinstance(chosen, str) or chosen not in NAMES:
                return Step(None, None, session)
            switched = replace(session, language=chosen)
            # The core keeps the choice too, so that its replies follow the page.
            event = Command(name="language", args=chosen, **_origin(ids, chosen))
            return Step(event, None, switched)

        return await self._act(request, form.get("csrf"), step)

    async def end(self, request: web.Request) -> web.StreamResponse:
        form = await _form(request)
        sid = request.cookies.get(COOKIE)
        session = await self._sessions.load(sid)
        language = (
            session.language if session else from_header(request.headers.get("Accept-Language"))
        )
        if sid is not None and session is not None:
            if not same_token(session.csrf, form.get("csrf")):
                return self._render(request, session, status=403, notice=strings.STALE_FORM)
            ids = await self._sessions.ids(sid)
            async with self._locks.hold(ids.chat):
                # A draft in progress is dropped as /cancel drops it.
                await self._adapter.turn(Command(name="cancel", **_origin(ids, language)))
                await self._sessions.forget(sid)
        response = _see_other(f"/ended?lang={language}")
        response.del_cookie(COOKIE, path="/")
        response.headers["Clear-Site-Data"] = CLEAR_SITE_DATA
        return response

    async def ended(self, request: web.Request) -> web.StreamResponse:
        asked = request.query.get("lang", "")
        language = asked if asked in NAMES else from_header(request.headers.get("Accept-Language"))
        return _notice(request, self._adapter, language, strings.ENDED, status=200)


def _see_other(location: str) -> web.Response:
    """Post/Redirect/Get: the browser fetches ``location``; a reload repeats only that."""
    return web.Response(status=303, headers={"Location": location})


def _origin(ids: Ids, language: str) -> dict[str, Any]:
    return {
        "chat": ChatRef(PLATFORM, ids.chat, private=True),
        "sender": SenderRef(PLATFORM, ids.sender),
        "language": language,
        "event_id": uuid.uuid4().hex,
    }


def _label(session: Session, payload: str) -> str | None:
    """The label of the pressed button, to show as the user's side of the turn."""
    for row in latest_buttons(session.entries):
        for button in row:
            if button.payload == payload:
                return button.label
    return None
