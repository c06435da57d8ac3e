"""Server-rendered SVG of a broadcast timeline: per-label score lines, the 0.5 cut, listeners, alert markers.

Colours come from classes styled in static/console.css (no inline style, so the CSP stays strict).
"""

from __future__ import annotations

from html import escape

from markupsafe import Markup

from monitor.channels.render import broadcast_time
from monitor.console.views import Timeline

WIDTH, HEIGHT = 960, 300
LEFT, RIGHT, TOP, BOTTOM = 48, 64, 16, 40


def _ticks(duration_s: float, count: int = 6) -> list[float]:
    if duration_s <= 0:
        return [0.0]
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


def timeline_svg(tl: Timeline) -> Markup:
    """The chart as inline SVG markup (alert markers link to their alert pages)."""
    span = max(tl.duration_s, 1.0)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(t: float) -> float:
        return LEFT + plot_w * t / span

    def y(score: float) -> float:
        return TOP + plot_h * (1.0 - score)

    out = [f'<svg class="timeline" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
           f'aria-label="Scores, listeners and alerts over the broadcast {escape(tl.broadcast_id)}">']
    for t in _ticks(span):
        out.append(f'<line class="grid" x1="{x(t):.1f}" y1="{TOP}" x2="{x(t):.1f}" y2="{TOP + plot_h}"/>'
                   f'<text class="tick" x="{x(t):.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">{broadcast_time(int(t * 1000))}</text>')
    for s in (0.0, 0.5, 1.0):
        out.append(f'<line class="{"cut" if s == 0.5 else "grid"}" x1="{LEFT}" y1="{y(s):.1f}" x2="{LEFT + plot_w}" y2="{y(s):.1f}"/>'
                   f'<text class="tick" x="{LEFT - 6}" y="{y(s) + 4:.1f}" text-anchor="end">{s:.1f}</text>')
    if tl.listeners:
        top = max(n for _, n in tl.listeners) or 1
        pts = " ".join(f"{x(t):.1f},{TOP + plot_h * (1 - n / top):.1f}" for t, n in tl.listeners)
        out.append(f'<polyline class="listeners" points="{pts}"><title>listeners (max {top:,})</title></polyline>'
                   f'<text class="tick" x="{LEFT + plot_w + 6}" y="{TOP + 4}">{top:,}</text>'
                   f'<text class="tick" x="{LEFT + plot_w + 6}" y="{TOP + 16}">listeners</text>')
    for i, label in enumerate(tl.labels):
        pts = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in tl.series[label])
        if pts:
            out.append(f'<polyline class="score s{i % 8}" points="{pts}"><title>{escape(label)}</title></polyline>')
    for mark in tl.alerts:
        mx = x(mark["t"])
        tip = f'{mark["severity"]} {mark["rule_id"]} at {broadcast_time(int(mark["t"] * 1000))} ({mark["state"]})'
        out.append(f'<a href="/alerts/{escape(mark["alert_id"])}"><line class="alert-mark sev-{escape(mark["severity"])}" '
                   f'x1="{mx:.1f}" y1="{TOP}" x2="{mx:.1f}" y2="{TOP + plot_h}"/>'
                   f'<circle class="alert-dot sev-{escape(mark["severity"])}" cx="{mx:.1f}" cy="{TOP + 6}" r="5">'
                   f'<title>{escape(tip)}</title></circle></a>')
    out.append(f'<text class="axis" x="{LEFT + plot_w / 2:.0f}" y="{HEIGHT - 4}" text-anchor="middle">time in broadcast</text>')
    out.append("</svg>")
    return Markup("".join(out))
