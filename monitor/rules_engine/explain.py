"""Readable rendering of evaluation traces (`cct-monitor rules explain`)."""

from __future__ import annotations

from typing import Any

from monitor.rules_engine.leaves import leaf_of

YES, NO = "✓", "✗"


def _leaf(trace: dict[str, Any]) -> str:
    mark = YES if trace["matched"] else NO
    leaf = leaf_of(trace)
    assert leaf is not None, f"not a leaf trace: {trace!r}"
    return f"{mark} {leaf.explain(trace)}"


def render_tree(trace: dict[str, Any], indent: int = 2) -> list[str]:
    """One line per node of a condition trace, children indented."""
    pad = " " * indent
    mark = YES if trace["matched"] else NO
    for key in ("all", "any"):
        if key in trace:
            lines = [f"{pad}{mark} {key}"]
            for kid in trace[key]:
                lines += render_tree(kid, indent + 2)
            return lines
    if "not" in trace:
        return [f"{pad}{mark} not", *render_tree(trace["not"], indent + 2)]
    return [pad + _leaf(trace)]


def verdict(entry: dict[str, Any]) -> str:
    """What the rule decides on this chunk alone."""
    if not entry["when"]["matched"]:
        return "no match"
    hit = next((e["reason"] for e in entry["unless"] if e["matched"]), None)
    if hit:
        return f"suppressed by exception: {hit}"
    window = entry["window"]
    if window and window["count"] > 1:
        return f"matches; fires once {window['count']} matching chunks fall within {window['seconds']:g} s"
    return "FIRES" + (" (shadow: counted, no alert)" if entry["mode"] == "shadow" else "")


def render_explanation(entries: list[dict[str, Any]]) -> str:
    """The trace of every rule, for people."""
    out: list[str] = []
    for e in entries:
        out.append(f"{e['rule_id']} {e['version']} [{e['ruleset']}, {e['mode']}]: {verdict(e)}")
        out += render_tree(e["when"])
        for exc in e["unless"]:
            out.append(f"  unless ({'holds' if exc['matched'] else 'does not hold'}): {exc['reason']}")
            out += render_tree(exc, 4)
        for esc in e["escalate"]:
            out.append(f"  escalate {esc['levels']:+d} ({'applies' if esc['matched'] else 'does not apply'}): {esc['reason']}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"
