"""What the fuzzer sends: hostile Unicode, long lines, commands with random arguments,
button payloads from the router's prefixes with garbage after them."""

from __future__ import annotations

from hypothesis import strategies as st

from handlers import build_router

ROUTER = build_router()
COMMANDS: tuple[str, ...] = tuple(sorted(ROUTER.command_names))
PREFIXES: tuple[str, ...] = tuple(sorted(ROUTER._actions))

#: Characters that have broken chat bots: direction marks and overrides, joiners and
#: zero-width spaces, a BOM, NUL and other controls, combining marks, characters
#: outside the BMP (two UTF-16 units), markup of every platform, template syntax.
TRICKY = (
    "\u200f", "\u200e", "\u202e", "\u202d", "\u2066", "\u2069", "\u061c", "\u200d", "\u200c",
    "\u200b", "\u2060", "\ufeff", "\x00", "\x07", "\x1b[31m", "\r", "\u2028", "\u2029",
    "\u0085", "\u3000", "\u00a0", "e\u0301", "\u0e49\u0e49\u0e49", "👨‍👩‍👧‍👦", "🇨🇳", "🏳️‍🌈",
    "😀", "𠀀", "𪚥", "\U000e0001", "\uffff", "\ufffd", "ﷺ", "٣", "²", "①", "Ⅻ", "０", "１２",
    "<b>", "</b>", "<i>x", "<script>alert(1)</script>", "<a href=\"javascript:alert(1)\">x</a>",
    "<img src=x onerror=alert(1)>", "&amp;", "&lt;", "&", "&#0;", "&nbsp;", "<!--", "]]>",
    "<![CDATA[", "{name}", "{0}", "{", "}", "%s", "%(name)s", "\\", "'", '"', "`code`",
    "*bold*", "_it_", "[x](https://e.org)", "||spoiler||", "@everyone", "@room", "/start",
    "\n", "\t", " ", "  ", "曾立新", "西湖区", "杭州", "330106", "zeng", "Zēng", "選舉",
)  # fmt: skip

PLACES = (
    "西湖区", "杭州市西湖区", "杭州西湖区", "浙江杭州西湖区三墩镇", "三墩镇", "330106", "330106004",
    "xihu", "xhq", "Xīhú", "进贤县", "360124", "海淀区", "110108", "朝阳区", "鼓楼区", "zhaoyang",
    "000000", "999999", "330106999999", "北京", "中国", "x", "区", "",
)  # fmt: skip
NAMES = ("曾立新", "zeng lixin", "zenglixin", "ceng", "zlx", "王", "wang", "曾", "Zēng Lìxīn", "單")
DATES = (
    "2026-12-05", "2026-11-28", "2026-11-27", "2026-12-15", "2026-12-16", "2027-01-01",
    "2026-02-30", "2026-13-01", "9999-12-31", "0001-01-01", "2026-1-5", "20261205", "today",
    "unknown", "未知", "announced", "held", "postponed", "已公布", "roll", "nominees", "official",
)  # fmt: skip
NUMBERS = (
    "1", "2", "0", "-1", "59", "60", "007", "1.5", "1e3", "²", "①", "٣", "１", "4294967296",
    "9223372036854775807", "9223372036854775808", "99999999999999999999999999", " 1 ",
)  # fmt: skip
WORDS = (
    "off", "on", "关", "开", "quarantine", "隔离", "list", "add", "remove", "telegram:1",
    "memory:9001", "matrix:@a:b", "zh", "en", "中文", "english", "fr", "yes", "no", "send",
    "ABCDE-FGHJK", "ABCDEFGHJK", "1234 5678 9012 3456", "1234567890123456", "https://example.org/",
    "javascript:alert(1)", "http://", "第3选区", "3", "housing", "education",
)  # fmt: skip


def hostile_text(max_size: int = 60) -> st.SearchStrategy[str]:
    """Text a user could type: random code points (no lone surrogates: no platform the
    core takes text from can carry one), tricky pieces, and lines at the length limit."""
    pieces = st.sampled_from(TRICKY) | st.text(max_size=6)
    return st.one_of(
        st.text(st.characters(exclude_categories=("Cs",)), max_size=max_size),
        st.lists(pieces, max_size=12).map("".join),
        st.builds(
            lambda unit, size: (unit * size)[:size],
            st.sampled_from(("a", "王", "😀", "<b>", "& ", "\u200f", "x\n")),
            st.sampled_from((3999, 4000, 4001, 4097)),
        ),
        st.sampled_from(PLACES + NAMES + DATES + NUMBERS + WORDS),
    )


def token() -> st.SearchStrategy[str]:
    """One word of a command's arguments, each kind as likely as the others."""
    return st.one_of(
        *(st.sampled_from(pool) for pool in (PLACES, NAMES, DATES, NUMBERS, WORDS)),
        hostile_text(20),
    )


def arguments() -> st.SearchStrategy[str]:
    return st.one_of(st.just(""), token(), st.lists(token(), min_size=2, max_size=5).map(" ".join))


def command_line(names: tuple[str, ...] = COMMANDS) -> st.SearchStrategy[str]:
    """``/name args``: a known command (any case, maybe addressed ``@bot``) or an unknown one."""
    name = st.one_of(
        st.sampled_from(names),
        st.sampled_from(names).map(str.upper),
        st.sampled_from(names).map(lambda n: f"{n}@candibot"),
        st.from_regex(r"[a-z_0-9]{1,20}", fullmatch=True),
    )
    return st.builds(lambda n, a: f"/{n} {a}".rstrip(), name, arguments())


def payload_args() -> st.SearchStrategy[str]:
    part = st.one_of(
        *(st.sampled_from(pool) for pool in (NUMBERS, WORDS, DATES, PLACES)), st.text(max_size=8)
    )
    return st.lists(part, max_size=4).map(":".join)


def forged_payload(prefixes: tuple[str, ...] = PREFIXES) -> st.SearchStrategy[str]:
    """A registered prefix with anything after it, or garbage; a web form can post any
    length, Telegram's callback data at most 64 bytes."""
    return st.one_of(
        st.builds(lambda p, a: f"{p}:{a}", st.sampled_from(prefixes), payload_args()),
        st.sampled_from(prefixes),
        hostile_text(30),
        st.builds(lambda p: f"{p}:" + "9" * 70, st.sampled_from(prefixes)),
    )


def mutated(payload: str) -> st.SearchStrategy[str]:
    """A button the bot offered, with one of its fields changed: another item's id."""
    fields = payload.split(":")
    return st.builds(
        lambda i, value: ":".join(value if j == i else f for j, f in enumerate(fields)),
        st.integers(0, len(fields) - 1),
        st.sampled_from(NUMBERS + WORDS) | st.text(max_size=5),
    )
