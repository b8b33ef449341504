"""Reading a file into batches of staging rows in the background while the importer
writes the batches already read. Small files are read in a thread. Large ones go through
a pipeline of two worker processes, ``reader | keyer | importer``, so that reading and
checking the lines, keying the names and writing the rows each keep a core busy.

    async with Reader(source, areas) as reader:
        async for batch in reader.batches():
            ...
        reader.finished  # the elections, the problems found, the count
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import queue
import threading
import traceback
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any

from .batches import Batch, Finished, RowBuilder
from .formats import FileSource
from .keying import keyed
from .records import Problems

#: Files from this size on (bytes) are read by worker processes: below it, starting them
#: (about a second) costs more than the other core saves.
PROCESS_THRESHOLD = 16 * 1024 * 1024
#: Batches read ahead of the writer.
AHEAD = 2
#: How long the workers may take to stop once told to (they stop at their next batch).
STOP_SECONDS = 30


@dataclass
class Failed:
    """Reading raised ``error``; the importer raises it again."""

    error: BaseException


Message = Batch | Finished | Failed


def produce(
    source: FileSource,
    areas: Mapping[str, str],
    send: Callable[[Message], None],
    *,
    key: bool = True,
) -> None:
    """Reads all of ``source``: sends each batch, then ``Finished``, or ``Failed``.
    ``key``: complete the person rows here (else the keyer does)."""
    problems = Problems()

    def emit(batch: Batch) -> None:
        send(keyed(batch) if key else batch)

    try:
        with source.opened() as (read, position):
            rows = RowBuilder(problems, source.where, position, emit)
            read(areas, problems, rows)
            finished = rows.finish()
    except Exception as error:  # handed to the importer, which raises it
        send(Failed(error))
        return
    send(finished)


class _Stopped(BaseException):
    """Not an error: the importer stopped listening (it failed), so reading unwinds."""


class _Sender:
    """Sends messages down a pipe until ``stop`` is set. An error that cannot be pickled
    is sent as its traceback."""

    def __init__(self, connection: Connection, stop: Any) -> None:
        self.connection = connection
        self.stop = stop

    def __call__(self, message: Message) -> None:
        if self.stop.is_set():
            raise _Stopped
        try:
            self.connection.send(message)
        except Exception:
            if not isinstance(message, Failed):
                raise
            trace = "".join(traceback.format_exception(message.error))
            self.connection.send(Failed(RuntimeError(f"reading the file failed:\n{trace}")))


def _drain(connection: Connection) -> None:
    """Receives and drops everything until the sender has closed its end, so that it is
    never stuck sending."""
    with contextlib.suppress(EOFError, OSError):
        while True:
            connection.recv()


def _reader(source: FileSource, areas: dict[str, str], out: Connection, stop: Any) -> None:
    """The first worker process: reads and checks the file, sends batches to the keyer."""
    send = _Sender(out, stop)

    def packed(message: Message) -> None:
        if isinstance(message, Batch):
            message.pack()
        send(message)

    with contextlib.suppress(_Stopped):
        produce(source, areas, packed, key=False)
    out.close()


def _keyer(inbound: Connection, out: Connection, stop: Any) -> None:
    """The second worker process: completes each batch's person rows and passes every
    message on, in order."""
    send = _Sender(out, stop)
    with contextlib.suppress(_Stopped):
        while True:
            try:
                message: Message = inbound.recv()
            except EOFError:
                send(Failed(RuntimeError("the reading process ended early")))
                break
            if isinstance(message, Batch):
                try:
                    message = keyed(message)
                except Exception as error:
                    message = Failed(error)
            send(message)
            if not isinstance(message, Batch):
                break
    _drain(inbound)
    out.close()


class Reader:
    """Reads ``source`` in the background, ``AHEAD`` batches ahead of the consumer.
    ``in_process``: use the worker processes (default: for large files)."""

    def __init__(
        self, source: FileSource, areas: Mapping[str, str], *, in_process: bool | None = None
    ) -> None:
        if in_process is None:
            in_process = source.path.stat().st_size >= PROCESS_THRESHOLD
        self.source = source
        self.areas = dict(areas)
        self.in_process = in_process
        self.finished: Finished | None = None
        self._queue: queue.Queue[Message] = queue.Queue(maxsize=AHEAD)
        self._context = multiprocessing.get_context("spawn")
        self._stop = self._context.Event()
        self._thread: threading.Thread | None = None
        self._processes: list[Any] = []

    def _put(self, message: Message) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(message, timeout=0.1)
                return
            except queue.Full:
                continue
        raise _Stopped

    def _read_here(self) -> None:
        with contextlib.suppress(_Stopped):
            produce(self.source, self.areas, self._put)

    def _relay(self, connection: Connection) -> None:
        """Passes on what the keyer sends, until its last message; once the importer has
        stopped listening, drains the pipe until the workers have ended."""
        try:
            while True:
                try:
                    message: Message = connection.recv()
                except EOFError:
                    for process in self._processes:
                        process.join(timeout=5)
                    codes = ", ".join(str(process.exitcode) for process in self._processes)
                    error = RuntimeError(f"the reading processes ended early (exit codes {codes})")
                    self._put(Failed(error))
                    return
                if isinstance(message, Batch):
                    message.unpack()
                self._put(message)
                if not isinstance(message, Batch):
                    return
        except _Stopped:
            _drain(connection)
        finally:
            connection.close()

    def _start_workers(self) -> Connection:
        """Starts ``reader | keyer``; the end of the pipe the keyer writes to."""
        from_reader, to_keyer = self._context.Pipe(duplex=False)
        from_keyer, to_importer = self._context.Pipe(duplex=False)
        self._processes = [
            self._context.Process(
                target=_reader,
                args=(self.source, self.areas, to_keyer, self._stop),
                name="candibot-import-reader",
                daemon=True,
            ),
            self._context.Process(
                target=_keyer,
                args=(from_reader, to_importer, self._stop),
                name="candibot-import-keyer",
                daemon=True,
            ),
        ]
        for process in self._processes:
            process.start()
        for end in (from_reader, to_keyer, to_importer):
            end.close()
        return from_keyer

    async def __aenter__(self) -> Reader:
        if self.in_process:
            connection = self._start_workers()
            self._thread = threading.Thread(target=self._relay, args=(connection,), daemon=True)
        else:
            self._thread = threading.Thread(target=self._read_here, daemon=True)
        self._thread.start()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        """Stops reading (if it is not over) and waits for the workers to end: they stop
        at their next batch."""
        self._stop.set()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join)
        for process in self._processes:
            await asyncio.to_thread(process.join, STOP_SECONDS)
            if process.is_alive():
                process.terminate()
                await asyncio.to_thread(process.join)

    async def batches(self) -> AsyncIterator[Batch]:
        """Each batch as it is read; afterwards ``finished`` holds the end of the file.
        Raises what reading raised."""
        while True:
            message = await asyncio.to_thread(self._queue.get)
            if isinstance(message, Batch):
                yield message
            elif isinstance(message, Failed):
                raise message.error
            else:
                self.finished = message
                return
