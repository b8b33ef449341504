"""User text is never markup: templates fill in spans, adapters escape every span."""

from __future__ import annotations

import pytest

from bot.core.markup import bold, fmt, join, link, plain, to_html


def test_user_text_is_escaped_in_html() -> None:
    text = fmt("Hello {name}", name="<b>x</b> & <a href='y'>")
    assert to_html(text) == "Hello &lt;b&gt;x&lt;/b&gt; &amp; &lt;a href='y'&gt;"


def test_braces_in_a_value_are_not_a_template() -> None:
    assert fmt("{a}", a="{b}").plain == "{b}"


def test_styles_survive_formatting() -> None:
    assert to_html(fmt("{n}: {t}", n=bold("王<芳>"), t="ok")) == "<b>王&lt;芳&gt;</b>: ok"


def test_links_quote_their_target() -> None:
    assert to_html(link("x", 'https://e.org/"><script>')) == (
        '<a href="https://e.org/&quot;&gt;&lt;script&gt;">x</a>'
    )


def test_join_and_plain() -> None:
    assert join([plain("a"), "b", bold("c")], " · ").plain == "a · b · c"


def test_missing_placeholder_raises() -> None:
    with pytest.raises(KeyError):
        fmt("{missing}")
