"""A photo upload read as a stream, within its cap: its file name and declared details
are dropped here; the bytes go to the core as a ``PhotoMessage`` and through the same
metadata-stripping path as a photo from any other platform."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from enum import Enum

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

#: The types the upload field offers; the core decodes and re-encodes whatever comes.
PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
#: Form fields other than the photo are small.
MAX_FIELD = 4096
#: The form's fields besides the photo: the session's token and the turn it was shown at.
FIELDS = frozenset({"csrf", "turn"})
#: Our form has two parts (the token and the photo); a few more are let through.
MAX_PARTS = 8
#: What a form may hold besides the photo: its token and its parts' headers.
OVERHEAD = 64 * 1024
#: Read and dropped past the cap, so that the browser sees the refusal instead of a
#: broken connection; beyond this the connection is simply closed.
DRAIN_LIMIT = 64 * 1024 * 1024
CHUNK = 64 * 1024


class Problem(Enum):
    TOO_LARGE = "too_large"
    NOT_A_PHOTO = "not_a_photo"
    NO_FILE = "no_file"
    MALFORMED = "malformed"


@dataclass(frozen=True, slots=True)
class Upload:
    csrf: str
    photo: bytes = b""
    #: The turn the form was shown at (``Session.turns``), when the form says.
    turn: str | None = None
    problem: Problem | None = None
    #: A refused body sent in chunks (no declared length) with more still coming: the
    #: connection is closed after the refusal instead of reading on.
    cut_off: bool = False


async def read_upload(request: web.Request, cap: int) -> Upload:
    """The form's token and photo; ``problem`` says why there is no photo.

    The whole body counts against the cap, not only the photo: a body sent in chunks
    has no declared length, and without this bound a stream of other parts (or one
    endless part) would be read for as long as the sender cares to send it."""
    if not request.content_type.startswith("multipart/"):
        return Upload("", problem=Problem.MALFORMED)
    if (request.content_length or 0) > DRAIN_LIMIT:
        return Upload("", problem=Problem.TOO_LARGE)
    fields, photo, problem = await _parts(request, cap)
    csrf, turn = fields.get("csrf", ""), fields.get("turn")
    if problem is not None:
        if request.content_length is None and not request.content.is_eof():
            return Upload(csrf, problem=problem, turn=turn, cut_off=True)
        await _drain(request)
        return Upload(csrf, problem=problem, turn=turn)
    return Upload(csrf, photo, turn=turn)


async def _parts(request: web.Request, cap: int) -> tuple[dict[str, str], bytes, Problem | None]:
    """The form's small fields (its token and turn), its photo, and what is wrong."""
    limit = cap + OVERHEAD
    fields: dict[str, str] = {}
    photo = b""
    problem: Problem | None = Problem.NO_FILE
    try:
        reader = await request.multipart()
        for count in itertools.count(1):
            part = await reader.next()
            if part is None:
                break
            if count > MAX_PARTS or not isinstance(part, BodyPartReader):
                return fields, b"", Problem.MALFORMED
            if part.name in FIELDS:
                fields[part.name] = (await part.read_chunk(MAX_FIELD)).decode("utf-8", "replace")
            elif part.name == "photo":
                photo, problem = await _photo(part, cap)
                if problem is Problem.TOO_LARGE:
                    return fields, b"", problem
            # What is left of the part is read here, within the bound, rather than
            # by the reader's next() (which would read it whole, however long).
            if not await _skip(part, request, limit):
                return fields, b"", Problem.TOO_LARGE
    except (ValueError, HttpProcessingError):  # a malformed body (a header too long)
        return fields, b"", Problem.MALFORMED
    return fields, photo, problem


async def _skip(part: BodyPartReader, request: web.Request, limit: int) -> bool:
    """Read the rest of ``part`` and drop it; False once the body is past ``limit``."""
    while await part.read_chunk(CHUNK):
        if request.content.total_bytes > limit:
            return False
    return request.content.total_bytes <= limit


async def _photo(part: BodyPartReader, cap: int) -> tuple[bytes, Problem | None]:
    declared = (part.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    data = bytearray()
    while chunk := await part.read_chunk(CHUNK):
        data += chunk
        if len(data) > cap:
            return b"", Problem.TOO_LARGE
    if not data and not part.filename:
        return b"", Problem.NO_FILE
    if declared not in PHOTO_TYPES:
        return b"", Problem.NOT_A_PHOTO
    return bytes(data), None


async def _drain(request: web.Request) -> None:
    """Read what is left of the body, up to ``DRAIN_LIMIT``, and drop it."""
    read = 0
    while read < DRAIN_LIMIT and (chunk := await request.content.read(CHUNK)):
        read += len(chunk)
