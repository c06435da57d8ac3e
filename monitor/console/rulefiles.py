"""Find a rule's own YAML text in the rule files, so the reviewer reads exactly what the auditor reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from monitor.audit.records import yaml_files


@dataclass(frozen=True, slots=True)
class RuleExcerpt:
    path: str
    first_line: int
    text: str
    version: str | None


def _scalar(mapping: yaml.MappingNode, key: str) -> str | None:
    for k, v in mapping.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key and isinstance(v, yaml.ScalarNode):
            return str(v.value)
    return None


def rule_excerpt(paths: Sequence[Path], rule_id: str) -> RuleExcerpt | None:
    """The lines of the rule `rule_id` in the first rule file that defines it, or None."""
    for path in yaml_files(paths):
        try:
            text = path.read_text(encoding="utf-8")
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        if not isinstance(root, yaml.MappingNode):
            continue
        for key, value in root.value:
            if not (isinstance(key, yaml.ScalarNode) and key.value == "rules" and isinstance(value, yaml.SequenceNode)):
                continue
            for node in value.value:
                if isinstance(node, yaml.MappingNode) and _scalar(node, "id") == rule_id:
                    lines = text.splitlines()
                    start, end = node.start_mark.line, node.end_mark.line
                    if node.end_mark.column > 0:
                        end += 1
                    body = "\n".join(lines[start:end]).rstrip()
                    return RuleExcerpt(str(path), start + 1, body, _scalar(node, "version"))
    return None
