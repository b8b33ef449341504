"""Charts as PNG bytes (matplotlib, no display needed)."""

from __future__ import annotations

import io
from datetime import date
from functools import cache

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager
from matplotlib import pyplot as plt
from matplotlib.ticker import MaxNLocator

CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Zen Hei", "Source Han Sans SC",
             "SimHei", "Microsoft YaHei")  # fmt: skip


@cache
def cjk_font() -> str | None:
    """A font that draws Chinese, if this machine has one."""
    installed = {font.name for font in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def weekly_bars(
    weeks: list[date], series: dict[str, list[int]], title: str, legend_title: str
) -> bytes:
    """Stacked bars: one bar per week, one colour per series."""
    figure, axes = plt.subplots(figsize=(8, 4.5), dpi=100)
    try:
        if cjk_font():
            plt.rcParams["font.family"] = [cjk_font(), "sans-serif"]
        bottoms = [0] * len(weeks)
        labels = [week.strftime("%m-%d") for week in weeks]
        for name, counts in series.items():
            axes.bar(labels, counts, bottom=bottoms, label=name)
            bottoms = [b + c for b, c in zip(bottoms, counts, strict=True)]
        axes.set_title(title)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        if series:
            axes.legend(title=legend_title, fontsize="small", loc="upper left")
        axes.tick_params(axis="x", labelrotation=45)
        figure.tight_layout()
        out = io.BytesIO()
        figure.savefig(out, format="png")
        return out.getvalue()
    finally:
        plt.close(figure)
