"""The reviewer console: a server-rendered web app where trust-and-safety staff review alerts.

Reads alerts from the decision log (tailed live) and transcript context from the monitor's per-chunk
decision JSONL; writes reviews to the decision log and the reviews topic as `cct-monitor review` does.
"""
