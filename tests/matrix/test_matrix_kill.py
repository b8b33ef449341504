"""kill -9 between commit and send on Matrix: the reply decided and committed, its
request never reaching the homeserver, is sent by the restarted `candibot run`.

A proxy between the bot and Synapse holds the bot's room sends, so the process dies
with the reply committed and not sent, as an operator's kill would catch it.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from aiohttp import ClientSession, web

from tests.matrix.citizen import Citizen
from tests.matrix.synapse import Synapse
from tests.matrix.test_matrix_command import _start, _terminate

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class HoldingProxy:
    """Forwards everything to the homeserver; while ``holding``, room sends wait forever."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.holding = False
        self.held = 0
        self._runner: web.AppRunner | None = None
        self._client: ClientSession | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{path:.*}", self._forward)
        self._client = ClientSession()
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._client is not None:
            await self._client.close()

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        if self.holding and request.method == "PUT" and "/send/" in request.path:
            self.held += 1
            await asyncio.Event().wait()  # until the bot's connection dies
        assert self._client is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        async with self._client.request(
            request.method, self.upstream + request.path_qs, headers=headers,
            data=await request.read(),
        ) as answer:  # fmt: skip
            body = await answer.read()
            kept = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP}
            return web.Response(status=answer.status, body=body, headers=kept)


async def test_kill_9_between_commit_and_send_loses_no_matrix_reply(
    synapse: Synapse, bot_id: str, citizen: Citizen, tmp_path: Path
) -> None:
    proxy = HoldingProxy(synapse.url)
    await proxy.start()
    process = _start(proxy.url, bot_id, tmp_path)
    try:
        room = await citizen.direct_chat(encrypted=True, timeout=60)
        await citizen.ask(room, "/start", "欢迎使用 candibot。")
        proxy.holding = True
        heard = citizen.mark()
        await citizen.say(room, "/help")
        await citizen.until(lambda: proxy.held > 0, timeout=30)
        process.kill()
        await asyncio.to_thread(process.wait, 30)
        proxy.holding = False
        assert citizen.mark() == heard, "the reply got out before the kill"

        process = _start(proxy.url, bot_id, tmp_path)
        answer = await citizen.heard_until(heard, "/report", timeout=60)
        await citizen.quiet(2)
        assert "/report" in answer
        assert citizen.mark() == heard + 1, "the reply arrived more than once"
    except (TimeoutError, AssertionError):
        if process.poll() is None:
            output = (await _terminate(process))[1]
            raise AssertionError(output[-3000:]) from None
        raise
    finally:
        if process.poll() is None:
            await _terminate(process)
        with contextlib.suppress(Exception):
            await proxy.stop()
