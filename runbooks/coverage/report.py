"""Which alerts of some rule files would open a runbook: each resolved as `/r/` resolves it
(DESIGN §4, with the rule's static labels and the alert name), for one provider or none.

A rule file's folder, or its group, may name a component (`ceph/`, group `ceph` or
`ceph-osd.rules`): the alert is then resolved as `/r/<component>/<alertname>` is, and that is
the link `--annotate` writes.
"""

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from runbooks import alerting, links, resolution
from runbooks.coverage.rulefiles import AlertRule, RuleFile
from runbooks.models import Provider, Runbook

OPENOPS, OTHER, NONE = "openops", "other", "none"
_WORD = re.compile(r"[^a-z0-9]+")


@dataclass
class Covered:
    rule: AlertRule
    component: str  # the component the link names ("" for none)
    runbook: Runbook | None
    runbook_url: str  # OPENOPS, OTHER or NONE
    link: str  # the OpenOps link for the alert (absolute when a base URL is known)

    def as_json(self) -> dict:
        return {
            "file": self.rule.file,
            "group": self.rule.group,
            "alert": self.rule.alert,
            "labels": self.rule.labels,
            "runbook": self.runbook.slug if self.runbook else None,
            "runbook_url": self.runbook_url,
            "stale": self.runbook.stale if self.runbook else None,
        }


@dataclass
class Coverage:
    alerts: list[Covered]
    files: list[RuleFile]
    provider: Provider | None

    @property
    def total(self) -> int:
        return len(self.alerts)

    @property
    def covered(self) -> int:
        return sum(1 for alert in self.alerts if alert.runbook)

    @property
    def percent(self) -> float:
        return round(100 * self.covered / self.total, 1) if self.total else 100.0

    def per_file(self) -> list[dict]:
        totals = {f.name: {"file": f.name, "total": 0, "covered": 0} for f in self.files}
        for alert in self.alerts:
            totals[alert.rule.file]["total"] += 1
            totals[alert.rule.file]["covered"] += alert.runbook is not None
        return list(totals.values())

    def as_json(self) -> dict:
        return {
            "total": self.total,
            "covered": self.covered,
            "coverage": self.percent,
            "alerts": [alert.as_json() for alert in self.alerts],
        }

    def of_file(self, name: str) -> list[Covered]:
        return [alert for alert in self.alerts if alert.rule.file == name]

    def uncovered_first(self) -> list[Covered]:
        return sorted(self.alerts, key=lambda a: a.runbook is not None)


def check(files: list[RuleFile], provider: Provider | None, base_url: str = "") -> Coverage:
    """Resolve every alert of `files` for `provider`: one query for the routes, one for the
    components."""
    rules = [rule for f in files for rule in f.alerts]
    routes = resolution.candidates_by_name((rule.alert for rule in rules), provider)
    components = _components(provider)
    found = []
    for rule in rules:
        component = component_of(rule, components)
        labels = {**rule.labels, "alertname": rule.alert}
        route = alerting.best_route(routes[rule.alert.casefold()], labels, component or None)
        found.append(
            Covered(
                rule=rule,
                component=component,
                runbook=route.runbook if route else None,
                runbook_url=classify(rule.runbook_url, base_url),
                link=link(rule.alert, component, provider, base_url),
            )
        )
    return Coverage(alerts=found, files=files, provider=provider)


def _components(provider: Provider | None) -> dict[str, str]:
    """The components of the runbooks that `provider`'s members see: case-folded → as written."""
    runbooks = Runbook.objects.visible_to_provider(provider).exclude(component="")
    names = runbooks.order_by().values_list("component", flat=True).distinct()
    return {name.casefold(): name for name in names}


def component_of(rule: AlertRule, components: dict[str, str]) -> str:
    """The component the rule's folder or group names, if any: the folder's name, the group's
    name, or the group name's first word (`ceph-osd.rules` → ceph)."""
    group = rule.group.casefold()
    for candidate in (rule.folder.casefold(), group, _WORD.split(group)[0]):
        if candidate in components:
            return components[candidate]
    return ""


def classify(url: str, base_url: str) -> str:
    """Whether a rule's `runbook_url` already opens OpenOps (`/r/…` on this site), somewhere
    else, or is missing."""
    if not url:
        return NONE
    parts = urlsplit(url)
    if parts.netloc:
        ours = urlsplit(base_url).netloc.lower() if base_url else None
        if parts.netloc.lower() != ours:
            return OTHER
    return OPENOPS if parts.path == "/r" or parts.path.startswith("/r/") else OTHER


def link(alertname: str, component: str, provider: Provider | None, base_url: str) -> str:
    """The stable link for the alert (DESIGN §4, `links.alert_url`), scoped with `?provider=`."""
    path = links.alert_url(alertname, component or None, provider.slug if provider else None)
    return f"{base_url}{path}"
