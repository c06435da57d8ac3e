"""The multilingual stance head (`stance_assert`): its training rows, cross-lingual transfer report and card.

    python -m monitor.multilingual.heads_train --labels stance_assert

Rows: the project's English stance data (`monitor/data/spoken/stance_pairs.jsonl` and the `stance` column
of the spoken label files, as the English head `models/heads/stance_assert.json` is trained on) and the
project-written pairs in de es fr it nl pl pt ro (`stance_multilingual.jsonl`, `scripts/make_stance_multilingual.py`);
`assert` is 1, `quote`/`report`/`deny`/`condemn` 0; every source split by group (70/10/20, `corpora.split_of`),
so the "test" groups are held out from fitting, choice and calibration. Transfer: a head fitted on the English
rows alone and the shipped head (English + non-English rows) scored on the same held-out groups, per source,
with the rules' cuts (health-misinformation-score drops a match below 0.5 and files one below 0.85 as info).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from monitor.classify.corpora import split_of
from monitor.classify.heads import Calibration, Head
from monitor.classify.labels import DEFAULT_LABELS
from monitor.classify.spoken import SPOKEN_DIR, read_rows
from monitor.classify.train import metrics_at
from monitor.multilingual.heads_train import Row

LABEL = "stance_assert"
PAIRS = SPOKEN_DIR / "stance_pairs.jsonl"
MULTILINGUAL = SPOKEN_DIR / "stance_multilingual.jsonl"
MULTILINGUAL_PREFIX = "spoken-stance-ml-"  # + language code: one source per language of MULTILINGUAL
RULE_CUTS = {"drop": 0.5, "info": 0.85}  # health-misinformation-score's `stance_assert` cuts
#: What those cuts mean for the English head on its calibration split (rules/health-crisis.yaml): below 0.5
#: drops at most 12 % of the assertions; 0.85 is the lowest cut that lets at most 10 % of the other stances through.
CUT_SHARES = {"drop": 0.12, "info": 0.10}
Rows = dict[str, list[Row]]


def _row(text: str, stance: str, source: str, group: str, out: Rows) -> None:
    out[split_of(source, group)].append(Row(text, int(stance == "assert"), source))


def stance_rows(multilingual: bool = True) -> Rows:
    """{"train", "calib", "test"}: the English stance rows, plus the non-English pairs when `multilingual`."""
    out: Rows = defaultdict(list)
    for line in PAIRS.read_text(encoding="utf-8").splitlines():
        if line.strip():
            rec = json.loads(line)
            _row(rec["text"], rec["stance"], "spoken-stance-pairs", rec["group"], out)
    for label in DEFAULT_LABELS:
        for rec in read_rows(label):
            if rec.stance:
                _row(rec.text, rec.stance, f"spoken-{label}-stance", rec.group, out)
    if multilingual:
        for line in MULTILINGUAL.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rec = json.loads(line)
                _row(rec["text"], rec["stance"], f"{MULTILINGUAL_PREFIX}{rec['language']}", rec["group"], out)
    return {split: out[split] for split in ("train", "calib", "test")}


def align_to_rule_cuts(head: Head, x_calib: np.ndarray, y_calib: np.ndarray) -> dict[str, float]:
    """Compose the head's calibration with a monotone piecewise-linear map so the rules' stance cuts mean for it
    what they mean for the English head (`CUT_SHARES`, on its own calibration split; here on `x_calib`, the
    non-English calibration rows, the only language the head serves): the largest score below
    which at most 12 % of the assertions fall goes to 0.5, the lowest score at or above which at most 10 % of
    the other stances fall goes to 0.85 (as `STREAM_PRIORS` does for election). Returns the two scores mapped."""
    p = head.proba(x_calib)
    pos, neg = p[y_calib == 1], p[y_calib == 0]
    values = np.unique(np.append(p, 1.0))
    info = min(v for v in values if np.mean(neg >= v) <= CUT_SHARES["info"])
    drop = max((v for v in values if v < info and np.mean(pos < v) <= CUT_SHARES["drop"]), default=info / 2)
    knots_x, knots_y = [0.0, drop, info, 1.0], [0.0, RULE_CUTS["drop"], RULE_CUTS["info"], 1.0]
    cal = head.calibration
    if cal.method == "isotonic":
        iso_x, iso_y = cal.params["iso_x"], cal.params["iso_y"]
    else:  # Platt: tabulated on the calibration split's raw range, then mapped
        raw = head.raw(x_calib)
        iso_x = np.linspace(raw.min(), raw.max(), 512)
        iso_y = cal(iso_x)
    head.calibration = Calibration("isotonic", {"iso_x": np.asarray(iso_x, float),
                                                "iso_y": np.interp(iso_y, knots_x, knots_y)})
    head.threshold = round(float(np.interp(head.threshold, knots_x, knots_y)), 4)
    head.meta["rule_cut_alignment"] = {"drop": round(float(drop), 4), "info": round(float(info), 4),
                                       "from_calibration": cal.method, "shares": CUT_SHARES}
    return head.meta["rule_cut_alignment"]


def _cut_shares(y: np.ndarray, p: np.ndarray) -> dict[str, float | None]:
    """Assertions the rule drops (p < 0.5) and non-assertions it keeps above info (p >= 0.85)."""
    pos, neg = p[y == 1], p[y == 0]
    return {"asserts_dropped": round(float(np.mean(pos < RULE_CUTS["drop"])), 3) if len(pos) else None,
            "others_above_info": round(float(np.mean(neg >= RULE_CUTS["info"])), 3) if len(neg) else None}


def held_out(head: Head, test: list[Row], vec: dict[str, np.ndarray]) -> dict[str, dict]:
    """Per source of the test split, plus "non-English" and "English" pools: metrics and the rule cuts' shares."""
    pools: dict[str, list[Row]] = defaultdict(list)
    for r in test:
        pools[r.source].append(r)
        pools["non-English" if r.source.startswith(MULTILINGUAL_PREFIX) else "English"].append(r)
    out = {}
    for name, rows in sorted(pools.items()):
        y = np.array([r.y for r in rows])
        p = head.proba(np.stack([vec[r.text] for r in rows]))
        out[name] = {**metrics_at(y, p, head.threshold), **_cut_shares(y, p)}
    return out


def write_card(out: Path, head: Head, transfer: dict[str, dict[str, dict]]) -> Path:
    """`<out>/cards/stance_assert.md`: data and licences, the head, held-out transfer figures, sha256."""
    from monitor.classify.encoder import file_sha256

    d, align = head.meta["data"], head.meta["rule_cut_alignment"]
    lines = [
        "# Model card: multilingual stance head (`stance_assert`, multilingual-e5-small-eu)", "",
        "The probability that the speaker asserts a statement rather than quoting, reporting, denying or "
        "condemning it, over the multilingual ONNX engine's embeddings (the same encoder as "
        "`cards/multilingual.md`). The rules read it as they read the English head's "
        f"(`models/heads/stance_assert.json`): `health-misinformation-score` drops a match below {RULE_CUTS['drop']} and files "
        f"one below {RULE_CUTS['info']} as info. Retrain: `python -m monitor.multilingual.heads_train --labels stance_assert` "
        "(data: `python scripts/make_stance_multilingual.py`).", "",
        "## Training data (train split fits, calib split picks and calibrates, test held out)", "",
        "| source | language | licence |", "|---|---|---|",
        "| `monitor/data/spoken/stance_pairs.jsonl` (spoken-stance-pairs) | en | Apache-2.0, written by the "
        "cct-tracking project (`monitor/data/synthetic/stance.jsonl`, less the groups near the suite) |",
        "| `stance` column of `monitor/data/spoken/<label>.jsonl` (spoken-<label>-stance) | en | CC0-1.0, "
        "written by the cct-tracking project |",
        "| `monitor/data/spoken/stance_multilingual.jsonl` (spoken-stance-ml-<lang>) | de es fr it nl pl pt ro | "
        "CC0-1.0, written by the cct-tracking project (`scripts/make_stance_multilingual.py`) |", "",
        f"Rows: train {d['train']['n']} ({d['train']['positives']} assertions), calib {d['calib']['n']} "
        f"({d['calib']['positives']}). Head: {head.kind}, {head.calibration.method} calibration, threshold "
        f"{head.threshold}; calib PR-AUC {head.meta['calib']['pr_auc']}, F1 {head.meta['calib']['f1']}. Its calibrated "
        f"score is mapped (monotone, piecewise linear) so the rules' cuts mean what they mean for the English head on "
        f"its calibration split, here measured on the non-English calibration rows (the head scores only non-English "
        f"chunks): {align['drop']} (at most 12 % of their assertions below it) → {RULE_CUTS['drop']}, {align['info']} (at most "
        f"10 % of their other stances at or above it) → {RULE_CUTS['info']}.", "",
        "## Cross-lingual transfer on the held-out test groups (one run; `models/multilingual/stance_eval.json`)", "",
        "*English only*: the same fit on the English rows alone (what the encoder's alignment carries to other "
        f"languages). *Shipped*: English + the non-English pairs. Dropped: assertions below {RULE_CUTS['drop']}; above info: "
        f"quotes, reports, denials and condemnations at {RULE_CUTS['info']} or more. The ten statements of each language are "
        "the same ten ideas, so a held-out group may have its translation in another language's training "
        "rows: the non-English figures measure framing learnt across languages, not unseen claims.", "",
        "| test pool | n (assertions) | English only PR-AUC | dropped | above info | shipped PR-AUC | dropped | above info |",
        "|---|---|---|---|---|---|---|---|"]
    en_only, shipped = transfer["english_only"], transfer["shipped"]
    for pool in shipped:
        a, b = en_only[pool], shipped[pool]
        lines.append(f"| {pool} | {b['n']} ({b['positives']}) | {a['pr_auc']} | {a['asserts_dropped']} | "
                     f"{a['others_above_info']} | {b['pr_auc']} | {b['asserts_dropped']} | {b['others_above_info']} |")
    lines += ["", "## Files", "", "| file | sha256 |", "|---|---|"]
    for suffix in (".json", ".safetensors"):
        path = out / "heads" / f"{LABEL}{suffix}"
        lines.append(f"| `models/multilingual/heads/{path.name}` | `{file_sha256(path)}` |")
    card = out / "cards" / f"{LABEL}.md"
    card.parent.mkdir(parents=True, exist_ok=True)
    card.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return card
