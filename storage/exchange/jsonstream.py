"""Reads a JSON object whose members are arrays one array item at a time, so that a
file of millions of records never sits in memory whole."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, TextIO

_CHUNK = 1 << 16
_WHITESPACE = " \t\n\r"
_decoder = json.JSONDecoder()


class JsonSyntaxError(ValueError):
    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"not valid JSON at character {offset}: {message}")
        self.offset = offset


class _Reader:
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.buffer = ""
        self.index = 0
        self.consumed = 0  # characters dropped from the front of the buffer
        self.eof = False

    def _more(self) -> bool:
        if self.eof:
            return False
        chunk = self.stream.read(_CHUNK)
        if not chunk:
            self.eof = True
            return False
        self.consumed += self.index
        self.buffer = self.buffer[self.index :] + chunk
        self.index = 0
        return True

    def peek(self) -> str:
        """The next character that is not whitespace ("" at the end)."""
        while True:
            while self.index < len(self.buffer) and self.buffer[self.index] in _WHITESPACE:
                self.index += 1
            if self.index < len(self.buffer):
                return self.buffer[self.index]
            if not self._more():
                return ""

    def expect(self, char: str) -> None:
        found = self.peek()
        if found != char:
            self.fail(f"expected {char!r}, found {found or 'the end of the file'!r}")
        self.index += 1

    def value(self) -> Any:
        self.peek()
        while True:
            try:
                value, end = _decoder.raw_decode(self.buffer, self.index)
            except json.JSONDecodeError as error:
                if self._more():
                    continue
                raise JsonSyntaxError(error.msg, self.consumed + error.pos) from None
            # A number at the very end of the buffer may go on in the next chunk.
            if end == len(self.buffer) and self._more():
                continue
            self.index = end
            return value

    def fail(self, message: str) -> None:
        raise JsonSyntaxError(message, self.consumed + self.index)


def members(stream: TextIO) -> Iterator[tuple[str, Any]]:
    """(name, value) for each member of the top-level object; an array's value is an
    iterator over its items, which must be used up before asking for the next member."""
    reader = _Reader(stream)
    reader.expect("{")
    if reader.peek() == "}":
        reader.index += 1
        return
    while True:
        name = reader.value()
        if not isinstance(name, str):
            reader.fail("expected a member name")
        reader.expect(":")
        if reader.peek() == "[":
            reader.index += 1
            items = _items(reader)
            yield name, items
            for _ in items:  # whatever the caller left
                pass
        else:
            yield name, reader.value()
        if reader.peek() == ",":
            reader.index += 1
            continue
        reader.expect("}")
        if reader.peek():
            reader.fail("unexpected text after the end of the object")
        return


def _items(reader: _Reader) -> Iterator[Any]:
    if reader.peek() == "]":
        reader.index += 1
        return
    while True:
        yield reader.value()
        char = reader.peek()
        reader.index += 1
        if char == "]":
            return
        if char != ",":
            reader.index -= 1
            reader.fail(f"expected ',' or ']', found {char or 'the end of the file'!r}")
