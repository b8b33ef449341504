"""``/data``: the open data directory (``candibot export --format open-data``), listed and
served read-only when ``CANDIBOT_WEB_OPEN_DATA_DIR`` names it, with the chat's security
headers. Only plain files written there by the export are served, by a name this module
checks: no listing of anything else, no path outside the directory, no symbolic link, no
file half-written (the export's temporary files start with a dot)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import aiohttp_jinja2
from aiohttp import web

from bot.adapters.web import strings
from bot.adapters.web.language import TAGS, from_header
from bot.core.i18n import Catalogs

#: A file's name: no dot first (the export's temporary files), no slash, nothing odd.
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
#: The only folder below the top: the notice photos.
FOLDERS = ("notices",)
TYPES = {
    ".csv": "text/csv; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".jpg": "image/jpeg",
    "": "text/plain; charset=utf-8",  # LICENSE
}


@dataclass(frozen=True, slots=True)
class Listed:
    path: str
    size: int


def _plain_file(path: Path, root: Path) -> bool:
    return (
        not path.is_symlink()
        and path.is_file()
        and path.resolve().parent in (root.resolve(), *(root.resolve() / f for f in FOLDERS))
        and path.suffix in TYPES
    )


def listing(root: Path) -> list[Listed]:
    """The files to offer: the tables, README and LICENSE, then the notice photos."""
    found: list[Listed] = []
    for folder in ("", *FOLDERS):
        where = root / folder if folder else root
        if not where.is_dir() or where.is_symlink():
            continue
        for path in sorted(where.iterdir()):
            if NAME.fullmatch(path.name) and _plain_file(path, root):
                name = f"{folder}/{path.name}" if folder else path.name
                found.append(Listed(name, path.stat().st_size))
    return found


def register(app: web.Application, root: Path | None, catalogs: Catalogs) -> None:
    async def page(request: web.Request) -> web.Response:
        language = from_header(request.headers.get("Accept-Language"))
        _ = catalogs.gettext(language)
        files = listing(root) if root is not None and root.is_dir() else []
        context = {
            "lang": TAGS[language],
            "t": {"title": _(strings.DATA_TITLE), "bot": strings.BOT,
                  "intro": _(strings.DATA_INTRO), "none": _(strings.DATA_NONE),
                  "back": _(strings.DATA_BACK)},
            "files": files,
        }  # fmt: skip
        return aiohttp_jinja2.render_template(
            "data.html", request, context, status=200 if files else 404
        )

    async def one_file(request: web.Request) -> web.StreamResponse:
        folder, name = request.match_info.get("folder", ""), request.match_info["name"]
        if root is None or (folder and folder not in FOLDERS) or not NAME.fullmatch(name):
            raise web.HTTPNotFound()
        path = root / folder / name if folder else root / name
        if not _plain_file(path, root):
            raise web.HTTPNotFound()
        response = web.FileResponse(path)
        response.content_type = TYPES[path.suffix].partition(";")[0]
        if "charset" in TYPES[path.suffix]:
            response.charset = "utf-8"
        return response

    app.router.add_get("/data", page)
    app.router.add_get("/data/{name}", one_file)
    app.router.add_get("/data/{folder}/{name}", one_file)
