import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError

from runbooks.coverage import annotate, report, rulefiles
from runbooks.management.base import AuditedCommand
from runbooks.models import Provider

MARKS = {report.OPENOPS: "openops", report.OTHER: "other", report.NONE: "—"}


class Command(AuditedCommand):
    help = (
        "Which alerts of Prometheus rule files (files or folders; plain rule files and "
        "PrometheusRule objects) would open a runbook, as /r/ resolves them; exit 1 below "
        "--fail-under. Nothing is stored."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--provider", help="resolve as this provider's alerts")
        parser.add_argument("--format", choices=["text", "json"], default="text")
        parser.add_argument("--fail-under", type=float, metavar="PCT", help="exit 1 below this")
        parser.add_argument(
            "--annotate",
            metavar="OUT",
            help="write the rule files to OUT with runbook_url set where it is missing",
        )
        parser.add_argument(
            "--base-url",
            default=settings.BASE_URL,
            help="the site's address, for the links (default OPENOPS_BASE_URL)",
        )

    def handle(self, paths, provider, format, fail_under, annotate, base_url, **options):
        scope = None
        if provider:
            scope = Provider.objects.filter(slug__iexact=provider).first()
            if scope is None:
                raise CommandError(f"There is no provider {provider!r}.")
        base_url = (base_url or "").rstrip("/")
        if annotate and not base_url:
            raise CommandError(
                "--annotate writes absolute links: set OPENOPS_BASE_URL or --base-url."
            )
        try:
            files, roots = self._read(paths)
        except rulefiles.RuleError as exc:
            raise CommandError(str(exc)) from None
        coverage = report.check(files, scope, base_url)
        if format == "json":
            self.stdout.write(json.dumps(coverage.as_json(), indent=2, ensure_ascii=False))
        else:
            self._text(coverage)
        if annotate:
            self._annotate(Path(annotate), files, roots, coverage)
        if fail_under is not None and coverage.percent < fail_under:
            raise CommandError(
                f"Runbook coverage {coverage.percent} % is below {fail_under:g} %.", returncode=1
            )

    def _read(self, paths):
        budget, files, roots = rulefiles.Budget(), [], {}
        for each in rulefiles.files_in(paths):
            try:
                text = each.path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise rulefiles.RuleError(f"{each.name}: cannot be read ({exc}).") from None
            found = rulefiles.read(each.name, text, budget, folder=each.folder, strict=each.given)
            if found.holds_rules:  # a folder's other YAML files (a Deployment) are passed over
                files.append(found)
                roots[each.name] = each.relative
        if not files:
            raise rulefiles.RuleError(f"No rule files in {', '.join(paths)}.")
        return files, roots

    def _text(self, coverage: report.Coverage) -> None:
        write = self.stdout.write
        by_file = {total["file"]: total for total in coverage.per_file()}
        current = None
        for alert in coverage.alerts:
            if alert.rule.file != current:
                current = alert.rule.file
                total = by_file[current]
                write(f"\n{current}  ({total['covered']}/{total['total']} with a runbook)")
            runbook = alert.runbook.slug if alert.runbook else "NO RUNBOOK"
            stale = "  review overdue" if alert.runbook and alert.runbook.stale else ""
            url = MARKS[alert.runbook_url]
            write(f"  {alert.rule.alert:<40} {runbook:<40} runbook_url: {url}{stale}")
        scope = coverage.provider.slug if coverage.provider else "community routes only"
        write(
            f"\n{coverage.covered} of {coverage.total} alerts open a runbook "
            f"({coverage.percent} %), for {scope}."
        )

    def _annotate(self, out: Path, files, roots, coverage) -> None:
        for found in files:
            target = out / roots[found.name]
            target.parent.mkdir(parents=True, exist_ok=True)
            annotated = annotate.annotate(found.text, coverage.of_file(found.name))
            target.write_text(annotated.text, encoding="utf-8")
            for alert in annotated.skipped:
                self.stderr.write(f"{found.name}: {alert} left as it was (a YAML alias)")
        self.stderr.write(f"annotated rule files written to {out}")
