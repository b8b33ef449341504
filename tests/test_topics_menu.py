"""/topics offers only the topics some candidate of the place speaks to, with how many
do, and no two topics read alike."""

from __future__ import annotations

import pytest

from bot.adapters.memory import MemoryAdapter
from bot.core.i18n import Catalogs
from handlers.labels import TOPICS
from storage.models import Topic
from tests.helpers import labels, payloads, texts


@pytest.mark.parametrize("language", ["zh-hans", "en"])
async def test_only_topics_spoken_to_in_the_place_are_offered(
    chat: MemoryAdapter, language: str
) -> None:
    menu = await chat.say("/topics 西湖区", language=language)
    offered = [p.removeprefix("tpc:") for p in payloads(menu) if p.startswith("tpc:")]

    assert offered and len(offered) < len(Topic)
    for topic in offered:  # each leads to at least one candidate
        answer = await chat.press(f"tpc:{topic}", language=language)
        assert any(p.startswith("cand:") for p in payloads(answer)), (topic, texts(answer))
    assert all("(" in label and ")" in label for label in labels(menu) if label)


def test_no_topic_label_contains_another() -> None:
    """ "环境" beside "环境卫生" read as one topic twice."""
    for language in ("zh_CN", "en"):
        _ = Catalogs().gettext(language)
        names = [_(TOPICS[topic]) for topic in Topic]
        for one in names:
            for other in names:
                assert one == other or one not in other, (language, one, other)
