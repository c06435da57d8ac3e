"""The project's HateCheck-style test set (`tests/hatecheck_style/templates.yaml`): templates per
functionality, expanded over the protected groups (or the non-protected ones) into labelled cases.

Spelling functionalities perturb the span marked `[[...]]` by a fixed rule (no randomness), so the set is
the same on every run; elsewhere the marks are dropped.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DEFAULT_SET = Path(__file__).resolve().parents[2] / "tests" / "hatecheck_style" / "templates.yaml"
LABELS = ("hateful", "non-hateful")
_MARK = re.compile(r"\[\[(.+?)\]\]")
_SLOT = re.compile(r"\{(group|Group|one|bare|slur)\}")
_LEET = {"a": "4", "e": "3", "i": "1", "o": "0"}


@dataclass(frozen=True, slots=True)
class HateCheckCase:
    """One expanded case: its functionality, expected label, target group (None: no group) and text."""

    id: str
    functionality: str
    label: str
    group: str | None
    text: str

    @property
    def hateful(self) -> bool:
        return self.label == "hateful"


def _middle(word: str) -> int:
    """The index the character perturbations act at: inside the word, never its first letter."""
    return max(1, len(word) // 2 - 1)


def _swap(word: str) -> str:
    i = _middle(word)
    return word if len(word) < 3 else word[:i] + word[i + 1] + word[i] + word[i + 2:]


def _delete(word: str) -> str:
    i = _middle(word)
    return word[:i] + word[i + 1:]


def _leet(word: str) -> str:
    """The first two vowels that have a digit look-alike, replaced by it."""
    out, done = [], 0
    for ch in word:
        if done < 2 and ch.lower() in _LEET:
            out.append(_LEET[ch.lower()])
            done += 1
        else:
            out.append(ch)
    return "".join(out)


def _on_first_word(edit: Callable[[str], str]) -> Callable[[str, str, str], str]:
    """A perturbation of a marked span's first word (the rest of the span and sentence unchanged)."""
    def apply(before: str, span: str, after: str) -> str:
        first, sep, rest = span.partition(" ")
        return before + edit(first) + sep + rest + after
    return apply


def _space_del(before: str, span: str, after: str) -> str:
    """The space after the marked span left out, or the one before it where punctuation follows."""
    if after.startswith(" "):
        return before + span + after[1:]
    return before.removesuffix(" ") + span + after


PERTURBATIONS: dict[str, Callable[[str, str, str], str]] = {
    "spell_char_swap_h": _on_first_word(_swap),
    "spell_char_del_h": _on_first_word(_delete),
    "spell_space_del_h": _space_del,
    "spell_space_add_h": _on_first_word(" ".join),
    "spell_leet_h": _on_first_word(_leet),
}


def perturb(text: str, functionality: str) -> str:
    """`text` with its marked span perturbed as `functionality` says, or just unmarked; raises ValueError
    where a spelling functionality's template has no mark or the perturbation leaves it as it was."""
    match = _MARK.search(text)
    edit = PERTURBATIONS.get(functionality)
    if match is None:
        if edit:
            raise ValueError(f"{functionality}: template {text!r} marks no span to perturb")
        return text
    before, span, after = text[:match.start()], match.group(1), text[match.end():]
    if edit is None:
        return before + span + after
    out = edit(before, span, after)
    if out == before + span + after:
        raise ValueError(f"{functionality}: perturbing {span!r} in {text!r} changes nothing")
    return out


def _fill(template: str, group: dict[str, Any], slur: str | None) -> str:
    forms = {"group": group["plural"], "Group": group["plural"][:1].upper() + group["plural"][1:],
             "one": group["one"], "bare": group["bare"], "slur": slur or ""}
    return _SLOT.sub(lambda m: forms[m.group(1)], template)


def _expand(name: str, spec: dict[str, Any], groups: dict[str, dict[str, Any]],
            non_protected: list[dict[str, Any]]) -> list[HateCheckCase]:
    label = spec["label"]
    if label not in LABELS:
        raise ValueError(f"{name}: label {label!r} is not one of {', '.join(LABELS)}")
    targets = ({g["plural"]: g for g in non_protected} if spec.get("over") == "non_protected" else groups)
    cases: list[HateCheckCase] = []
    for t, template in enumerate(spec["templates"], 1):
        if not _SLOT.search(template):
            fills: list[tuple[str | None, dict[str, Any], str | None]] = [(None, {}, None)]
        else:
            slurs = "{slur}" in template
            fills = [(g, spec_g, s) for g, spec_g in targets.items() for s in (spec_g["slurs"] if slurs else [None])]
        for n, (group, forms, slur) in enumerate(fills, 1):
            text = perturb(_fill(template, forms, slur) if forms else template, name)
            cases.append(HateCheckCase(f"{name}-{t:02d}-{n:02d}", name, label, group, text))
    return cases


def load_set(path: Path = DEFAULT_SET) -> list[HateCheckCase]:
    """Every case of the set at `path`, functionality by functionality in file order."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    groups, non_protected = doc["groups"], doc.get("non_protected", [])
    cases = [c for name, spec in doc["functionalities"].items() for c in _expand(name, spec, groups, non_protected)]
    duplicated = sorted(t for t, n in Counter(c.text for c in cases).items() if n > 1)
    if duplicated:
        raise ValueError(f"{path}: duplicated case text(s): {duplicated[:3]}")
    return cases
