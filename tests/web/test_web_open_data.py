"""/data on the web chat: the open data directory listed and served read-only, with the
security headers of every page, and nothing else of the disk within reach."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from bot.app import App
from storage.open_data import write_open_data
from tests.web.client import WebClient
from tests.web.conftest import serving

EN = {"Accept-Language": "en-GB,en;q=0.9"}
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}


async def test_data_lists_the_files_and_serves_them_with_the_headers(
    app: App, tmp_path: Path
) -> None:
    directory = tmp_path / "open"
    await write_open_data(app.engine, directory, date(2026, 11, 28))
    (tmp_path / "secret.txt").write_text("not for anyone")
    (directory / "escape.csv").symlink_to(tmp_path / "secret.txt")
    (directory / ".part-half.csv").write_text("half written")

    async with serving(app, open_data_dir=directory) as web, WebClient(web.port or 0) as client:
        listed = await client.get("/data", **EN)
        zh = await client.get("/data", **ZH)
        candidates = await client.get("/data/candidates.csv")
        licence = await client.get("/data/LICENSE")
        refused = [
            await client.get(path)
            for path in ("/data/escape.csv", "/data/.part-half.csv", "/data/..%2Fsecret.txt",
                         "/data/notices/../../secret.txt", "/data/other/candidates.csv")
        ]  # fmt: skip

    assert listed.status == 200 and "Open data" in listed.text
    for name in ("candidates.csv", "candidates.json", "incident_counts.csv",
                 "incident_summaries.json", "README.md", "LICENSE"):  # fmt: skip
        assert f'href="/data/{name}"' in listed.html, name
    assert "escape.csv" not in listed.html and ".part-half" not in listed.html
    assert "开放数据" in zh.text
    assert candidates.status == 200 and candidates.text.startswith("election_area_code,")
    assert candidates.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "CC0 1.0 Universal" in licence.text
    for response in (listed, candidates, licence):
        assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
    assert [response.status for response in refused] == [404] * len(refused)
    assert all("not for anyone" not in response.text for response in refused)


async def test_without_a_directory_data_says_there_is_none(app: App) -> None:
    async with serving(app) as web, WebClient(web.port or 0) as client:
        page = await client.get("/data", **EN)
        missing = await client.get("/data/candidates.csv")
    assert page.status == 404 and "No open data is published here." in page.text
    assert missing.status == 404
