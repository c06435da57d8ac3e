"""Server-rendered SVG of a broadcast timeline, as small multiples read at a glance: one strip per label
(score area, the 0.5 cut), a listeners strip, and alert markers across all strips linking to their pages.

Colours come from classes styled in static/console.css (no inline style, so the CSP stays strict).
"""

from __future__ import annotations

from html import escape

from markupsafe import Markup

from monitor.channels.render import broadcast_time
from monitor.console.views import Timeline

WIDTH = 960
LEFT, RIGHT, TOP, BOTTOM = 86, 16, 18, 36
ROW_H, ROW_GAP = 46, 8


def _ticks(duration_s: float, count: int = 8) -> list[float]:
    step = max(1.0, duration_s / count)
    for nice in (5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600):
        if nice >= step:
            step = float(nice)
            break
    ticks, t = [], 0.0
    while t <= duration_s + 1e-9:
        ticks.append(t)
        t += step
    return ticks


def _area(points: list[tuple[float, float]], x, top: float) -> str:
    """A closed path under the step line of (time, value in 0..1) within a strip whose top is `top`."""
    if not points:
        return ""
    base = top + ROW_H
    d = [f"M{x(points[0][0]):.1f},{base:.1f}"]
    for t, v in points:
        d.append(f"L{x(t):.1f},{top + ROW_H * (1 - v):.1f}")
    d.append(f"L{x(points[-1][0]):.1f},{base:.1f}Z")
    return " ".join(d)


def timeline_svg(tl: Timeline) -> Markup:
    """The chart as inline SVG markup."""
    span = max(tl.duration_s, 1.0)
    rows: list[tuple[str, str, list[tuple[float, float]]]] = [
        (label, f"s{i % 8}", tl.series[label]) for i, label in enumerate(tl.labels)]
    if tl.listeners:
        peak = max(n for _, n in tl.listeners) or 1
        rows.append(("listeners", "listeners", [(t, n / peak) for t, n in tl.listeners]))
    height = TOP + len(rows) * (ROW_H + ROW_GAP) + BOTTOM
    plot_w = WIDTH - LEFT - RIGHT
    bottom = TOP + len(rows) * (ROW_H + ROW_GAP) - ROW_GAP

    def x(t: float) -> float:
        return LEFT + plot_w * t / span

    out = [f'<svg class="timeline" viewBox="0 0 {WIDTH} {height}" role="img" '
           f'aria-label="Scores, listeners and alerts over the broadcast {escape(tl.broadcast_id)}">']
    for t in _ticks(span):
        out.append(f'<line class="grid" x1="{x(t):.1f}" y1="{TOP}" x2="{x(t):.1f}" y2="{bottom}"/>'
                   f'<text class="tick" x="{x(t):.1f}" y="{bottom + 16}" text-anchor="middle">{broadcast_time(int(t * 1000))}</text>')
    for n, (name, cls, points) in enumerate(rows):
        top = TOP + n * (ROW_H + ROW_GAP)
        out.append(f'<rect class="strip" x="{LEFT}" y="{top}" width="{plot_w}" height="{ROW_H}"/>')
        out.append(f'<text class="row-label" x="{LEFT - 8}" y="{top + ROW_H / 2 + 4:.1f}" text-anchor="end">{escape(name)}</text>')
        if cls != "listeners":
            out.append(f'<line class="cut" x1="{LEFT}" y1="{top + ROW_H / 2:.1f}" x2="{LEFT + plot_w}" y2="{top + ROW_H / 2:.1f}"/>')
        else:
            out.append(f'<text class="tick" x="{LEFT + plot_w - 4}" y="{top + 11}" text-anchor="end">max {peak:,}</text>')
        if points:
            out.append(f'<path class="area {cls}" d="{_area(points, x, top)}"><title>{escape(name)}</title></path>')
    for mark in tl.alerts:
        mx = x(mark["t"])
        sev = escape(mark["severity"])
        tip = f'{mark["severity"]} {mark["rule_id"]} at {broadcast_time(int(mark["t"] * 1000))} ({mark["state"]})'
        out.append(f'<a href="/alerts/{escape(mark["alert_id"])}"><line class="alert-mark sev-{sev}" x1="{mx:.1f}" '
                   f'y1="{TOP - 6}" x2="{mx:.1f}" y2="{bottom}"/><circle class="alert-dot sev-{sev}" cx="{mx:.1f}" '
                   f'cy="{TOP - 8}" r="5"><title>{escape(tip)}</title></circle></a>')
    out.append(f'<text class="axis" x="{LEFT + plot_w / 2:.0f}" y="{height - 4}" text-anchor="middle">time in broadcast</text>')
    out.append("</svg>")
    return Markup("".join(out))
