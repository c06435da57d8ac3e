"""The DSA rule engine: rule-set files (YAML) → validated models → compiled conditions → decisions and alerts.

model     the rule-set file format (pydantic; exported as rules/schema.json)
loader    safe YAML with line numbers, schema and semantic checks → `file:line: reason`
compile   condition trees → evaluators (keywords, RE2 regexes, label scores, chunk fields)
engine    per-broadcast windows, exceptions, escalation, cooldown folding → Decision/Alert
hashing   canonical sha256 of rules and rule sets
testing   runs the inline rule tests (JUnit output)
stage     the pipeline's RuleEngine built from settings
reload    hot reload between batches (mtime polling and SIGHUP)
metrics   Prometheus families of the rules stage
explain   readable evaluation traces; diff: rule changes between two versions
"""
