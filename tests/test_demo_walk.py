"""A scripted walk through `candibot demo`, input piped as `make demo` takes it: a
citizen, a candidate and a moderator, in each language, sharing one database (the
citizen's report reaches the moderator; so does the candidate's update). People greet,
ask questions, answer off the menu and type commands in the middle of a flow; every
line gets an answer that makes sense, and "no candidate called …" only ever answers a
name (issue 13, "Done when").

One demo process per role and language: a start costs a few seconds."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
NOT_CALLED = (
    "I found no candidate called “{query}”.",
    "No candidate is called “{query}”. Did you mean:",
)
FAILED = "Sorry, something went wrong on my side. Nothing was saved; please try again."


@dataclass(frozen=True)
class Step:
    said: str
    #: Text the answer must contain (in the walk's language).
    expect: str
    #: A name: "no candidate called …" is a fair answer to it.
    name: bool = False


def _catalog(language: str) -> dict[str, str]:
    path = ROOT / "bot" / "locale" / language / "LC_MESSAGES" / "candibot.po"
    with path.open("rb") as source:
        return {str(m.id): str(m.string) for m in read_po(source) if m.id}


@cache
def not_called(language: str) -> re.Pattern[str]:
    """Any of the "no candidate called …" answers, as the catalog words them."""
    catalog = _catalog(language)
    shapes = []
    for msgid in NOT_CALLED:
        before, _, after = (catalog[msgid] or msgid).partition("{query}")
        shapes.append(re.escape(before) + r"[^\n]*" + re.escape(after))
    return re.compile("|".join(shapes))


def _say(language: str, msgid: str) -> str:
    return _catalog(language)[msgid] or msgid


def demo(tmp_path: Path, language: str, role: str, user: str, steps: list[Step]) -> list[str]:
    """The answers to ``steps``, one text per line typed, from one `candibot demo` run
    with its input piped and echoed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANDIBOT_")}
    env["CANDIBOT_CONFIG"] = str(tmp_path / "none.toml")
    lines = "".join(step.said + "\n" for step in steps).encode()
    db = f"sqlite:///{tmp_path / 'walk.sqlite'}"
    args = ["--lang", language[:2], "--as", role, "--user", user, "--db", db, "--echo"]
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo", *args],
        input=lines,
        capture_output=True,
        timeout=300,
        cwd=tmp_path,
        env=env,
        check=False,
    )
    out = result.stdout.decode()
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    parts = re.split(r"^> (.*)\n", out, flags=re.MULTILINE)
    said, answers = parts[1::2], parts[2::2]
    if said and said[0].startswith("/claim "):  # a demo candidate claims first, visibly
        said, answers = said[1:], answers[1:]
    assert said == [step.said for step in steps], out[-3000:]
    return answers


def check(language: str, steps: list[Step], answers: list[str]) -> None:
    shapes = not_called(language)
    for step, answer in zip(steps, answers, strict=True):
        where = f"{step.said!r} was answered:\n{answer}"
        assert answer.strip(), where
        assert _say(language, FAILED) not in answer, where
        assert step.name or not shapes.search(answer), where
        assert step.expect in answer, where


CITIZEN = {
    "en": [
        Step("hi", "Hello!"),
        Step("what can you do?", "What I can do:"),
        Step("/start", "Welcome to candibot."),
        Step("where do I vote", "registered to vote"),
        Step("1", "Choose your province, or type the name of your district"),
        Step("浙江省", "more elections in this area"),  # a place typed where one is asked
        Step("when is the election?", "上城区"),  # the place last looked at
        Step("立新", "曾立新 (Zēng Lìxīn)", name=True),  # a given name alone
        Step("zneg", "Did you mean:", name=True),  # a surname mistyped
        Step("xihu", "Places matching “xihu”:"),  # a place typed as plain text
        Step("ok", "All right."),
        Step("hmm", "All right."),
        Step("dinner", "I did not understand that"),
        Step("🙂", "I did not understand that"),
        Step("how do I report", "Report an incident"),
        Step("ok", "Please answer with one of the buttons below. Your draft is kept."),
        Step("99", "Please answer with one of the buttons below. Your draft is kept."),
        Step("/rights", "Your report is not finished"),  # answered, and the draft kept
        Step("1", "Before you start"),  # go on with the report
        Step("1", "What happened?"),
        Step("not sure", "Please answer with one of the buttons below."),
        Step("1", "Where did it happen?"),
        Step("somewhere", "I did not find that place"),
        Step("西湖区", "Which one?"),
        Step("1", "When did it happen?"),
        Step("/help", "Your report is not finished"),
        Step("1", "When did it happen?"),
        Step("yesterday", "Describe what happened"),
        Step(
            "A man who said he was from the street office phoned my parents and told "
            "them I must withdraw from the election.",
            "photos",
        ),
        Step("1", "May the moderators publish"),
        Step("1", "Please check your report"),
        Step("thanks", "Please answer with one of the buttons below."),
        Step("1", "Your report was received."),
        Step("/status", "Send /status followed by"),
        Step("thank you", "You are welcome"),
        Step("bye", "Goodbye!"),
    ],
    "zh_CN": [
        Step("你好", "你好！"),
        Step("你能做什么？", "我能做的事："),
        Step("/start", "欢迎使用 candibot。"),
        Step("我的选区是哪个", "登记为选民"),
        Step("1", "请选择省份，或直接输入你所在区县的名称"),
        Step("浙江省", "本地区还有"),
        Step("什么时候投票？", "上城区"),
        Step("立新", "曾立新（Zēng Lìxīn）", name=True),
        Step("zneg", "你要找的是不是", name=True),
        Step("西湖区", "与“西湖区”匹配的地方："),
        Step("好的", "好的。"),
        Step("嗯", "好的。"),
        Step("不知道", "抱歉，我没看懂这句话"),
        Step("🙂", "抱歉，我没看懂这句话"),
        Step("怎么举报", "报告事件"),
        Step("好的", "请用下面的按钮回答。你的草稿还在。"),
        Step("99", "请用下面的按钮回答。你的草稿还在。"),
        Step("/rights", "你的报告还没写完"),
        Step("1", "开始之前"),
        Step("1", "发生了什么？"),
        Step("不确定", "请用下面的按钮回答。"),
        Step("1", "在哪里发生的？"),
        Step("随便", "没有找到这个地方"),
        Step("西湖区", "是哪一个？"),
        Step("1", "什么时候发生的？"),
        Step("/help", "你的报告还没写完"),
        Step("1", "什么时候发生的？"),
        Step("昨天", "描述发生了什么"),
        Step("有人自称街道办的工作人员给我父母打电话，说我必须退出选举。", "照片"),
        Step("1", "是否允许审核员发布"),
        Step("1", "请核对你的报告"),
        Step("谢谢", "请用下面的按钮回答。"),
        Step("1", "已收到你的报告"),
        Step("/status", "发送 /status"),
        Step("谢谢", "不客气"),
        Step("再见", "再见！"),
    ],
}

CANDIDATE = {
    "en": [
        Step("hi", "Hello!"),
        Step("/myprofile", "Your profile, as citizens see it"),
        Step("/update", "What do you want to publish?"),
        Step("hmm", "Please choose one of the buttons below"),
        Step("something else", "Please choose one of the buttons below"),
        Step("1", "Which topic?"),
        Step("1", "Send the new wording"),
        Step("More community canteens, so that older residents get a hot meal.", "review"),
        Step("/update", "What do you want to publish?"),
        Step("3", "Send your statement"),
        Step(
            "Dear voters, I will meet you on the evening of 10 December at the Wenxin "
            "community centre.",
            "review",
        ),
        Step("/myprofile", "More community canteens"),
        Step("/rights", "Your rights"),
        Step("bye", "Goodbye!"),
    ],
    "zh_CN": [
        Step("你好", "你好！"),
        Step("/myprofile", "公众看到的你的资料"),
        Step("/update", "你想发布什么？"),
        Step("嗯", "请从下面的按钮中选择"),
        Step("随便", "请从下面的按钮中选择"),
        Step("1", "哪个议题？"),
        Step("1", "请在一条消息中发送新的表述"),
        Step("多建社区食堂，让老人吃得上热饭。", "审核"),
        Step("/update", "你想发布什么？"),
        Step("3", "请在一条消息中发送你对选民的声明"),
        Step("各位选民，我会在12月10日晚上在文新街道社区中心和大家见面。", "审核"),
        Step("/myprofile", "多建社区食堂"),
        Step("/rights", "你在基层人大代表选举中的权利"),
        Step("再见", "再见！"),
    ],
}

MODERATOR = {
    "en": [
        Step("hello", "Hello!"),
        Step("/queue", "phoned my parents"),  # the citizen's report, decrypted
        Step("what is this?", "What I can do:"),
        Step("/queue", "phoned my parents"),
        Step("1", "Send the public summary"),
        Step(
            "A candidate's parents were told by phone that the candidate must withdraw.",
            "Public summary (0 of 1 approvals)",
        ),
        Step("1", "Published."),
        Step("/incidents", "A candidate's parents were told by phone"),
        Step("/queue", "More community canteens"),  # then the candidate's update
        Step("1", "Published."),
        Step("/setdate 西湖区 2026-12-20", "names more than one place"),
        Step("1", "2026"),
        Step("thanks", "You are welcome"),
    ],
    "zh_CN": [
        Step("你好", "你好！"),
        Step("/queue", "给我父母打电话"),
        Step("这是什么？", "我能做的事："),
        Step("/queue", "给我父母打电话"),
        Step("1", "请在一条消息中发送公开摘要"),
        Step("一名候选人的父母接到电话，被要求让候选人退出选举。", "公开摘要"),
        Step("1", "已发布"),
        Step("/incidents", "一名候选人的父母接到电话"),
        Step("/queue", "多建社区食堂"),
        Step("1", "已发布"),
        Step("/setdate 西湖区 2026-12-20", "不止一个"),
        Step("1", "2026年12月20日"),
        Step("谢谢", "不客气"),
    ],
}


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_a_citizen_a_candidate_and_a_moderator_walk_through_the_demo(
    tmp_path: Path, language: str
) -> None:
    for role, user, steps in (
        ("citizen", "4242", CITIZEN[language]),
        ("candidate:1", "5", CANDIDATE[language]),
        ("moderator", "77", MODERATOR[language]),
    ):
        check(language, steps, demo(tmp_path, language, role, user, steps))


def test_the_walk_would_see_a_no_candidate_answer() -> None:
    """The check is not blind: the catalogs' wordings, as the bot fills them in."""
    assert not_called("zh_CN").search("没有找到名为“好的”的候选人。")
    assert not_called("zh_CN").search("没有名为“好的”的候选人。你要找的是不是：")
    assert not not_called("zh_CN").search("没有找到名为“好的”的地方。")
    assert not_called("en").search("I found no candidate called “dinner”.")
