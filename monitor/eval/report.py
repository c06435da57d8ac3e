"""The eval report as markdown tables: functional suite through the rules, classifier level, public splits."""

from __future__ import annotations

from typing import Any

from monitor.eval.baseline import NAME as BASELINE
from monitor.eval.checkworthiness import TARGET_MAP


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _rate(value: float | None, k: int, n: int) -> str:
    return "–" if not n else f"{_pct(value)} ({k}/{n})"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header), *("| " + " | ".join(r) + " |" for r in rows)]


def functional_section(report: dict[str, Any]) -> list[str]:
    models = report["models"]
    suite = report["suite"]
    part = suite["breakdown"]
    languages = ", ".join(f"{code} {n}" for code, n in suite["languages"].items())
    lines = [f"## Functional suite through the rules ({suite['cases']} cases: {suite['harmful']} harmful, "
             f"{suite['negatives']} hard negatives / benign; by language: {languages})", "",
             "Recall: harmful cases with an alert at or above their minimum severity on their own chunk. "
             "FP rate: hard negatives / benign cases whose expectation failed (an alert above info, or any "
             "alert where none is expected). Target: recall ≥ 0.80 at an FP rate ≤ 0.05.", "",
             f"The tables by category and case type cover the `{part['language']}` cases ({part['cases']}: "
             f"{part['harmful']} harmful, {part['negatives']} not); every language has its row under *Per language*. "
             f"Case languages: {suite['language']}.", ""]
    header = ["group"] + [f"{m['name']} {k}" for m in models for k in ("recall", "FP rate")]

    def rows(sections: tuple[str, ...], keys: list[str]) -> list[list[str]]:
        out = []
        for key in keys:
            row = [key]
            for m in models:
                r = next((m["functional"][s][key] for s in sections if key in m["functional"][s]), None)
                row += ["–", "–"] if r is None else [_rate(r["recall"], r["hits"], r["harmful"]),
                                                       _rate(r["fp_rate"], r["false_alarms"], r["negatives"])]
            out.append(row)
        return out

    def keys(section: str) -> list[str]:
        return list(dict.fromkeys(k for m in models for k in m["functional"][section]))

    groups = [k for cat in keys("by_category") for k in [cat] + [s for s in keys("by_subcategory") if s.startswith(cat + "/")]]
    overall = [["**all**"] + [c for m in models for c in (
        _rate(m["functional"]["overall"]["recall"], m["functional"]["overall"]["hits"], m["functional"]["overall"]["harmful"]),
        _rate(m["functional"]["overall"]["fp_rate"], m["functional"]["overall"]["false_alarms"], m["functional"]["overall"]["negatives"]))]]
    lines += _table(header, overall + rows(("by_category", "by_subcategory"), groups))
    lines += ["", "- Counter-speech, debunk quotes and negations above info (target 0): " + ", ".join(
        f"{m['name']} {m['functional']['stance_above_info']['count']}/{m['functional']['stance_above_info']['cases']}"
        for m in models),
        "- Harmful cases caught only by shadow-mode rules (they page no one, so not counted as hits): " + ", ".join(
        f"{m['name']} {m['functional']['overall']['shadow_only']}" for m in models), ""]
    lines += language_section(models)
    lines += ["### Per case type", ""]
    lines += _table(["case type"] + header[1:], rows(("by_case_type",), keys("by_case_type")))
    lines += hate_functionality_section(models)
    lines += hatecheck_section(models)
    lines += ["", "Misses and false alarms, case by case, are in the JSON report (`functional.misses`, "
              "`functional.false_alarms`)."]
    return lines


def hate_functionality_section(models: list[dict[str, Any]]) -> list[str]:
    """HateCheck-style: accuracy of the hate cases (harmful and hard negatives) per case type."""
    tables = [m["functional"].get("hate_functionalities") for m in models]
    if not any(tables):
        return []
    keys = list(dict.fromkeys(k for t in tables if t for k in t))
    rows = [[f"**{k}**" if k == "all" else k] + ["–" if not t or k not in t else _rate(t[k]["accuracy"], t[k]["ok"], t[k]["cases"])
                                                  for t in tables] for k in keys]
    return ["", "### Hate cases by functionality (HateCheck-style accuracy)", "",
            "The share of the hate cases, harmful and hard negatives, whose expectation holds, per case type. "
            "Target (on HateCheck itself): ≥ 0.82 overall, no functionality below 0.50.", ""] + _table(
        ["case type"] + [m["name"] for m in models], rows)


def hatecheck_section(models: list[dict[str, Any]]) -> list[str]:
    """The HateCheck-style set per functionality: heads alone and through the rules, per model."""
    tables = [m.get("hatecheck_style") for m in models]
    first = next((t for t in tables if t), None)
    if first is None:
        return []
    keys = list(dict.fromkeys(k for t in tables if t for k in t["functionalities"]))
    header = ["functionality", "label"] + [f"{m['name']} {level}" for m in models for level in ("head", "rules")]
    rows = []
    for k in keys:
        label = next(t["functionalities"][k]["label"] for t in tables if t and k in t["functionalities"])
        row = [f"**{k}**" if k == "all" else k, "" if k == "all" else label]
        for t in tables:
            cell = t["functionalities"].get(k) if t else None
            row += ["–", "–"] if cell is None else [_rate(cell[lv]["accuracy"], cell[lv]["ok"], cell[lv]["cases"])
                                                    for lv in ("head", "rules")]
        rows.append(row)
    rows.append(["lowest functionality", ""] + [c for t in tables for c in (
        ("–", "–") if not t else (_pct(t["lowest"]["head"]), _pct(t["lowest"]["rules"])))])
    return ["", f"### HateCheck-style set by functionality ({first['cases']} cases, tests/hatecheck_style)", "",
            "Accuracy per functionality. Head: the `hate` or `threat` score at or above its head's threshold counts as "
            "hateful (what a grader of `cct-monitor classify` output sees). Rules: an alert above info on the case's "
            "own chunk. Target: ≥ 0.82 overall, no functionality below 0.50. Wrong cases are in the JSON report "
            "(`hatecheck_style.wrong`).", ""] + _table(header, rows)


def _unscored(code: str, row: dict[str, Any]) -> str:
    """`k/n`, with the languages the pipeline took them for where that is not the row's own."""
    cell = f"{row['unsupported_language']}/{row['cases']}"
    taken_as = row["unsupported_as"]
    return cell + (f" (as {', '.join(taken_as)})" if code != "all" and taken_as and taken_as != [code] else "")


def language_section(models: list[dict[str, Any]]) -> list[str]:
    """Per case language: recall, FP rate, stance negatives above info, and cases routed past the classifier."""
    lines = ["### Per language", "",
             "Unscored: cases whose chunk the pipeline marked `unsupported_language` (the classifier does not read "
             "the language, so only rules that declare it ran). Stance above info: counter-speech, debunk quotes "
             "and negations with an alert above info (target 0).", ""]
    header = ["language", "cases"] + [f"{m['name']} {k}" for m in models
                                      for k in ("recall", "FP rate", "stance above info", "unscored")]
    codes = list(dict.fromkeys(k for m in models for k in m["functional"]["by_language"]))
    rows = []
    for code in codes:
        first = next(m["functional"]["by_language"][code] for m in models if code in m["functional"]["by_language"])
        row = ["**all**" if code == "all" else code, f"{first['cases']} ({first['harmful']} harmful)"]
        for m in models:
            r = m["functional"]["by_language"].get(code)
            row += ["–"] * 4 if r is None else [
                _rate(r["recall"], r["hits"], r["harmful"]), _rate(r["fp_rate"], r["false_alarms"], r["negatives"]),
                f"{r['stance_above_info']['count']}/{r['stance_above_info']['cases']}",
                _unscored(code, r)]
        rows.append(row)
    return lines + _table(header, rows) + [""]


def narrative_section(report: dict[str, Any]) -> list[str]:
    rows = [[m["name"], n["rule"], n["mode"], f"{n['set']} ≥ {n['min_score']}",
             _rate(n["recall"], n["caught"], n["repeats"]), f"{n['wrongly_flagged']}/{n['debunks']}"]
            for m in report["models"] for n in m.get("narratives", [])]
    if not rows:
        return []
    lines = ["## Known-narrative rules on the suite", "",
             "Repeats: harmful cases whose chunk matches the rule's narrative set at its min_score; caught: the "
             "rule fired at or above the case's minimum severity (a shadow rule's firing counts here, though it "
             "pages no one). Debunks: counter-speech, debunk-quote, negation and reporting cases that match as "
             "well; flagged: the rule fired above info (target 0). Case ids are in the JSON report (`narratives`).", ""]
    return lines + _table(["model", "rule", "mode", "set", "repeats caught", "debunks flagged"], rows) + [""]


def classifier_section(report: dict[str, Any]) -> list[str]:
    columns = [(m["name"], m["classifier_level"]) for m in report["models"]]
    if "classifier_level" in report.get("baseline", {}):
        columns.append((BASELINE, report["baseline"]["classifier_level"]))
    lines = ["## Classifier level on the suite", "",
             "Each category's own label alone at the scorer's operating point (no rules), on the English cases: "
             "recall / FP rate / ROC-AUC (harmful vs the rest of the category) / context pairs whose harmful side "
             "scores higher.", ""]
    categories = list(dict.fromkeys(k for _, cl in columns for k in cl))
    rows = []
    for cat in categories:
        row = [cat]
        for _, cl in columns:
            c = cl.get(cat)
            row.append("–" if c is None or c.get("missing") else
                       f"{_pct(c['recall'])} / {_pct(c['fp_rate'])} / {_pct(c['roc_auc'])} / {_pct(c.get('pairs_ordered'))}")
        rows.append(row)
    return lines + _table(["category"] + [name for name, _ in columns], rows) + stance_section(report)


def _stance_cell(r: dict[str, Any]) -> str:
    return (f"{_pct(r['roc_auc'])} / {_pct(r['harmful_at_0.5'])} / {_pct(r['harmful_at_0.75'])} / "
            f"{_pct(r['framed_at_0.5'])} / {_pct(r['framed_at_0.75'])}")


def stance_section(report: dict[str, Any]) -> list[str]:
    """The stance head alone on the English cases, one column per model."""
    columns = [(m["name"], m["stance_level"]) for m in report["models"] if not m.get("stance_level", {"missing": True}).get("missing")]
    if not columns:
        return []
    lines = ["", "Stance head (`stance_assert`) alone: harmful cases (asserted) vs counter-speech, debunk quotes, "
             "negations and reports: ROC-AUC / harmful at ≥ 0.5 / harmful at ≥ 0.75 / framed at ≥ 0.5 / framed at ≥ 0.75.", ""]
    categories = list(dict.fromkeys(k for _, s in columns for k in s["by_category"]))
    rows = [["**all**"] + [_stance_cell(s) for _, s in columns]]
    rows += [[cat] + ["–" if cat not in s["by_category"] else _stance_cell(s["by_category"][cat]) for _, s in columns]
             for cat in categories]
    return lines + _table(["stance"] + [name for name, _ in columns], rows)


def _public_cell(r: dict[str, Any] | None) -> str:
    """PR-AUC / ROC-AUC / F1; for single-class rows the recall (all positive) or FP rate (all negative)."""
    if r is None:
        return "–"
    if r["positives"] == r["n"]:
        return f"recall {_pct(r['recall'])}"
    if r["positives"] == 0:
        return f"FP rate {_pct(r['flagged'])}"
    return f"{_pct(r['pr_auc'])} / {_pct(r['roc_auc'])} / {_pct(r['f1'])}"


def public_section(report: dict[str, Any]) -> list[str]:
    data = report["public_data"]
    lines = ["## Public test splits", ""]
    if "skipped" in data:
        return lines + [f"Skipped: {data['skipped']}."]
    columns = [(m["name"], m.get("public", [])) for m in report["models"]]
    if "public" in report.get("baseline", {}):
        columns.append((BASELINE, report["baseline"]["public"]))
    cap = data["max_per_source"]
    lines += [f"Test split of `{data['root']}` (deterministic group split), {data['rows']} rows"
              + (f", at most {cap} per source" if cap else "") + ". Cells: PR-AUC / ROC-AUC / F1 at the operating point; "
              "for a source whose rows are all positive the recall, all negative the FP rate.", ""]
    keys: dict[tuple[str, str], dict[str, Any]] = {}
    for _, rows in columns:
        for r in rows:
            keys.setdefault((r["task"], r["source"]), r)
    table = []
    for (task, source), first in sorted(keys.items()):
        lang = "" if first["language"] == "en" else f" ({first['language']})"
        row = [task, source + lang, f"{first['n']} ({first['positives']})"]
        for _, rows in columns:
            r = next((x for x in rows if x["task"] == task and x["source"] == source), None)
            row.append(_public_cell(r))
        table.append(row)
    return lines + _table(["task", "source", "n (pos)"] + [name for name, _ in columns], table) + checkworthiness_section(report)


def checkworthiness_section(report: dict[str, Any]) -> list[str]:
    """CLEF-style ranking of whole test debates by the claim score: MAP / R-precision / P@10 per model."""
    columns = [(m["name"], m.get("checkworthiness", [])) for m in report["models"]]
    if "checkworthiness" in report.get("baseline", {}):
        columns.append((BASELINE, report["baseline"]["checkworthiness"]))
    sources = list(dict.fromkeys(r["source"] for _, rows in columns for r in rows))
    if not sources:
        return []
    cap = report["public_data"].get("max_debate_lines_per_source")
    lines = ["", "### Check-worthiness ranking (CLEF CheckThat! style)", "",
             "Each test debate's lines ranked by the `claim` score, whole debates"
             + (f" (at most {cap} lines per source)" if cap else "") + f"; cells: MAP / mean R-precision / "
             f"mean P@10 over the debates with a check-worthy line. Target: MAP ≥ {TARGET_MAP:.2f}.", ""]
    table = []
    for source in sources:
        first = next(r for _, rows in columns for r in rows if r["source"] == source)
        row = [source, f"{first['debates']} / {first['lines']} ({first['positives']})"]
        for _, rows in columns:
            r = next((x for x in rows if x["source"] == source), None)
            row.append("–" if r is None or r["map"] is None else
                       f"{_pct(r['map'])} / {_pct(r['r_precision'])} / {_pct(r['p_at_10'])}")
        table.append(row)
    return lines + _table(["source", "debates / lines (check-worthy)"] + [name for name, _ in columns], table)


def debate_alerts_section(report: dict[str, Any]) -> list[str]:
    """What each model's rules raised on the test debates streamed as broadcasts, by rule and severity."""
    columns = [(m["name"], m["debate_alerts"]) for m in report["models"] if "debate_alerts" in m]
    if not columns:
        return []
    first = columns[0][1]
    lines = ["", "### Alerts on real political debates", "",
             f"The {first['debates']} test debates above ({first['lines']} lines, {first['check_worthy']} check-worthy) "
             "streamed through each model's rules as broadcasts, one chunk per line, every speaker a guest with "
             "100,000 listeners. Lawful political speech: an alert above info here is a false alarm. Cells: "
             "firings (of them on check-worthy lines).", ""]
    keys = list(dict.fromkeys((f["rule"], f["severity"]) for _, d in columns for f in d["firings"]))
    table = [["**above info, per 1,000 lines**"] + [f"{d['above_info']} ({d['above_info_per_1000']:.1f})" for _, d in columns],
             ["fact-check queue: lines (check-worthy)"] + [f"{d['claim_queue']['lines']} ({d['claim_queue']['check_worthy']})"
                                                          for _, d in columns]]
    for rule, severity in keys:
        row = [f"{rule} @ {severity}"]
        for _, d in columns:
            f = next((f for f in d["firings"] if (f["rule"], f["severity"]) == (rule, severity)), None)
            row.append("–" if f is None else f"{f['n']} ({f['check_worthy']})")
        table.append(row)
    return lines + _table(["rule @ severity"] + [name for name, _ in columns], table)


def render(report: dict[str, Any]) -> str:
    """The whole report as markdown."""
    models = ", ".join(f"`{m['name']}` = {m['models_dir']} ({m['model']['sha256'][:12]}) + rules "
                       f"{', '.join(m['rules'])} ({m['rules_sha256'][:12]}; inline tests {m['rule_tests']})"
                       for m in report["models"])
    base = report.get("baseline", {})
    if "description" in base:
        skipped = "; ".join(f"{task}: none ({why})" for task, why in base.get("skipped_tasks", {}).items())
        baseline = f"Baseline: {base['description']}, trained on the public train split" + (f"; {skipped}" if skipped else "") + "."
    else:
        baseline = f"Baseline: skipped ({base.get('skipped')})."
    lines = ["# cct-monitor eval", "", f"Models: {models}.", baseline, ""]
    lines += functional_section(report) + [""] + narrative_section(report) + classifier_section(report) + [""] + public_section(report) + debate_alerts_section(report)
    return "\n".join(lines) + "\n"
