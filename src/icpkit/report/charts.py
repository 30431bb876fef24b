"""Small inline SVG charts for the one-page document: no JavaScript, no external requests.

Each function returns one self-contained ``<svg>`` element (text escaped) sized by a viewBox so
it scales with the page and prints crisply. They take plain numbers, not ICP objects, so they are
easy to test and reuse.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

INK = "#1f2937"
MUTED = "#6b7280"
GRID = "#e5e7eb"
BLUE = "#2563eb"
ORANGE = "#ea580c"
GREEN = "#16a34a"
RED = "#dc2626"
FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif"


def _svg(width: int, height: int, body: list[str], title: str) -> str:
    return (
        f'<svg viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}" class="chart" style="{FONT}">'
        f"<title>{escape(title)}</title>" + "".join(body) + "</svg>"
    )


def _text(
    x: float, y: float, s: str, *, size: int = 11, anchor: str = "start", fill: str = INK
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'fill="{fill}">{escape(s)}</text>'
    )


def _fin(x: float | None) -> bool:
    return x is not None and math.isfinite(x)


def lift_chart(
    rows: Sequence[tuple[str, float | None, float | None]],
    *,
    title: str = "Lift per criterion",
    labels: tuple[str, str] = ("at fit", "latest cohort"),
) -> str:
    """Horizontal bars: lift of each criterion at fit (blue) and in a cohort (orange), 1x line."""
    rows = list(rows)[:16]
    left, right, bar_h, gap = 230, 60, 9, 8
    per = 2 * bar_h + gap if any(_fin(c) for _, _, c in rows) else bar_h + gap
    width = 640
    vmax = max([v for _, f, c in rows for v in (f, c) if _fin(v)] + [2.0])
    vmax = math.ceil(vmax * 2) / 2
    scale = (width - left - right) / vmax
    body = [
        _text(left, 14, f"{labels[0]}", fill=BLUE),
        _text(left + 70, 14, labels[1], fill=ORANGE),
    ]
    y = 30.0
    x1 = left + scale * 1.0
    for label, fit, cohort in rows:
        short = label if len(label) <= 38 else label[:36] + "…"
        body.append(_text(left - 6, y + bar_h, short, anchor="end", size=11))
        if _fin(fit):
            w = max(scale * float(fit), 1)  # type: ignore[arg-type]
            body.append(
                f'<rect x="{left}" y="{y:.1f}" width="{w:.1f}" height="{bar_h}" fill="{BLUE}"/>'
            )
            body.append(_text(left + w + 4, y + bar_h - 1, f"{fit:.2f}x", size=10, fill=MUTED))
        yy = y + bar_h
        if _fin(cohort):
            w = max(scale * float(cohort), 1)  # type: ignore[arg-type]
            body.append(
                f'<rect x="{left}" y="{yy:.1f}" width="{w:.1f}" height="{bar_h}" fill="{ORANGE}"/>'
            )
            body.append(_text(left + w + 4, yy + bar_h - 1, f"{cohort:.2f}x", size=10, fill=MUTED))
        y += per
    body.append(
        f'<line x1="{x1:.1f}" y1="24" x2="{x1:.1f}" y2="{y:.1f}" stroke="{INK}" '
        'stroke-dasharray="3,3" stroke-width="1"/>'
    )
    body.append(
        _text(x1, y + 14, "1x = no better than average", size=10, anchor="middle", fill=MUTED)
    )
    return _svg(width, int(y + 22), body, title)


def distribution_chart(
    bins: Sequence[tuple[str, int, int]],
    *,
    title: str = "Score distribution by outcome",
    labels: tuple[str, str] = ("best", "others"),
) -> str:
    """Grouped columns per score band: accounts with the good outcome (green) and the rest."""
    bins = list(bins)
    width, height, left, bottom, top = 640, 240, 44, 36, 24
    vmax = max([max(a, b) for _, a, b in bins] + [1])
    n = max(len(bins), 1)
    slot = (width - left - 10) / n
    bw = slot * 0.38
    scale = (height - top - bottom) / vmax
    body = [
        _text(left, 14, labels[0], fill=GREEN),
        _text(left + 60, 14, labels[1], fill=MUTED),
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="{GRID}"/>',
        _text(left - 6, top + 8, f"{vmax:,}", size=10, anchor="end", fill=MUTED),
        _text(left - 6, height - bottom, "0", size=10, anchor="end", fill=MUTED),
    ]
    for i, (label, a, b) in enumerate(bins):
        x = left + i * slot + slot * 0.1
        for j, (v, colour) in enumerate(((a, GREEN), (b, "#9ca3af"))):
            h = v * scale
            body.append(
                f'<rect x="{x + j * bw:.1f}" y="{height - bottom - h:.1f}" width="{bw:.1f}" '
                f'height="{h:.1f}" fill="{colour}"/>'
            )
        body.append(
            _text(x + bw, height - bottom + 14, label, size=10, anchor="middle", fill=MUTED)
        )
    body.append(_text(width / 2, height - 4, "fit score", size=10, anchor="middle", fill=MUTED))
    return _svg(width, height, body, title)


def tier_chart(
    tiers: Sequence[tuple[str, float | None, float | None, float | None, int]],
    *,
    title: str = "Conversion by tier",
    base: float | None = None,
) -> str:
    """Columns of the rate per tier with 95% interval whiskers; dashed line at the base rate."""
    tiers = list(tiers)
    width, height, left, bottom, top = 400, 240, 44, 40, 20
    slot = (width - left - 10) / max(len(tiers), 1)
    scale = height - top - bottom
    body = [
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="{GRID}"/>',
        _text(left - 6, top + 4, "100%", size=10, anchor="end", fill=MUTED),
        _text(left - 6, height - bottom, "0%", size=10, anchor="end", fill=MUTED),
    ]
    colours = {"A": GREEN, "B": BLUE, "C": "#f59e0b", "D": "#9ca3af"}
    for i, (name, rate, lo, hi, n) in enumerate(tiers):
        x = left + i * slot + slot * 0.2
        w = slot * 0.6
        if _fin(rate):
            h = float(rate) * scale  # type: ignore[arg-type]
            body.append(
                f'<rect x="{x:.1f}" y="{height - bottom - h:.1f}" width="{w:.1f}" height="{h:.1f}" '
                f'fill="{colours.get(name, BLUE)}"/>'
            )
            body.append(
                _text(x + w / 2, height - bottom - h - 4, f"{rate:.0%}", size=10, anchor="middle")
            )
            if _fin(lo) and _fin(hi):
                cx = x + w / 2
                y1 = height - bottom - float(hi) * scale  # type: ignore[arg-type]
                y2 = height - bottom - float(lo) * scale  # type: ignore[arg-type]
                body.append(
                    f'<line x1="{cx:.1f}" y1="{y1:.1f}" x2="{cx:.1f}" y2="{y2:.1f}" '
                    f'stroke="{INK}" stroke-width="1.2"/>'
                )
        body.append(_text(x + w / 2, height - bottom + 14, f"{name}", size=11, anchor="middle"))
        body.append(
            _text(x + w / 2, height - bottom + 27, f"n={n:,}", size=9, anchor="middle", fill=MUTED)
        )
    if _fin(base):
        y = height - bottom - float(base) * scale  # type: ignore[arg-type]
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" stroke="{RED}" '
            'stroke-dasharray="4,3"/>'
        )
        body.append(
            _text(width - 12, y - 4, f"overall {base:.0%}", size=10, anchor="end", fill=RED)
        )
    return _svg(width, height, body, title)


def calibration_chart(
    series: Sequence[tuple[str, str, Sequence[tuple[float, float, int]]]],
    *,
    title: str = "Calibration: predicted vs observed",
) -> str:
    """Predicted (x) against observed (y) share per score band, dot size by accounts; diagonal."""
    size, pad = 260, 40
    width, height = size + pad + 130, size + pad + 16
    body = [
        f'<rect x="{pad}" y="10" width="{size}" height="{size}" fill="none" stroke="{GRID}"/>',
        f'<line x1="{pad}" y1="{10 + size}" x2="{pad + size}" y2="10" stroke="{MUTED}" '
        'stroke-dasharray="4,3"/>',
        _text(pad + size / 2, height - 2, "predicted", size=10, anchor="middle", fill=MUTED),
        _text(pad - 4, 18, "100%", size=9, anchor="end", fill=MUTED),
        _text(pad - 4, 10 + size, "0%", size=9, anchor="end", fill=MUTED),
        f'<text x="12" y="{10 + size / 2:.1f}" font-size="10" text-anchor="middle" fill="{MUTED}" '
        f'transform="rotate(-90 12 {10 + size / 2:.1f})">observed</text>',
    ]
    for k, (name, colour, pts) in enumerate(series):
        total = max(sum(p[2] for p in pts), 1)
        path = []
        for pred, obs, n in pts:
            x = pad + min(max(pred, 0.0), 1.0) * size
            y = 10 + size - min(max(obs, 0.0), 1.0) * size
            r = 2.5 + 6 * math.sqrt(n / total)
            path.append(f"{x:.1f},{y:.1f}")
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{colour}" fill-opacity="0.7"/>'
            )
        if len(path) > 1:
            body.append(
                f'<polyline points="{" ".join(path)}" fill="none" stroke="{colour}" stroke-width="1.2"/>'
            )
        body.append(_text(pad + size + 12, 24 + 16 * k, name, size=11, fill=colour))
    return _svg(width, height, body, title)


__all__ = ["calibration_chart", "distribution_chart", "lift_chart", "tier_chart"]
