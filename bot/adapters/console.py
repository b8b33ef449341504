"""The terminal as a chat: lines in, replies out, buttons as numbered options.

Reads standard input also when it is a pipe, and returns from ``run`` at the
end of input once every reply has been printed.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from typing import BinaryIO, TextIO

from bot.adapters.base import Adapter, Capabilities, EventSink
from bot.core.events import ButtonAction, ChatRef, Event, SenderRef, event_from_text
from bot.core.replies import Button, Reply


class ConsoleAdapter(Adapter):
    platform = "console"
    capabilities = Capabilities(
        inline_buttons=False, rich_text=False, photos=False, max_text_chars=1_000_000
    )

    def __init__(
        self,
        stdin: BinaryIO,
        stdout: TextIO,
        *,
        user_id: str = "1",
        language: str | None = None,
        prompt: bool = False,
        opening: Sequence[str] = (),
        echo: bool = False,
    ) -> None:
        """``opening``: lines sent before standard input is read, each shown as typed."""
        self._stdin = stdin
        self._stdout = stdout
        self._chat = ChatRef(self.platform, user_id, private=True)
        self._sender = SenderRef(self.platform, user_id)
        self._language = language
        self._prompt = prompt
        #: Write each line read, after "> ", so that piped input reads as a transcript.
        self._echo = echo
        self._options: tuple[Button, ...] = ()
        self._stopping = False
        self._opening = tuple(opening)

    async def run(self, sink: EventSink) -> None:
        loop = asyncio.get_running_loop()
        for typed in self._opening:
            self._write(f"> {typed}\n")
            await sink(self._event(typed.encode()))
        while not self._stopping:
            if self._prompt:
                self._write("> ")
            raw = await loop.run_in_executor(None, self._stdin.readline)
            if not raw:
                break
            line = raw.rstrip(b"\r\n")
            if not line.strip():
                continue
            if self._echo:
                self._write("> " + line.decode("utf-8", errors="replace") + "\n")
            await sink(self._event(line))

    async def stop(self) -> None:
        self._stopping = True

    async def send(self, chat: ChatRef, reply: Reply) -> str | None:
        lines = [reply.text.plain]
        if reply.image is not None:
            # What the picture shows, in the user's language; a terminal cannot show it.
            lines.append(f"[🖼 {reply.image_alt or '…'}]")
        options = tuple(button for row in reply.buttons for button in row)
        # Only the latest reply's options can be answered by number; after a reply
        # without options, a number is just text (an answer to a question).
        self._options = options
        if options:
            width = len(str(len(options)))
            lines += [f"  {i:>{width}}) {button.label}" for i, button in enumerate(options, 1)]
        self._write("\n".join(lines) + "\n\n")
        return None

    def _event(self, line: bytes) -> Event:
        event_id = uuid.uuid4().hex  # unique across restarts: the console never redelivers
        try:
            text, undecodable = line.decode("utf-8"), False
        except UnicodeDecodeError:
            text, undecodable = line.decode("utf-8", errors="replace"), True
        choice = text.strip()
        if not undecodable and choice.isdigit() and 1 <= int(choice) <= len(self._options):
            return ButtonAction(
                chat=self._chat,
                sender=self._sender,
                language=self._language,
                event_id=event_id,
                payload=self._options[int(choice) - 1].payload,
            )
        return event_from_text(
            text,
            chat=self._chat,
            sender=self._sender,
            language=self._language,
            event_id=event_id,
            undecodable=undecodable,
        )

    def _write(self, text: str) -> None:
        self._stdout.write(text)
        self._stdout.flush()
