"""Photos for reports: decoded and re-encoded so that no metadata survives.

EXIF (with GPS), XMP, ICC profiles, comments and thumbnails are dropped by
copying only the pixels into a new image. Decompression bombs are refused.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 10 * 1024 * 1024
#: Pixels beyond this are a decompression bomb (Pillow warns at 89M by default).
MAX_PIXELS = 40_000_000
#: Longest side kept; enough to read a document or a face, and keeps storage small.
MAX_SIDE = 2560
ALLOWED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF", "BMP", "HEIF", "TIFF", "MPO"})


class ImageRejected(Exception):
    """Why a photo was refused: ``reason`` is "too_large", "not_an_image" or "too_many_pixels"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def sanitize(data: bytes) -> tuple[str, bytes]:
    """A metadata-free JPEG of ``data``: (media type, bytes)."""
    if len(data) > MAX_BYTES:
        raise ImageRejected("too_large")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in ALLOWED_FORMATS:
                    raise ImageRejected("not_an_image")
                width, height = probe.size
                if width * height > MAX_PIXELS:
                    raise ImageRejected("too_many_pixels")
                probe.load()
                # Turn it upright as the camera meant, before the orientation tag goes.
                upright = ImageOps.exif_transpose(probe)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected("too_many_pixels") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ImageRejected("not_an_image") from exc
    upright.thumbnail((MAX_SIDE, MAX_SIDE))
    pixels = upright.convert("RGB")
    clean = Image.new("RGB", pixels.size)
    clean.paste(pixels)
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=85, optimize=True)
    return "image/jpeg", out.getvalue()
