"""The routes of the web chat.

``GET /`` shows the conversation (making a session when there is none), ``GET /data``
the open data files when a directory of them is configured (``open_data``); every change
is a form POST (``/say``, ``/press``, ``/photo``, ``/language``, ``/end``) that is
answered with a redirect to ``/#latest``, so that a reload never sends it again
(Post/Redirect/Get). A refused POST (an out-of-date form, too many messages, a photo
too large) shows the page again with a notice, and sends nothing to the core.

The cookie is ``SameSite=Strict``, so a request another site makes comes without it.
Such a request must not make a session: its cookie would replace the reader's own and
lose their conversation (and a report's draft). So a POST without the cookie, or one
the browser says another site made, is refused with a notice and no cookie; and a link
from another site gets a page that opens the chat again from this site, with the cookie.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp.typedefs import Middleware
from aiohttp.web_request import FileField
from multidict import MultiDictProxy

from bot.adapters.web import open_data, strings
from bot.adapters.web.adapter import PLATFORM, WebAdapter
from bot.adapters.web.language import NAMES, TAGS, from_header, other
from bot.adapters.web.render import asks_for_photo, bubble, latest_buttons, shown
from bot.adapters.web.security import (
    add_headers,
    cookie_name,
    cookie_options,
    from_elsewhere,
    onion_refusal,
    same_token,
)
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
from bot.core.inputs import MAX_TEXT_CHARS
from bot.core.limits import SLOW_DOWN
from bot.core.locks import KeyedLocks
from bot.core.replies import Reply

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
LATEST = "/#latest"
#: Form posts other than photos are small: a message is at most 4,000 characters.
MAX_FORM = 128 * 1024
#: Clears what the browser holds for this site when a session ends.
CLEAR_SITE_DATA = '"cache", "cookies", "storage"'
#: The answer to /forget's question about a candidate's claim (``handlers.forget``).
FORGET_ALL = "forget:yes"
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
#: A form's fields as ``request.post()`` gives them.
Form = Mapping[str, object]
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
    open_data.register(app, adapter.options.open_data_dir, adapter.catalogs)
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
        if request.method == "POST" and from_elsewhere(request):
            # Another site's form: refused before it touches a session or the cookie.
            return _notice(request, adapter, language, strings.STALE_FORM, status=403)
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
    request: web.Request, adapter: WebAdapter, language: str, message: str | None, *,
    status: int, reopen: bool = False,
) -> web.Response:  # fmt: skip
    """A page with nothing but a message: no session is made or touched. With
    ``reopen``, it opens the chat again at once (``/``, now from this site)."""
    _ = adapter.catalogs.gettext(language)
    words = _words(adapter, language)
    context = {
        "lang": TAGS[language],
        "t": words,
        "message": _(message).format(minutes=adapter.options.session_minutes) if message else None,
        "reopen": reopen,
        "link": words["open_chat"] if reopen else words["new_session"],
    }
    return aiohttp_jinja2.render_template("notice.html", request, context, status=status)


class Routes:
    def __init__(self, adapter: WebAdapter) -> None:
        self._adapter = adapter
        self._sessions = adapter.sessions
        self._limits = adapter.limits
        self._locks = KeyedLocks()
        self._cookie = cookie_name(adapter.options.https)

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
            "turn": session.turns,
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
        sid = request.cookies.get(self._cookie)
        if sid is None and from_elsewhere(request):
            # A link on another site: the browser withheld the cookie, and a new session
            # would replace the reader's own. Open the page again from here instead.
            language = from_header(request.headers.get("Accept-Language"))
            return _notice(request, self._adapter, language, None, status=200, reopen=True)
        session = await self._sessions.load(sid)
        if sid is None or session is None:
            language = from_header(request.headers.get("Accept-Language"))
            if not await self._limits.new_session():
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
        response.set_cookie(self._cookie, sid, **cookie_options(self._adapter.options.https))  # type: ignore[arg-type]

    # Changing --------------------------------------------------------------

    async def _act(
        self, request: web.Request, form: Form, make: MakeStep, *, photo: bool = False
    ) -> web.StreamResponse:
        """Check the session, its token, the turn the form was shown at, and the budgets
        (the photos' too, for a photo), then run one turn and redirect."""
        token, turn = form.get("csrf"), form.get("turn")
        sid = request.cookies.get(self._cookie)
        if sid is None:
            return self._without_cookie(request)
        if not valid_id(sid):
            return await self._restart(request, None)
        ids = await self._sessions.ids(sid)
        async with self._locks.hold(ids.chat):
            session = await self._sessions.load(sid)
            if session is None:
                return await self._restart(request, strings.EXPIRED)
            if not same_token(session.csrf, token):
                return self._render(request, session, status=403, notice=strings.STALE_FORM)
            if isinstance(turn, str) and turn != str(session.turns):
                # A form of an earlier page: pressed twice while the first was on its way
                # (the browser then shows the second answer), or an old tab. Sent again,
                # "Send the report" would be answered that the button expired and the
                # report was cancelled, below the receipt of the one just sent.
                return self._render(request, session, status=409, notice=strings.MOVED_ON)
            if not await self._limits.globally():
                return self._render(request, session, status=429, notice=strings.BUSY)
            if not await self._limits.for_session(ids.chat):
                return self._render(request, session, status=429, notice=SLOW_DOWN)
            if photo and not await self._limits.photo():
                return self._render(request, session, status=429, notice=strings.BUSY)
            step = make(ids, session)
            session = step.session
            if step.event is not None:
                replies = await self._adapter.turn(step.event)
                session = session.with_turn(step.said, replies, self._renderer(request, session))
            await self._sessions.save(sid, replace(session, notice=None))
        return _see_other(LATEST)

    def _without_cookie(self, request: web.Request) -> web.StreamResponse:
        """A POST without the cookie: another site's form (``SameSite=Strict`` withholds
        it), or a browser that dropped it. Nothing is sent, and neither a session nor a
        cookie is made, which would replace the reader's own."""
        language = from_header(request.headers.get("Accept-Language"))
        return _notice(request, self._adapter, language, strings.STALE_FORM, status=403)

    async def _restart(self, request: web.Request, notice: str | None) -> web.StreamResponse:
        """A POST whose cookie names no live session (it expired): a new one, which says
        why nothing was sent."""
        language = from_header(request.headers.get("Accept-Language"))
        if not await self._limits.new_session():
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
            # The core refuses a message over its limit and says so; the page keeps no
            # more of it than that, whatever was posted.
            return Step(event, Reply.of(_shortened(typed)), session)

        return await self._act(request, form, step)

    async def press(self, request: web.Request) -> web.StreamResponse:
        form = await _form(request)
        payload = form.get("payload")

        def step(ids: Ids, session: Session) -> Step:
            if not isinstance(payload, str) or not payload:
                return Step(None, None, session)
            label = _label(session, payload)
            event = ButtonAction(payload=payload, **_origin(ids, session.language))
            return Step(event, Reply.of(label) if label else None, session)

        return await self._act(request, form, step)

    async def photo(self, request: web.Request) -> web.StreamResponse:
        upload = await read_upload(request, self._adapter.options.max_upload_bytes)
        if upload.problem is not None:
            refusal = await self._refused_upload(request, upload.csrf, upload.problem)
            if upload.cut_off:
                # Sent now, then the connection closed: aiohttp would otherwise go on
                # reading what the sender streams for a while ("lingering").
                await refusal.prepare(request)
                await refusal.write_eof()
                request.protocol.force_close()
            return refusal

        def step(ids: Ids, session: Session) -> Step:
            event = PhotoMessage(image=upload.photo, **_origin(ids, session.language))
            said = self._adapter.catalogs.gettext(session.language)(strings.PHOTO_SENT)
            return Step(event, Reply.of(said), session)

        fields = {"csrf": upload.csrf} | ({"turn": upload.turn} if upload.turn else {})
        return await self._act(request, fields, step, photo=True)

    async def _refused_upload(
        self, request: web.Request, token: str, problem: Problem
    ) -> web.StreamResponse:
        sid = request.cookies.get(self._cookie)
        if sid is None:
            return self._without_cookie(request)
        session = await self._sessions.load(sid)
        if session is None:
            return await self._restart(request, strings.EXPIRED)
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

        return await self._act(request, form, step)

    async def end(self, request: web.Request) -> web.StreamResponse:
        form = await _form(request)
        sid = request.cookies.get(self._cookie)
        if sid is None:
            # Nothing to end here; deleting the cookie would end the reader's own.
            return self._without_cookie(request)
        session = await self._sessions.load(sid)
        language = (
            session.language if session else from_header(request.headers.get("Accept-Language"))
        )
        if session is not None:
            if not same_token(session.csrf, form.get("csrf")):
                return self._render(request, session, status=403, notice=strings.STALE_FORM)
            ids = await self._sessions.ids(sid)
            async with self._locks.hold(ids.chat):
                # The session's ids die with its cookie, so the core forgets all it keeps
                # for them, as /forget does: drafts, language, a candidate's claim too
                # (which no one could use again); the button confirms it when there is one.
                await self._adapter.turn(Command(name="forget", **_origin(ids, language)))
                await self._adapter.turn(ButtonAction(payload=FORGET_ALL, **_origin(ids, language)))
                await self._sessions.forget(sid)
        response = _see_other(f"/ended?lang={language}")
        response.del_cookie(self._cookie, **cookie_options(self._adapter.options.https))  # type: ignore[arg-type]
        response.headers["Clear-Site-Data"] = CLEAR_SITE_DATA
        return response

    async def ended(self, request: web.Request) -> web.StreamResponse:
        asked = request.query.get("lang", "")
        language = asked if asked in NAMES else from_header(request.headers.get("Accept-Language"))
        if from_elsewhere(request):
            # Another site's link: the session may well be alive, and saying it is over
            # would leave the reader believing the device holds nothing.
            return _notice(request, self._adapter, language, None, status=200, reopen=True)
        if await self._sessions.load(request.cookies.get(self._cookie)) is not None:
            return _see_other(LATEST)
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


def _shortened(text: str) -> str:
    """What the page keeps of the reader's message: at most the core's limit."""
    return text if len(text) <= MAX_TEXT_CHARS else text[:MAX_TEXT_CHARS] + "…"


def _label(session: Session, payload: str) -> str | None:
    """The label of the pressed button, to show as the user's side of the turn."""
    for row in latest_buttons(session.entries):
        for button in row:
            if button.payload == payload:
                return button.label
    return None
