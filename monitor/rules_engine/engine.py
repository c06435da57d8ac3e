"""Evaluate compiled rules over classified chunks, with per-broadcast window and cooldown state.

For each chunk and each active rule: `when` must hold; every `unless` exception is checked (any that
holds suppresses the match, recorded in metrics); the match joins the rule's window for the broadcast
(optionally per speaker) and the rule fires once the window holds `count` matches within `seconds`;
escalations adjust the severity. Time is speech time (`end_ms`, else `start_ms`, else `ts`, else the
time the chunk was received). Rules with `narrative` leaves read matches against the known-narrative
sets beside the rule files (`narratives/`), computed once per batch before the rules run, and their
alerts carry the matched fact-check. Evaluation is deterministic: the same chunks in the same order give the
same firings and alert ids.

Folded repeats: while an alert of a rule is open on a broadcast, a new firing within `cooldown` seconds
(of speech) of its last firing does not open a new alert. It is emitted as an *update* of the open
alert: an Alert with the same `alert_id` (still the hash of the opening evidence seqs), `count`
incremented, `folded: true`, `speaker` still the opening evidence's speaker, and `last_seqs` /
`last_evidence` / `last_start_ms` / `last_end_ms` / `last_seq` / `last_speaker` naming the newest evidence. Delivery dedupes redeliveries by `(alert_id, count)`, and treats
a higher `count` for a known `alert_id` as an update to the existing alert, never as a new one.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from monitor.alert import SEVERITIES, Alert, AlertDSA, AlertModel, AlertRule, make_alert_id
from monitor.contracts import TranscriptChunk, speech_time_ms
from monitor.language import rule_applies
from monitor.narratives.loader import LoadedNarrativeSet, load_sets_or_raise, narrative_dirs
from monitor.narratives.index import TextEncoder
from monitor.narratives.matcher import NarrativeMatcher
from monitor.narratives.spans import match_with_clauses
from monitor.rules_engine.compile import CompiledRule, compile_rule_sets, label_thresholds, matched_leaves, narrative_keys
from monitor.rules_engine.hashing import combined_sha256
from monitor.rules_engine.leaves.narrative import factcheck_of
from monitor.rules_engine.loader import LoadedRuleSet
from monitor.rules_engine.metrics import RuleMetrics
from monitor.rules_engine.view import ChunkView
from monitor.stages import Decision, ModelInfo, WorkItem
from monitor.state import BroadcastStates
from monitor.timefmt import utc_iso

EVIDENCE_SEPARATOR = " … "


def speech_ms(chunk: TranscriptChunk, received_at: float = 0.0) -> float:
    """The chunk's position in time, in ms: end_ms, else start_ms, else ts, else when it was received."""
    t = speech_time_ms(chunk)
    return received_at * 1000.0 if t is None else t


def _speaker_key(chunk: TranscriptChunk) -> str | None:
    if chunk.speaker is None:
        return None
    return chunk.speaker.id or chunk.speaker.name


@dataclass(slots=True, frozen=True)
class Evidence:
    """One matching chunk kept in a rule's window."""

    seq: int
    t_ms: float
    speaker: str | None
    text: str
    start_ms: int | None
    end_ms: int | None
    source: dict[str, Any]


@dataclass(slots=True)
class OpenAlert:
    """The alert a rule has open on a broadcast; repeats within the cooldown fold into it."""

    alert_id: str
    seqs: list[int]
    evidence: str
    start_ms: int | None
    last_t_ms: float
    severity: str
    speaker: dict[str, Any] | None = None
    count: int = 1


@dataclass(slots=True)
class RuleState:
    """A rule's window of matches and open alert on one broadcast."""

    matches: deque[Evidence] = field(default_factory=deque)
    open: OpenAlert | None = None


def escalate(severity: str, levels: int) -> str:
    """Severity moved by `levels`, clamped to info..critical."""
    index = SEVERITIES.index(severity) + levels
    return SEVERITIES[max(0, min(len(SEVERITIES) - 1, index))]


def rules_narratives(sets: Sequence[LoadedRuleSet]) -> list[LoadedNarrativeSet]:
    """The narrative sets beside the rule files, when some rule reads one (else none are loaded)."""
    return load_sets_or_raise(narrative_dirs([s.path for s in sets])) if narrative_keys(sets) else []


def rules_use_labels(sets: Sequence[LoadedRuleSet]) -> bool:
    """True when some rule of `sets`, deprecated ones included, reads classifier scores. Compiles the rules
    but builds no narrative index, so a caller can load the classifier first and lend the engine its encoder."""
    narratives = {n.set.id: n for n in rules_narratives(sets)}
    return any(c.uses_labels for c in compile_rule_sets(sets, narratives))


class RuleEngine:
    """Compiled rule sets evaluated over per-broadcast rule state. One instance per loaded rule version.

    The rule state (windows of matches, open alerts) lives in a `BroadcastStates` owner, keyed by rule id
    and sha256: a private one until the pipeline hands over its own (`use_states`), so one broadcast cap,
    eviction, revocation and rebuild cover chunk windows and rule windows alike; see also `adopt_state`.

    Deprecated rules are loaded and validated but not evaluated, and a rule set is only evaluated within its
    effective period; `every_rule` lifts both (inline tests run every rule, whatever the date). `encoder` is
    what the narrative matcher embeds chunks with: the classifier's (`encoder_for`), else the default one.
    """

    def __init__(
        self,
        sets: Sequence[LoadedRuleSet],
        metrics: RuleMetrics | None = None,
        max_broadcasts: int = 10_000,
        clock: Callable[[], float] = time.time,
        every_rule: bool = False,
        narratives: Sequence[LoadedNarrativeSet] | None = None,
        encoder: TextEncoder | None = None,
    ) -> None:
        self.sets = list(sets)
        if narratives is None:
            narratives = rules_narratives(self.sets)
        self.narratives = NarrativeMatcher(narratives, narrative_keys(self.sets), encoder)
        self.rules = [r for r in compile_rule_sets(self.sets, self.narratives.sets)
                      if every_rule or r.rule.status != "deprecated"]
        self.metrics = metrics
        self.clock = clock
        self.every_rule = every_rule
        self.states = BroadcastStates(max_broadcasts=max_broadcasts)
        #: (day, language, the model's languages) → the rules in force that run on such a chunk, in order
        self._applicable: dict[tuple[dt.date, str | None, tuple[str, ...] | None], list[CompiledRule]] = {}
        self.sha256 = combined_sha256([s.sha256 for s in self.sets])
        self._stamp: dict[str, Any] = {
            "sha256": self.sha256,
            "sets": [{"id": s.ruleset.id, "version": s.ruleset.version, "sha256": s.sha256} for s in self.sets],
        }
        if self.narratives.used:
            self._stamp["narrative_sets"] = self.narratives.stamp
        if metrics is not None:
            for cr in self.rules:
                r = cr.rule
                metrics.evaluations.labels(r.id, r.mode)
                metrics.firings.labels(r.id, r.severity, r.dsa.category, r.mode)
                metrics.suppressed.labels(r.id)
                metrics.folded.labels(r.id)

    @property
    def info(self) -> dict[str, Any]:
        """Rule-set ids, versions, files and sha256s, and every rule's id, version and sha256."""
        return {
            **self._stamp,
            "files": [s.path for s in self.sets],
            "rules": [{"id": c.rule.id, "version": c.rule.version, "sha256": c.sha256, "mode": c.rule.mode,
                       "ruleset": c.ruleset.id} for c in self.rules],
        }

    @property
    def uses_labels(self) -> bool:
        """True when some rule reads classifier scores."""
        return any(c.uses_labels for c in self.rules)

    def publish_metrics(self) -> None:
        """Expose the sets in force on the rule-set info metric."""
        if self.metrics is None:
            return
        modes: dict[str, int] = {}
        for cr in self.rules:
            modes[cr.rule.mode] = modes.get(cr.rule.mode, 0) + 1
        self.metrics.publish_sets([(s.ruleset.id, s.ruleset.version, s.sha256) for s in self.sets], modes)

    @property
    def rule_keys(self) -> set[tuple[str, str]]:
        """(rule id, sha256) of every rule evaluated: the keys of its state in the owner."""
        return {(c.rule.id, c.sha256) for c in self.rules}

    def use_states(self, states: BroadcastStates) -> None:
        """Keep rule state in `states` (the pipeline's owner) from now on, dropping that of rules not in this set."""
        self.states = states
        states.keep_rules(self.rule_keys)

    def adopt_state(self, previous: RuleEngine) -> None:
        """Carry windows and open alerts over from the engine this one replaces, for rules whose sha256 is
        unchanged: both share the previous owner, where a changed rule's state is under another key."""
        self.states = previous.states

    def _rule_state(self, broadcast_id: str, cr: CompiledRule) -> RuleState:
        states = self.states.rule_states(broadcast_id)
        key = (cr.rule.id, cr.sha256)
        state = states.get(key)
        if state is None:
            state = states[key] = RuleState()
        return state

    def reset(self) -> None:
        """Forget every rule window and open alert."""
        self.states.clear_rules()

    def evaluate(self, items: Sequence[WorkItem], model: ModelInfo | None) -> list[Decision]:
        """One Decision per item, in order, with firings and the alerts of enforce-mode firings."""
        if self.metrics is not None and items:
            for cr in self.rules:
                self.metrics.evaluations.labels(cr.rule.id, cr.rule.mode).inc(len(items))
        matches = self._narrative_matches(items)
        return [self._evaluate_item(item, model, found) for item, found in zip(items, matches, strict=True)]

    def replay(self, items: Sequence[WorkItem]) -> None:
        """Run already-decided items through the windows and cooldowns only: no metrics, alerts or decisions.
        After a rebalance this gives the new owner the rule state the previous owner had."""
        matches = self._narrative_matches(items)
        for item, found in zip(items, matches, strict=True):
            self._evaluate_item(item, None, found, quiet=True)

    def _narrative_matches(self, items: Sequence[WorkItem]) -> list[dict[str, Any]]:
        """Each final chunk's matches in the narrative sets rules read, the chunk and each of its clauses (see
        `monitor.narratives.spans`), in the chunk's language (`NarrativeMatcher.match`): one matcher call per batch."""
        out: list[dict[str, Any]] = [{} for _ in items]
        if not self.narratives.keys:
            return out
        final = [i for i, item in enumerate(items) if item.chunk.is_final]
        found = match_with_clauses(self.narratives, [items[i].chunk.text for i in final],
                                   [[c.text for c in items[i].context] for i in final],
                                   [items[i].language or items[i].chunk.language for i in final])
        for i, matches in zip(final, found, strict=True):
            out[i] = matches
        return out

    def _active(self, cr: CompiledRule, day: dt.date) -> bool:
        if self.every_rule:
            return True
        rs = cr.ruleset
        return rs.effective_from <= day and (rs.effective_until is None or day <= rs.effective_until)

    def _rules_for(self, day: dt.date, language: str | None, supported: tuple[str, ...] | None) -> list[CompiledRule]:
        """The rules, in order, in force on `day` that run on a chunk in `language` (`rule_applies`): worked out
        once per distinct (day, language, model languages), not per chunk and rule."""
        key = (day, language, supported)
        found = self._applicable.get(key)
        if found is None:
            if len(self._applicable) >= 1024:
                self._applicable.clear()
            found = self._applicable[key] = [cr for cr in self.rules if self._active(cr, day)
                                             and rule_applies(cr.rule.languages, language, supported)]
        return found

    def _evaluate_item(self, item: WorkItem, model: ModelInfo | None, narratives: dict[str, Any],
                       quiet: bool = False) -> Decision:
        decision = Decision(item, model, ruleset=self._stamp)
        chunk = item.chunk
        if not chunk.is_final:
            return decision
        language, supported = item.language or chunk.language, tuple(model.languages) if model else None
        view = ChunkView(chunk, item.scores, item.context, narratives, language)
        t_ms = speech_ms(chunk, item.received_at)
        day = chunk.ts.date() if chunk.ts is not None else dt.datetime.fromtimestamp(self.clock(), dt.UTC).date()
        for cr in self._rules_for(day, language, supported):
            if not cr.when.test(view):
                continue
            exceptions = [{"reason": reason, "matched": node.test(view)} for reason, node in cr.unless]
            if any(e["matched"] for e in exceptions):
                if self.metrics is not None and not quiet:
                    self.metrics.suppressed.labels(cr.rule.id).inc()
                continue
            state = self._rule_state(chunk.broadcast_id, cr)
            evidence = self._window(cr, state, chunk, item, t_ms)
            if evidence is None:
                continue
            self._fire(cr, state, decision, view, evidence, exceptions, t_ms, quiet)
        return decision

    def _window(self, cr: CompiledRule, state: RuleState, chunk: TranscriptChunk, item: WorkItem,
                t_ms: float) -> list[Evidence] | None:
        """Add the match to the window; the evidence when the window is full, else None."""
        window = cr.rule.window
        speaker = _speaker_key(chunk)
        state.matches.append(Evidence(chunk.seq, t_ms, speaker, chunk.text, chunk.start_ms, chunk.end_ms,
                                      item.record.position))
        if window is None:
            while len(state.matches) > 1:
                state.matches.popleft()
            return [state.matches[-1]]
        horizon = t_ms - window.seconds * 1000.0
        while state.matches and state.matches[0].t_ms < horizon:
            state.matches.popleft()
        while len(state.matches) > max(window.count * 4, 64):
            state.matches.popleft()
        candidates = [e for e in state.matches if not window.per_speaker or e.speaker == speaker]
        if len(candidates) < window.count:
            return None
        return sorted(candidates[-window.count:], key=lambda e: e.seq)

    def _fire(self, cr: CompiledRule, state: RuleState, decision: Decision, view: ChunkView,
              evidence: list[Evidence], exceptions: list[dict[str, Any]], t_ms: float, quiet: bool = False) -> None:
        rule = cr.rule
        trace = cr.when.trace(view)
        escalations = []
        severity = rule.severity
        for reason, levels, node in cr.escalate:
            hit = node.test(view)
            escalations.append({"reason": reason, "levels": levels, "matched": hit})
            if hit:
                severity = escalate(severity, levels)
        seqs = [e.seq for e in evidence]
        text = EVIDENCE_SEPARATOR.join(e.text for e in evidence)
        cooldown_ms = rule.cooldown * 1000.0
        open_alert = state.open
        folded = open_alert is not None and cooldown_ms > 0 and 0 <= t_ms - open_alert.last_t_ms <= cooldown_ms
        if folded:
            assert open_alert is not None
            open_alert.count += 1
            open_alert.last_t_ms = t_ms
            open_alert.severity = max(open_alert.severity, severity, key=SEVERITIES.index)
        else:
            chunk = view.chunk
            open_alert = state.open = OpenAlert(
                alert_id=make_alert_id(rule.id, rule.version, chunk.broadcast_id, seqs),
                seqs=seqs, evidence=text, start_ms=evidence[0].start_ms, last_t_ms=t_ms, severity=severity,
                speaker=chunk.speaker_record,
            )
        outcome = "shadow" if rule.mode == "shadow" else ("folded" if folded else "alert")
        firing = {
            "rule_id": rule.id,
            "version": rule.version,
            "sha256": cr.sha256,
            "ruleset": cr.ruleset.id,
            "ruleset_version": cr.ruleset.version,
            "title": rule.title,
            "mode": rule.mode,
            "severity": open_alert.severity,
            "base_severity": rule.severity,
            "category": rule.dsa.category,
            "outcome": outcome,
            "alert_id": open_alert.alert_id,
            "count": open_alert.count,
            "matched": matched_leaves(trace),
            "exceptions": exceptions,
            "escalations": escalations,
            "window": {"count": len(evidence), "required": rule.window.count if rule.window else 1,
                       "seconds": rule.window.seconds if rule.window else None,
                       "per_speaker": rule.window.per_speaker if rule.window else False, "seqs": seqs},
        }
        if quiet:
            return
        decision.firings.append(firing)
        if self.metrics is not None:
            self.metrics.firings.labels(rule.id, severity, rule.dsa.category, rule.mode).inc()
            if folded:
                self.metrics.folded.labels(rule.id).inc()
        if rule.mode == "enforce":
            decision.alerts.append(self._alert(cr, decision, open_alert, evidence, trace, firing, folded))

    def _alert(self, cr: CompiledRule, decision: Decision, open_alert: OpenAlert, evidence: list[Evidence],
               trace: dict[str, Any], firing: dict[str, Any], folded: bool) -> Alert:
        rule = cr.rule
        item = decision.item
        chunk = item.chunk
        now = self.clock()
        latency = (now - chunk.ts.timestamp()) * 1000.0 if chunk.ts is not None else None
        extra: dict[str, Any] = {}
        if folded:
            extra = {
                "folded": True,
                "last_seq": chunk.seq,
                "last_seqs": [e.seq for e in evidence],
                "last_evidence": EVIDENCE_SEPARATOR.join(e.text for e in evidence),
                "last_start_ms": evidence[0].start_ms,
                "last_end_ms": evidence[-1].end_ms,
                "last_speaker": chunk.speaker_record,
            }
        model = decision.model
        return Alert(
            alert_id=open_alert.alert_id,
            rule=AlertRule(id=rule.id, version=rule.version, sha256=cr.sha256, title=rule.title,
                           severity=open_alert.severity, mode=rule.mode, ruleset=cr.ruleset.id,
                           ruleset_version=cr.ruleset.version),
            dsa=AlertDSA(articles=list(rule.dsa.articles), category=rule.dsa.category,
                         specification=list(rule.dsa.specification), decision_ground=rule.dsa.decision_ground,
                         tos_clause=rule.tos_clause),
            broadcast_id=chunk.broadcast_id,
            title=chunk.title,
            seqs=open_alert.seqs,
            start_ms=open_alert.start_ms,
            end_ms=evidence[-1].end_ms,
            speaker=open_alert.speaker,
            evidence=open_alert.evidence,
            scores={k: round(v, 6) for k, v in item.scores.items()},
            thresholds=label_thresholds(trace),
            explanation=firing["matched"] + [{"exceptions_checked": firing["exceptions"]},
                                             {"escalations": firing["escalations"]}],
            model=AlertModel(name=model.name, sha256=model.sha256) if model else None,
            detected_at=utc_iso(now),
            latency_ms=round(latency, 3) if latency is not None else None,
            read_latency_ms=round(max(0.0, now - item.received_at) * 1000.0, 3) if item.received_at else None,
            audience=chunk.audience.model_dump(exclude_none=True) if chunk.audience else None,
            language=item.language or chunk.language,
            territories=chunk.territories,
            actions=rule.actions.model_dump(mode="json", exclude_none=True),
            count=open_alert.count,
            cooldown_s=rule.cooldown or None,
            source=[e.source for e in evidence],
            **extra,
            **self._factcheck(firing["matched"]),
        )

    def _factcheck(self, leaves: list[dict[str, Any]]) -> dict[str, Any]:
        """`factcheck` for an alert whose matched conditions include a known narrative (the best-scoring one)."""
        found = [fc for leaf in leaves if "narrative" in leaf and (fc := factcheck_of(leaf))]
        if not found:
            return {}
        best = max(found, key=lambda fc: fc["score"])
        stamp = self.narratives.sets[best["set"]].stamp
        return {"factcheck": {**best, "set_version": stamp["version"], "set_sha256": stamp["sha256"]}}

    def explain(self, item: WorkItem) -> list[dict[str, Any]]:
        """The full evaluation trace of every rule for one chunk, without touching window state."""
        view = ChunkView(item.chunk, item.scores, item.context, self._narrative_matches([item])[0], item.language)
        out = []
        for cr in self.rules:
            trace = cr.when.trace(view)
            out.append({
                "rule_id": cr.rule.id,
                "version": cr.rule.version,
                "ruleset": cr.ruleset.id,
                "mode": cr.rule.mode,
                "when": trace,
                "unless": [{"reason": reason, **node.trace(view)} for reason, node in cr.unless],
                "escalate": [{"reason": reason, "levels": levels, **node.trace(view)} for reason, levels, node in cr.escalate],
                "window": cr.rule.window.model_dump() if cr.rule.window else None,
            })
        return out
