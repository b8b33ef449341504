"""The web chat over HTTP: headers, Post/Redirect/Get, CSRF, expiry, uploads, limits,
onion-only, and that neither a log line nor a row holds who the client is."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator

import aiohttp
import pytest
from sqlalchemy import select

from bot.adapters.web import strings
from bot.adapters.web.sessions import KEPT_BYTES
from bot.adapters.web.uploads import DRAIN_LIMIT
from bot.app import App
from bot.core.i18n import Catalogs
from bot.core.inputs import MAX_TEXT_CHARS
from bot.core.limits import SLOW_DOWN
from storage.crypto import ModeratorKeys, decrypt
from storage.models import Base, Report, ReportAttachment
from tests.helpers import Clock
from tests.telegram.conftest import gps_jpeg
from tests.web.client import WebClient
from tests.web.conftest import serving

EN = {"Accept-Language": "en-GB,en;q=0.9"}
ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}
ONION = "candibotexampleonionaddressxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.onion"
_ = Catalogs().gettext("en")
RECEIPT = re.compile(r"\d{4} \d{4} \d{4} \d{4}")


async def to_photos(client: WebClient, *, started: bool = False) -> None:
    """From /report (said already when ``started``) to the photo step."""
    if not started:
        assert "rpt:go" in (await client.say("/report")).payloads
    await client.press("rpt:go")
    await client.press("rptc:threatening_calls")
    await client.press("rpta:")
    await client.press("rptw:this_week")
    page = await client.say("昨天晚上有人打电话威胁我的家人，要求我退出选举。")
    assert 'type="file"' in page.html


async def test_every_response_carries_the_security_headers(app: App) -> None:
    async with serving(app) as web, WebClient(web.port or 0, **EN) as client:
        page = await client.get()
        css = await client.get("/static/chat.css")
        missing = await client.get("/nowhere")
    for response in (page, css, missing):
        headers = response.headers
        assert headers["Content-Security-Policy"].startswith("default-src 'self'")
        assert "'unsafe-inline'" not in headers["Content-Security-Policy"]
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "aiohttp" not in headers.get("Server", "")
    for response in (page, css):  # a cached stylesheet shows where the device has been
        assert response.headers["Cache-Control"] == "no-store"
    cookie = page.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie
    assert "Expires" not in cookie and "Max-Age" not in cookie  # gone with the browser


async def test_a_malformed_request_learns_nothing_of_the_server(app: App) -> None:
    async with serving(app) as web:
        reader, writer = await asyncio.open_connection("127.0.0.1", web.port)
        writer.write(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
        await writer.drain()
        answer = (await reader.read()).decode("latin-1")
        writer.close()
    assert answer.startswith("HTTP/1.0 400") or answer.startswith("HTTP/1.1 400")
    assert "aiohttp" not in answer and "Python" not in answer


async def test_the_cookie_is_secure_behind_https(app: App) -> None:
    async with serving(app, https=True) as web, WebClient(web.port or 0) as client:
        page = await client.get()
    assert "Secure" in page.headers["Set-Cookie"]


async def test_behind_https_a_sibling_site_cannot_plant_a_session(app: App) -> None:
    """Another name under the same domain can set a cookie for the whole domain; only a
    ``__Host-`` cookie is known to come from this host alone."""
    async with serving(app, https=True) as web, WebClient(web.port or 0, **EN) as attacker:
        # Secure cookies are not sent back over plain HTTP: the tests send them by hand.
        made = await attacker.get()
        name, _, rest = made.headers["Set-Cookie"].partition("=")
        planted = rest.partition(";")[0]
        mine = {"Cookie": f"{name}={planted}"}
        await attacker.post("/say", {"csrf": made.csrf, "text": "/search zeng lixin"}, **mine)
        assert "曾立新" in (await attacker.get(**mine)).text
        victim = await attacker.get(Cookie=f"candibot={planted}")
    assert name == "__Host-candibot"
    assert "Path=/" in made.headers["Set-Cookie"] and "Domain" not in made.headers["Set-Cookie"]
    assert "曾立新" not in victim.text and "Set-Cookie" in victim.headers  # a session of its own


async def test_a_message_is_answered_and_the_post_redirected(app: App) -> None:
    async with serving(app) as web, WebClient(web.port or 0, **EN) as client:
        async with client.session.post(
            client.base + "/say",
            data={"csrf": (await client.get()).csrf, "text": "/search zeng lixin"},
            allow_redirects=False,
        ) as response:
            assert response.status == 303
            assert response.headers["Location"] == "/#latest"
        page = await client.get()
    assert "曾立新" in page.text and 'id="latest"' in page.html


async def test_a_post_without_the_pages_token_is_refused(app: App) -> None:
    async with serving(app) as web, WebClient(web.port or 0, **EN) as client:
        await client.get()
        refused = await client.post("/say", {"csrf": "forged", "text": "/search zeng lixin"})
        missing = await client.post("/say", {"text": "/search zeng lixin"})
        page = await client.get()
    assert refused.status == missing.status == 403
    assert _(strings.STALE_FORM) in refused.text
    assert "曾立新" not in page.text  # the core never saw it


async def test_a_post_without_the_cookie_sends_nothing_and_sets_no_cookie(app: App) -> None:
    async with serving(app) as web, WebClient(web.port or 0, **EN) as client:
        said = await client.post("/say", {"csrf": "x", "text": "/search zeng lixin"})
        ended = await client.post("/end", {"csrf": "x"})
    for page in (said, ended):
        assert page.status == 403 and _(strings.STALE_FORM) in page.text
        # A new cookie, or a deleted one, would replace the reader's own session.
        assert "Set-Cookie" not in page.headers and "Clear-Site-Data" not in page.headers
    assert "曾立新" not in said.text


async def test_a_post_another_site_made_is_refused_with_the_cookie_and_token(app: App) -> None:
    async with serving(app) as web, WebClient(web.port or 0, **EN) as client:
        token = (await client.get()).csrf
        for site in ("cross-site", "same-site"):
            refused = await client.post("/say", {"csrf": token, "text": "/search zeng lixin"},
                                        **{"Sec-Fetch-Site": site})  # fmt: skip
            assert refused.status == 403 and _(strings.STALE_FORM) in refused.text
        ours = await client.post("/say", {"csrf": token, "text": "/search wang"},
                                 **{"Sec-Fetch-Site": "same-origin"})  # fmt: skip
    assert ours.status == 200 and "曾立新" not in ours.text and "王" in ours.text


async def test_a_link_from_another_site_makes_no_session_and_reopens_the_page(app: App) -> None:
    async with serving(app) as web, WebClient(web.port or 0, **EN) as client:
        arrived = await client.get(**{"Sec-Fetch-Site": "cross-site"})
        assert client.cookie is None
        ours = await client.get(**{"Sec-Fetch-Site": "same-origin"})
    assert arrived.status == 200 and "Set-Cookie" not in arrived.headers
    assert '<meta http-equiv="refresh" content="0; url=/">' in arrived.html
    assert _(strings.OPEN_CHAT) in arrived.text
    assert "Set-Cookie" in ours.headers


async def test_an_expired_session_is_forgotten_and_says_so(app: App, clock: Clock) -> None:
    async with serving(app, session_seconds=600) as web, WebClient(web.port or 0, **EN) as c:
        await c.say("/search zeng lixin")
        old = c.cookie
        token = (await c.get()).csrf
        clock.now += 601
        page = await c.post("/say", {"csrf": token, "text": "/search wang"})
    assert page.status == 200
    assert _(strings.EXPIRED).format(minutes=10) in page.text
    assert "曾立新" not in page.text and c.cookie != old


async def test_an_oversized_upload_is_refused_and_the_draft_kept(app: App) -> None:
    cap = 64 * 1024
    async with serving(app, max_upload_bytes=cap) as web, WebClient(web.port or 0, **EN) as c:
        await to_photos(c)
        page = await c.upload(b"\xff\xd8" + bytes(cap + 1))
        wrong = await c.upload(b"GIF89a", content_type="application/pdf")
    assert page.status == 413
    assert _(strings.TOO_LARGE).format(size=0) in page.text
    assert 'type="file"' in page.html  # still at the photo step
    assert wrong.status == 415 and _(strings.NOT_A_PHOTO) in wrong.text


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # nothing reaches storage
@pytest.mark.parametrize("shape", ["one endless part", "endless parts"])
async def test_an_upload_that_never_ends_is_cut_off(app: App, shape: str) -> None:
    """Sent in chunks, a body declares no length: the server must stop reading it."""
    cap, boundary, offered, sent = 64 * 1024, "b0undary", 2 * DRAIN_LIMIT, 0
    junk = b"a" * 60_000 + b"\r\n"
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="junk"\r\n\r\n'.encode()

    async def body(token: str) -> AsyncIterator[bytes]:
        nonlocal sent
        yield f'--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n'.encode()
        yield token.encode() + b"\r\n"
        while sent < offered:
            chunk = head + junk if shape == "endless parts" or not sent else b"a" * 65_536
            sent += len(chunk)
            yield chunk
        yield f"\r\n--{boundary}--\r\n".encode()

    async with serving(app, max_upload_bytes=cap) as web, WebClient(web.port or 0, **EN) as c:
        await to_photos(c)
        assert c.page is not None
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        try:
            async with c.session.post(c.base + "/photo", data=body(c.page.csrf),
                                      headers=headers) as response:  # fmt: skip
                status: int | None = response.status
        except aiohttp.ClientError:  # the server closed the connection past the drain
            status = None
    # What the server read: the cap, and what the sockets' buffers held.
    assert sent < DRAIN_LIMIT // 4, sent
    assert status in (413, None)


async def test_an_upload_with_more_parts_than_a_form_has_is_refused(app: App) -> None:
    async with serving(app) as web, WebClient(web.port or 0, **EN) as c:
        await to_photos(c)
        form = aiohttp.FormData()
        form.add_field("csrf", (await c.get()).csrf)
        for i in range(50):
            form.add_field(f"f{i}", "x")
        form.add_field("photo", gps_jpeg(), filename="a.jpg", content_type="image/jpeg")
        refused = await c.post("/photo", form)
    assert refused.status == 400 and _(strings.STALE_FORM) in refused.text
    assert "1 of 5" not in refused.text and 'type="file"' in refused.html


async def test_a_report_with_a_photo_from_the_web_is_stripped_and_gets_a_receipt(
    app: App, report_keys: ModeratorKeys
) -> None:
    async with serving(app) as web, WebClient(web.port or 0, **EN) as client:
        await to_photos(client)
        assert "1 of 5" in (await client.upload(gps_jpeg())).text
        await client.press("rptp:done")
        await client.press("rptpub:no")
        page = await client.press("rpts:send")
    found = RECEIPT.search(page.text)
    assert found and f'<p class="keepsake"><code tabindex="0">{found.group(0)}' in page.html
    assert _(strings.KEEPSAKE) in page.text
    async with app.engine.connect() as connection:
        report = (await connection.execute(select(Report))).one()
        attachment = (await connection.execute(select(ReportAttachment))).one()
    photo = decrypt(report_keys.open_report_key(report.sealed_key), attachment.data)
    assert b"SpyCam" not in photo and b"IMG_0001" not in photo


@pytest.mark.parametrize(
    ("headers", "words"),
    [
        (EN, ("Tor Browser", "Telegram", "end this session", "delete this message")),
        (ZH, ("Tor 浏览器", "Telegram", "请结束本次会话", "删除这条消息")),
    ],
    ids=["en", "zh"],
)
async def test_a_report_on_the_web_warns_of_the_network_and_device_not_a_chat_service(
    app: App, headers: dict[str, str], words: tuple[str, str, str, str]
) -> None:
    tor, chat_service, end, delete = words
    async with serving(app) as web, WebClient(web.port or 0, **headers) as client:
        safety = await client.say("/report")
        await to_photos(client, started=True)
        await client.press("rptp:done")
        await client.press("rptpub:no")
        received = await client.press("rpts:send")
    assert tor in safety.text and chat_service not in safety.text
    assert end in received.text and delete not in received.text


async def test_send_the_report_pressed_twice_sends_it_once_and_keeps_the_receipt_latest(
    app: App,
) -> None:
    """Without JavaScript, a second press while the first is on its way sends the same
    form again, and the browser shows the second answer."""
    async with serving(app) as web, WebClient(web.port or 0, **EN) as client:
        await to_photos(client)
        await client.press("rptp:done")
        check = await client.press("rptpub:no")
        assert "rpts:send" in check.payloads
        form = check.hidden("/press") | {"payload": "rpts:send"}
        first = await client.post("/press", form)
        second = await client.post("/press", form)
    assert RECEIPT.search(first.text)
    assert second.status == 409 and _(strings.MOVED_ON) in second.text
    assert RECEIPT.search(second.text) and "expired" not in second.text
    async with app.engine.connect() as connection:
        assert len((await connection.execute(select(Report))).all()) == 1


async def test_a_session_over_its_budget_is_asked_to_slow_down(app: App) -> None:
    async with serving(app, session_per_minute=2) as web, WebClient(web.port or 0, **ZH) as c:
        await c.say("/start")
        await c.say("/help")
        page = await c.say("/rights")
    assert page.status == 429
    assert Catalogs().gettext("zh_CN")(SLOW_DOWN) in page.text


async def test_everyone_together_has_a_budget_too(app: App) -> None:
    async with serving(app, global_per_minute=3) as web, WebClient(web.port or 0, **EN) as c:
        await c.say("/start")  # a new session, then the message
        await c.say("/help")
        page = await c.say("/rights")
        stranger = await WebClient(web.port or 0, **EN).__aenter__()
        try:
            newcomer = await stranger.get()
        finally:
            await stranger.session.close()
    assert page.status == newcomer.status == 429
    assert _(strings.BUSY) in page.text and _(strings.BUSY) in newcomer.text


async def test_a_session_keeps_a_bounded_conversation_whatever_is_posted(app: App) -> None:
    async with serving(app) as web, WebClient(web.port or 0, **EN) as client:
        for _ in range(6):
            await client.say('"<' * (MAX_TEXT_CHARS // 2))  # each grows when escaped
        page = await client.say("a" * 100_000)  # no browser's maxlength stops this
        session = await web.sessions.load(client.cookie)
    assert page.status == 200 and "That message is too long." in page.text
    assert session is not None
    kept = len(json.dumps(session.to_json(), ensure_ascii=False).encode())
    assert kept <= KEPT_BYTES + 4096, kept


async def test_new_sessions_have_a_budget_of_their_own(app: App) -> None:
    async with (
        serving(app, new_sessions_per_minute=2) as web,
        WebClient(web.port or 0, **EN) as first,
        WebClient(web.port or 0, **EN) as second,
        WebClient(web.port or 0, **EN) as third,
    ):
        await first.say("/start")
        await second.get()
        refused = await third.get()
        going_on = await first.say("/search zeng lixin")
    assert refused.status == 429 and _(strings.BUSY) in refused.text
    assert third.cookie is None
    assert going_on.status == 200 and "曾立新" in going_on.text


async def test_photos_of_everyone_together_have_a_budget(app: App) -> None:
    """A draft keeps its photos in memory for up to an hour; sessions cost nothing."""
    async with (
        serving(app, photos_per_minute=1) as web,
        WebClient(web.port or 0, **EN) as first,
        WebClient(web.port or 0, **EN) as second,
    ):
        await to_photos(first)
        await to_photos(second)
        added = await first.upload(gps_jpeg())
        refused = await second.upload(gps_jpeg())
    assert added.status == 200 and "1 of 5" in added.text
    assert refused.status == 429 and _(strings.BUSY) in refused.text
    assert "1 of 5" not in refused.text and 'type="file"' in refused.html


async def test_onion_only_serves_its_onion_name_and_no_gateway(app: App) -> None:
    async with serving(app, onion_name=ONION) as web, WebClient(web.port or 0, **EN) as c:
        onion = await c.get(Host=ONION)
        other = await c.get(Host="candibot.example.org")
        address = await c.get()
        gateway = await c.get(Host=ONION, **{"X-Tor2web": "encrypted"})
        forwarded = await c.get(Host=ONION, **{"X-Forwarded-For": "198.51.100.7"})
    assert onion.status == 200
    for refused in (other, address, gateway, forwarded):
        assert refused.status == 421
        assert _(strings.ONION_ONLY) in refused.text
        assert refused.headers["X-Frame-Options"] == "DENY"


async def test_ending_the_session_forgets_it(app: App) -> None:
    async with serving(app) as web, WebClient(web.port or 0, **EN) as c:
        await c.say("/search zeng lixin")
        old = c.cookie
        ended = await c.post("/end", {"csrf": (await c.get()).csrf})
        assert c.cookie is None
        # The old cookie finds nothing any more.
        c.jar.update_cookies({"candibot": old or ""})
        again = await c.get()
    assert ended.status == 200 and _(strings.ENDED) in ended.text
    assert "曾立新" not in again.text and "Set-Cookie" in again.headers  # a new session


async def test_ending_the_session_asks_the_browser_to_clear_the_sites_cache_too(
    app: App,
) -> None:
    async with serving(app) as web, WebClient(web.port or 0, **EN) as c:
        token = (await c.get()).csrf
        async with c.session.post(c.base + "/end", data={"csrf": token},
                                  allow_redirects=False) as response:  # fmt: skip
            cleared = response.headers["Clear-Site-Data"]
    assert {part.strip() for part in cleared.split(",")} == {'"cache"', '"cookies"', '"storage"'}


async def test_the_ended_page_never_says_a_live_session_is_over(app: App) -> None:
    async with serving(app) as web, WebClient(web.port or 0, **EN) as c:
        await c.say("/search zeng lixin")
        linked = await c.get("/ended?lang=en", **{"Sec-Fetch-Site": "cross-site"})
        typed = await c.get("/ended?lang=en")
    for page in (linked, typed):
        assert _(strings.ENDED) not in page.text
    assert "曾立新" in typed.text  # the conversation, which is not over


async def test_no_log_line_or_row_holds_the_client(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    agent, address = "Distinctive-Agent/9.9 (X11; candibot-test)", "203.0.113.77"
    headers = {**EN, "User-Agent": agent, "X-Forwarded-For": address, "X-Real-IP": address}
    async with serving(app) as web, WebClient(web.port or 0, **headers) as client:
        await client.say("/search zeng lixin")
        await client.say("/language zh")
        await to_photos(client)
        await client.upload(gps_jpeg())
        await client.press("rptp:done")
        await client.press("rptpub:no")
        await client.press("rpts:send")
        await client.post("/nowhere", {"x": "y"})
        session_id = client.cookie
    assert session_id
    logged = caplog.text + "\n".join(str(r.msg) + repr(r.args) for r in caplog.records)
    rows = []
    async with app.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            rows += [repr(tuple(row)) for row in await connection.execute(select(table))]
    dump = "\n".join(rows)
    assert "demo-c001" in dump  # the dump holds the data
    for secret in (address, "127.0.0.1", agent, "Distinctive-Agent", session_id):
        assert secret not in logged, secret
        assert secret not in dump, secret
