"""Server-rendered SVG bar charts: geometry here, drawing in ``_bars.html`` (no JavaScript)."""

from __future__ import annotations

import msgspec

__all__ = ["Bar", "BarChart", "bar_chart"]

_ROW = 26  # px per bar
_WIDTH = 320  # px of the longest bar


class Bar(msgspec.Struct, frozen=True):
    label: str
    value: float | None
    text: str
    y: int
    width: int


class BarChart(msgspec.Struct, frozen=True):
    title: str
    bars: tuple[Bar, ...]
    height: int
    full: int = _WIDTH


def bar_chart(
    title: str, items: list[tuple[str, float | None]], *, scale: float | None = None, unit: str = ""
) -> BarChart:
    """Horizontal bars for ``items`` (label, value); ``scale`` is the value of a full bar (the
    largest value when not given); ``unit`` "%" shows fractions as percentages."""
    top = scale or max((v for _, v in items if v is not None), default=0) or 1
    bars = []
    for index, (label, value) in enumerate(items):
        if value is None:
            text = "—"
        elif unit == "%":
            text = f"{value * 100:.1f}%"
        else:
            text = f"{value:g}{unit}"
        width = 0 if value is None else round(_WIDTH * min(value / top, 1))
        bars.append(Bar(label=label, value=value, text=text, y=index * _ROW, width=width))
    return BarChart(title=title, bars=tuple(bars), height=max(len(bars), 1) * _ROW)
