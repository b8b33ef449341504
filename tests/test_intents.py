"""Plain messages: greetings and questions are understood in both languages, names are
searched, and nothing that is not a name is answered with "no candidate called …"."""

from __future__ import annotations

import tomllib
from importlib import resources

import pytest

from bot.adapters.memory import MemoryAdapter
from handlers.intents import intent_of, looks_like_a_name, normal
from handlers.names import looks_like_a_person
from tests.helpers import payloads, texts

#: The catalogs' "no candidate called …" answers (zh_CN: 没有找到名为“…”的候选人。).
NO_CANDIDATE = ("no candidate called", "No candidate is called", "”的候选人。")


def _phrases() -> list[tuple[str, str]]:
    raw = tomllib.loads(
        resources.files("handlers.data").joinpath("intents.toml").read_text("utf-8")
    )
    return [
        (intent["name"], phrase)
        for intent in raw["intent"]
        for phrase in (*intent.get("whole", []), *intent.get("within", []))
    ]


@pytest.mark.parametrize(("name", "phrase"), _phrases())
def test_every_phrase_in_the_data_file_reaches_its_intent(name: str, phrase: str) -> None:
    found = intent_of(phrase)
    # A phrase may sit inside a longer one of another intent ("举报" in "我的举报").
    assert found == name or any(
        other != name and normal(phrase) in normal(longer) for other, longer in _phrases()
    ), (phrase, found)


@pytest.mark.parametrize(
    ("message", "intent"),
    [
        ("你好！", "greeting"),
        ("Hello!!", "greeting"),
        ("hi", "greeting"),
        ("谢谢", "thanks"),
        ("我的选区是哪个", "where"),
        ("Where do I vote?", "where"),
        ("什么时候投票？", "when"),
        ("When is the election?", "when"),
        ("怎么举报", "report"),
        ("How do I report harassment?", "report"),
        ("我的举报怎么样了", "status"),
        ("我有什么权利", "rights"),
        ("你能做什么", "help"),
        ("曾立新", None),
        ("zeng lixin", None),
        ("西湖区", None),
    ],
)
def test_what_people_type_is_read_as_they_mean_it(message: str, intent: str | None) -> None:
    assert intent_of(message) == intent


@pytest.mark.parametrize(
    ("message", "name"),
    [
        ("曾立新", True),
        ("立新", True),
        ("zeng lixin", True),
        ("zlx", True),
        ("Zēng Lìxīn", True),  # tone marks, as pinyin is printed
        ("zeng1 li4 xin1", True),  # tone numbers, as some type it
        ("Xi'an", True),
        ("杭州市西湖区", True),
        ("🙂", False),
        ("这个机器人到底是干什么用的呢", False),
        ("please tell me something about this bot and the election", False),
        ("99!", False),
    ],
)
def test_only_what_looks_like_a_name_is_searched(message: str, name: bool) -> None:
    assert looks_like_a_name(message) is name


@pytest.mark.parametrize(
    ("message", "language", "expected"),
    [
        ("你好", "zh-hans", "你好！"),
        ("hello", "en", "Hello!"),
        ("谢谢", "zh-hans", "不客气"),
        ("thanks", "en", "You are welcome"),
        ("我的选区是哪个", "zh-hans", "乡镇或街道"),
        ("where do I vote", "en", "township"),
        ("你能做什么", "zh-hans", "/report"),
        ("🙂", "zh-hans", "没看懂"),
        ("🙂", "en", "did not understand"),
        ("what is this thing for, really?", "en", "did not understand"),
        ("我的举报怎么样了", "zh-hans", "/status"),
        ("remind me when the dates change", "en", "/subscribe"),
        # Everyday words: not a name, so never "no candidate called …".
        ("好的", "zh-hans", "好的。随时可以输入候选人的名字"),
        ("嗯", "zh-hans", "好的。"),
        ("ok", "en", "All right."),
        ("hmm", "en", "All right."),
        ("再见", "zh-hans", "再见！"),
        ("bye", "en", "Goodbye!"),
        ("不知道", "zh-hans", "没看懂"),
        ("昨天晚上", "zh-hans", "没看懂"),
        ("dinner", "en", "did not understand"),
        ("what is this", "en", "What I can do:"),
    ],
)
async def test_greetings_and_questions_get_an_answer_not_a_search(
    chat: MemoryAdapter, message: str, language: str, expected: str
) -> None:
    reply = texts(await chat.say(message, language=language))

    assert expected in reply
    assert not any(miss in reply for miss in NO_CANDIDATE), reply


@pytest.mark.parametrize("language", ["zh-hans", "en"])
async def test_how_do_i_report_opens_the_report_with_its_safety_note(
    chat: MemoryAdapter, language: str
) -> None:
    asked = "怎么举报？" if language == "zh-hans" else "how do I report?"
    replies = await chat.say(asked, language=language)

    assert (
        "rpt:go" in payloads(replies) or "not set up" in texts(replies) or "没有" in texts(replies)
    )


@pytest.mark.parametrize(("language", "heading"), [("zh-hans", "选举"), ("en", "lection")])
async def test_when_is_the_election_answers_for_the_place_last_looked_at(
    chat: MemoryAdapter, language: str, heading: str
) -> None:
    await chat.say("/area 西湖区", language=language)

    reply = texts(await chat.say("什么时候投票？", language=language))

    assert "西湖区" in reply and heading in reply


async def test_a_name_is_still_searched(chat: MemoryAdapter) -> None:
    assert "曾立新" in texts(await chat.say("曾立新"))
    assert "Zēng Lìxīn" in texts(await chat.say("zeng lixin", language="en"))


async def test_a_name_nobody_has_is_still_said_so(chat: MemoryAdapter) -> None:
    for message, language, expected in (
        ("张三丰", "zh-hans", "没有找到名为“张三丰”的候选人。"),
        ("zhang sanfeng", "en", "I found no candidate called “zhang sanfeng”."),
        ("zsf", "en", "I found no candidate called “zsf”."),
    ):
        assert expected in texts(await chat.say(message, language=language))


@pytest.mark.parametrize(
    ("language", "ahead"), [("en", "Next: 西湖区"), ("zh-hans", "下一次：西湖区")]
)
async def test_find_my_district_takes_the_place_typed_next(
    chat: MemoryAdapter, language: str, ahead: str
) -> None:
    await chat.press("menu:area", language=language)
    assert ahead in texts(await chat.say("西湖区", language=language))


@pytest.mark.parametrize(
    ("message", "person"),
    [
        ("曾立新", True), ("欧阳晴", True), ("Zēng Lìxīn", True), ("zlx", True),
        ("好的", False), ("不知道", False), ("立新", False), ("杭州市西湖区", False),
        ("ok", False), ("bye", False), ("dinner", False),
    ],
)  # fmt: skip
def test_only_what_reads_as_a_person_is_told_no_candidate_has_it(
    message: str, person: bool
) -> None:
    assert looks_like_a_person(message) is person
