"""A photo upload read as a stream, within its cap: its file name and declared details
are dropped here; the bytes go to the core as a ``PhotoMessage`` and through the same
metadata-stripping path as a photo from any other platform."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from aiohttp import BodyPartReader, web

#: The types the upload field offers; the core decodes and re-encodes whatever comes.
PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
#: Form fields other than the photo are small.
MAX_FIELD = 4096
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
    problem: Problem | None = None


async def read_upload(request: web.Request, cap: int) -> Upload:
    """The form's token and photo; ``problem`` says why there is no photo."""
    if not request.content_type.startswith("multipart/"):
        return Upload("", problem=Problem.MALFORMED)
    if (request.content_length or 0) > DRAIN_LIMIT:
        return Upload("", problem=Problem.TOO_LARGE)
    csrf, photo = "", b""
    problem: Problem | None = Problem.NO_FILE
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            return Upload(csrf, problem=Problem.MALFORMED)
        if part.name == "csrf":
            csrf = (await part.read_chunk(MAX_FIELD)).decode("utf-8", "replace")
        elif part.name == "photo":
            photo, problem = await _photo(part, cap)
        else:
            await part.release()
    if problem is not None:
        await _drain(request)
        return Upload(csrf, problem=problem)
    return Upload(csrf, photo)


async def _photo(part: BodyPartReader, cap: int) -> tuple[bytes, Problem | None]:
    declared = (part.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    data = bytearray()
    while chunk := await part.read_chunk(CHUNK):
        data += chunk
        if len(data) > cap:
            await part.release()
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
