"""Server-side SVG charts laid out in Python (no JavaScript chart library): the template only draws.

`stacked_bars` is the evaluation results' chart generalised: one horizontal bar per labelled row,
split into the shares of each series. `column_groups` draws grouped vertical bars (a trend by month).
"""

from __future__ import annotations

from collections.abc import Sequence

PALETTE = ["#1f5fa8", "#c2185b", "#1b7f3b", "#c98a00", "#6a4c93", "#00838f", "#b3261e", "#5d6d7e"]


def stacked_bars(
    rows: Sequence[tuple[str, Sequence[int]]], series: Sequence[tuple[str, str]], width: int = 360
) -> dict:
    """rows: (label, one count per series); series: (label, colour). Each bar is 100% of its row."""
    bar_h, gap, label_h = 14, 8, 14
    bars = []
    y = 0
    for label, counts in rows:
        total = sum(counts)
        x = 0.0
        segments = []
        for (name, color), n in zip(series, counts, strict=True):
            w = width * n / total if total else 0
            if w:
                segments.append({"x": round(x, 2), "w": round(w, 2), "color": color, "label": name, "n": n,
                                 "share": round(100 * n / total, 1)})  # fmt: skip
            x += w
        bars.append(
            {"label": label, "total": total, "y_label": y + label_h - 3, "y": y + label_h, "segments": segments}
        )
        y += label_h + bar_h + gap
    return {"bars": bars, "height": max(y, 1), "width": width, "bar_h": bar_h}


def column_groups(
    groups: Sequence[tuple[str, Sequence[int]]], series: Sequence[tuple[str, str]], width: int = 360, height: int = 150
) -> dict:
    """groups: (label, one count per series), e.g. months; vertical bars side by side in each group."""
    axis_h = 16
    top = max((n for _, counts in groups for n in counts), default=0) or 1
    slot = width / max(len(groups), 1)
    bar_w = max((slot - 4) / max(len(series), 1), 1)
    plot_h = height - axis_h
    out = []
    for i, (label, counts) in enumerate(groups):
        x0 = i * slot + 2
        bars = []
        for j, ((name, color), n) in enumerate(zip(series, counts, strict=True)):
            h = plot_h * n / top
            bars.append({"x": round(x0 + j * bar_w, 2), "y": round(plot_h - h, 2), "w": round(bar_w, 2),
                         "h": round(h, 2), "color": color, "label": name, "n": n})  # fmt: skip
        out.append({"label": label, "short": label[:2], "x_label": round(i * slot + slot / 2, 2), "bars": bars})
    return {"groups": out, "width": width, "height": height, "plot_h": plot_h, "max": top}
