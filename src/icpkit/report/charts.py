"""Small inline SVG charts for the one-page document: no JavaScript, no external requests.

Each function returns one self-contained ``<svg>`` element (text escaped). The SVG carries its
size in CSS pixels (``width``/``height`` equal to the viewBox) and the page never stretches it,
so a font size here is the size on paper: nothing is drawn under :data:`MIN_FONT` px. They take
plain numbers, not ICP objects, so they are easy to test and reuse.

Colours are the Okabe-Ito palette, which stays distinguishable with the common forms of colour
blindness; every series is also named in text, never told apart by colour alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

#: The smallest text any chart draws, in CSS px (the PDF keeps CSS px at 96 per inch).
MIN_FONT = 12

INK = "#1f2937"
MUTED = "#4b5563"
GRID = "#e5e7eb"
# Okabe-Ito (colour-blind safe).
BLUE = "#0072B2"
ORANGE = "#E69F00"
SKY = "#56B4E9"
GREEN = "#009E73"
VERMILLION = "#D55E00"
GREY = "#999999"
TIER_COLOURS = {"A": BLUE, "B": SKY, "C": ORANGE, "D": GREY}
FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif"


def _svg(width: int, height: int, body: list[str], title: str) -> str:
    return (
        f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(title)}" class="chart" style="{FONT}">'
        f"<title>{escape(title)}</title>" + "".join(body) + "</svg>"
    )


def _text(
    x: float,
    y: float,
    s: str,
    *,
    size: int = MIN_FONT,
    anchor: str = "start",
    fill: str = INK,
    weight: str | None = None,
) -> str:
    size = max(size, MIN_FONT)
    w = f' font-weight="{weight}"' if weight else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'fill="{fill}"{w}>{escape(s)}</text>'
    )


def _fin(x: float | None) -> bool:
    return x is not None and math.isfinite(x)


def nice_ticks(vmax: float, *, count: int = 4) -> list[float]:
    """Round axis ticks from 0 to at least ``vmax``: steps of 1, 2, 2.5 or 5 × 10^k.

    A reader needs a few round gridlines, not just 0 and the maximum.
    """
    if not _fin(vmax) or vmax <= 0:
        return [0.0, 1.0]
    raw = vmax / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    n = math.ceil(vmax / step - 1e-9)
    if round(n * step, 12) < vmax:  # the top tick must cover the data, float noise included
        n += 1
    return [round(i * step, 12) for i in range(n + 1)]


def _tick_label(v: float, percent: bool) -> str:
    if percent:
        return f"{v * 100:.0f}%" if abs(v * 100 - round(v * 100)) < 1e-9 else f"{v * 100:.1f}%"
    return f"{v:,.0f}" if v == int(v) else f"{v:,.1f}"


def _y_axis(
    ticks: list[float], left: float, right: float, bottom: float, scale: float, percent: bool
) -> list[str]:
    out = []
    for t in ticks:
        y = bottom - t * scale
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="{GRID}" '
            'stroke-width="1"/>'
        )
        out.append(_text(left - 6, y + 4, _tick_label(t, percent), anchor="end", fill=MUTED))
    return out


def lift_chart(
    rows: Sequence[tuple[str, float | None, float | None]],
    *,
    title: str = "Lift per criterion",
    labels: tuple[str, str] = ("at fit", "latest cohort"),
    width: int = 680,
) -> str:
    """Horizontal bars: lift of each criterion at fit and in a cohort (when there is one).

    The cohort series and its legend appear only when some row has a cohort value.
    """
    rows = [r for r in list(rows)[:16] if _fin(r[1]) or _fin(r[2])]
    has_cohort = any(_fin(c) for _, _, c in rows)
    left, right, bar_h, gap = 300, 64, 14, 8
    per = 2 * bar_h + gap if has_cohort else bar_h + gap
    vmax = max([float(v) for _, f, c in rows for v in (f, c) if v is not None and _fin(v)] + [2.0])
    ticks = nice_ticks(vmax)
    scale = (width - left - right) / ticks[-1]
    body = [_text(left, 16, labels[0], fill=BLUE, weight="600")]
    if has_cohort:
        body.append(_text(left + 90, 16, labels[1], fill=VERMILLION, weight="600"))
    y = 30.0
    for label, fit, cohort in rows:
        short = label if len(label) <= 40 else label[:38] + "…"
        body.append(_text(left - 8, y + bar_h - 2, short, anchor="end"))
        for val, colour, dy in ((fit, BLUE, 0), (cohort, VERMILLION, bar_h)):
            if not _fin(val):
                continue
            w = max(scale * float(val), 1)  # type: ignore[arg-type]
            body.append(
                f'<rect x="{left}" y="{y + dy:.1f}" width="{w:.1f}" height="{bar_h}" '
                f'fill="{colour}"/>'
            )
            body.append(_text(left + w + 4, y + dy + bar_h - 2, f"{val:.1f}x", fill=MUTED))
        y += per
    for t in ticks:
        x = left + scale * t
        body.append(
            f'<line x1="{x:.1f}" y1="24" x2="{x:.1f}" y2="{y:.1f}" stroke="{GRID}" stroke-width="1"/>'
        )
        body.append(_text(x, y + 14, f"{t:g}x", anchor="middle", fill=MUTED))
    x1 = left + scale
    body.append(
        f'<line x1="{x1:.1f}" y1="24" x2="{x1:.1f}" y2="{y:.1f}" stroke="{INK}" '
        'stroke-dasharray="3,3" stroke-width="1"/>'
    )
    body.append(_text(left, y + 32, "1x = as often as among all accounts", fill=MUTED))
    return _svg(width, int(y + 40), body, title)


def score_bins(
    rows: Sequence[tuple[float, float, int, int]], *, min_width: float = 5.0
) -> list[tuple[str, int, int]]:
    """Merge score bands into buckets a reader can name: ``(label, good, other)``.

    ``rows`` are ``(score_from, score_to, good, other)`` in score order. Bands narrower than
    ``min_width`` points (e.g. many accounts sharing one score, ``8.4–8.4``) are merged with the
    next until the bucket spans ``min_width``; empty buckets are dropped. Edges are whole numbers.
    """
    groups: list[list[float]] = []  # [lo, hi, good, other]
    for a, b, g, o in rows:
        if groups and groups[-1][1] - groups[-1][0] < min_width:
            cur = groups[-1]
            cur[1], cur[2], cur[3] = b, cur[2] + g, cur[3] + o
        else:
            groups.append([a, b, g, o])
    if len(groups) > 1 and groups[-1][1] - groups[-1][0] < min_width:
        tail = groups.pop()  # a narrow last bucket joins the one before it
        groups[-1][1], groups[-1][2], groups[-1][3] = (
            tail[1],
            groups[-1][2] + tail[2],
            groups[-1][3] + tail[3],
        )
    out = []
    for band_lo, band_hi, good, other in groups:
        if good + other == 0:
            continue
        lo_i, hi_i = math.floor(band_lo), math.ceil(band_hi)
        out.append((f"{lo_i}–{max(hi_i, lo_i + 1)}", int(good), int(other)))
    return out


def distribution_chart(
    bins: Sequence[tuple[str, int, int]],
    *,
    title: str = "Score distribution by outcome",
    labels: tuple[str, str] = ("best", "others"),
    width: int = 680,
) -> str:
    """Grouped columns per score bucket: accounts with the good outcome and the rest.

    Buckets with no accounts are left out (see :func:`score_bins` for meaningful edges).
    """
    bins = [b for b in bins if b[1] + b[2] > 0]
    height, left, bottom, top = 260, 56, 44, 30
    vmax = max([max(a, b) for _, a, b in bins] + [1])
    ticks = nice_ticks(vmax)
    n = max(len(bins), 1)
    slot = (width - left - 10) / n
    bw = slot * 0.38
    scale = (height - top - bottom) / ticks[-1]
    base = height - bottom
    body = [
        _text(left, 16, labels[0], fill=BLUE, weight="600"),
        _text(left + 110, 16, labels[1], fill=MUTED, weight="600"),
        *_y_axis(ticks, left, width - 10, base, scale, percent=False),
    ]
    step = max(1, math.ceil(n / max(1, (width - left) // 64)))  # labels that do not collide
    for i, (label, a, b) in enumerate(bins):
        x = left + i * slot + slot * 0.12
        for j, (v, colour) in enumerate(((a, BLUE), (b, GREY))):
            h = v * scale
            body.append(
                f'<rect x="{x + j * bw:.1f}" y="{base - h:.1f}" width="{bw:.1f}" '
                f'height="{h:.1f}" fill="{colour}"/>'
            )
        if i % step == 0:
            body.append(_text(x + bw, base + 16, label, anchor="middle", fill=MUTED))
    body.append(_text(width / 2, height - 6, "fit score", anchor="middle", fill=MUTED))
    return _svg(width, height, body, title)


def tier_chart(
    tiers: Sequence[tuple[str, float | None, float | None, float | None, int]],
    *,
    title: str = "Conversion by tier",
    base: float | None = None,
    base_label: str = "all accounts",
    width: int = 400,
    height: int = 240,
    approximate: bool = False,
) -> str:
    """Columns of the rate per tier with 95% interval whiskers; dashed line at the base rate.

    Tiers without accounts are not drawn. ``approximate`` marks the account counts as estimates
    ("≈2,600", two significant digits): the fit-time counts are read from calibration bands, and
    printing "2,620" where 2,129 accounts are tier A (the Crunchbase export) was false precision.
    """
    tiers = [t for t in tiers if t[4] > 0]
    left, bottom, top = 52, 40, 34
    rates = [
        float(v) for v in [t[1] for t in tiers] + [t[3] for t in tiers] if v is not None and _fin(v)
    ]
    if _fin(base):
        rates.append(float(base))  # type: ignore[arg-type]
    ticks = nice_ticks(max([*rates, 0.1]))
    if ticks[-1] > 1:
        ticks = [t for t in ticks if t <= 1] or [0.0, 1.0]
    scale = (height - top - bottom) / ticks[-1]
    base_y = height - bottom
    slot = (width - left - 10) / max(len(tiers), 1)
    body = _y_axis(ticks, left, width - 10, base_y, scale, percent=True)
    for i, (name, rate, lo, hi, n) in enumerate(tiers):
        x = left + i * slot + slot * 0.2
        w = slot * 0.6
        if _fin(rate):
            h = float(rate) * scale  # type: ignore[arg-type]
            body.append(
                f'<rect x="{x:.1f}" y="{base_y - h:.1f}" width="{w:.1f}" height="{h:.1f}" '
                f'fill="{TIER_COLOURS.get(name, BLUE)}"/>'
            )
            body.append(_text(x + w / 2, base_y - h - 5, f"{rate:.0%}", anchor="middle"))
            if _fin(lo) and _fin(hi):
                cx = x + w / 2
                y1 = base_y - float(hi) * scale  # type: ignore[arg-type]
                y2 = base_y - float(lo) * scale  # type: ignore[arg-type]
                body.append(
                    f'<line x1="{cx:.1f}" y1="{y1:.1f}" x2="{cx:.1f}" y2="{y2:.1f}" '
                    f'stroke="{INK}" stroke-width="1.2"/>'
                )
        body.append(_text(x + w / 2, base_y + 16, f"{name}", anchor="middle", weight="600"))
        count = f"≈{float(f'{n:.2g}'):,.0f}" if approximate else f"{n:,}"
        body.append(_text(x + w / 2, base_y + 32, count, anchor="middle", fill=MUTED))
    if _fin(base):
        y = base_y - float(base) * scale  # type: ignore[arg-type]
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" stroke="{VERMILLION}" '
            'stroke-dasharray="4,3"/>'
        )
        body.append(
            _text(width - 10, 14, f"- - {base_label} {base:.0%}", anchor="end", fill=VERMILLION)
        )
    return _svg(width, height, body, title)


def calibration_chart(
    series: Sequence[tuple[str, str, Sequence[tuple[float, float, int]]]],
    *,
    title: str = "Calibration: predicted vs observed",
) -> str:
    """Predicted (x) against observed (y) share per score band, dot size by accounts; diagonal.

    Series without points are left out, legend included.
    """
    series = [s for s in series if s[2]]
    size, pad = 260, 52
    width, height = size + pad + 150, size + pad + 10
    ticks = [0.0, 0.25, 0.5, 0.75, 1.0]
    body = [
        f'<rect x="{pad}" y="10" width="{size}" height="{size}" fill="none" stroke="{GRID}"/>',
        f'<line x1="{pad}" y1="{10 + size}" x2="{pad + size}" y2="10" stroke="{MUTED}" '
        'stroke-dasharray="4,3"/>',
        _text(pad + size / 2, height - 4, "predicted", anchor="middle", fill=MUTED),
        f'<text x="14" y="{10 + size / 2:.1f}" font-size="{MIN_FONT}" text-anchor="middle" '
        f'fill="{MUTED}" transform="rotate(-90 14 {10 + size / 2:.1f})">observed</text>',
    ]
    for t in ticks:
        y = 10 + size - t * size
        x = pad + t * size
        body.append(_text(pad - 4, y + 4, f"{t:.0%}", anchor="end", fill=MUTED))
        body.append(_text(x, 10 + size + 16, f"{t:.0%}", anchor="middle", fill=MUTED))
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
        body.append(_text(pad + size + 12, 24 + 18 * k, name, fill=colour, weight="600"))
    return _svg(width, height, body, title)


__all__ = [
    "MIN_FONT",
    "calibration_chart",
    "distribution_chart",
    "lift_chart",
    "nice_ticks",
    "score_bins",
    "tier_chart",
]
