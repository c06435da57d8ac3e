"""The default label set and its definitions (DESIGN.md); `models/labels.yaml` carries the same text."""

from __future__ import annotations

DEFAULT_LABELS: tuple[str, ...] = ("claim", "election", "health", "threat", "hate")
# Stance scores: the multi-task classifier's five shares, or a per-label head for one of them
# (`heads/stance_assert.json`: the speaker asserts, vs quotes, reports, denies or condemns). A classifier
# without them scores none, and a label leaf on a missing score is false.
STANCE_LABELS: tuple[str, ...] = ("stance_assert", "stance_quote", "stance_report", "stance_deny", "stance_condemn")

DEFINITIONS: dict[str, str] = {
    "claim": "A check-worthy factual claim: a statement of fact whose truth matters to the public and can be verified.",
    "election": (
        "False or misleading claims about voting, counting, results or candidates' eligibility; "
        "calls to delegitimise an election."
    ),
    "health": "Health misinformation: false or misleading claims about diseases, treatments, vaccines or public-health measures.",
    "threat": "Threats or incitement to violence against a person or group.",
    "hate": "Hate speech against protected groups (attacks on people for race, ethnicity, religion, sex, sexual orientation, disability...); offensive language alone is not hate.",
    "stance_assert": (
        "Stance: the speaker asserts what the chunk says (1), rather than quoting, reporting, denying, debunking, "
        "condemning or mocking it (0). A guard for rules, not a harm label (models/README.md)."
    ),
}
