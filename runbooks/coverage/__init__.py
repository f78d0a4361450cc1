"""Runbook coverage of Prometheus alert rules (issue 22): which alerts of a rule file would open
a runbook, and the rule files with their `runbook_url` annotations written.

- `rulefiles`: reading rule files (Prometheus and `PrometheusRule` shapes), safely and bounded;
- `report`: each alert resolved as `/r/` would resolve it, with totals;
- `annotate`: the same files with `runbook_url` added, everything else kept.
"""
