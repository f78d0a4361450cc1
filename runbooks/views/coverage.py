"""/coverage/: which alerts of some rule files would open a runbook, for a signed-in member;
the rule files back with `runbook_url` written. Nothing is stored (issue 22)."""

import io
import zipfile
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from runbooks import inputs, links
from runbooks.alerting import LABEL_NAME, Matcher
from runbooks.coverage import annotate, report, rulefiles
from runbooks.forms import CoverageForm
from runbooks.views.links import write_url


@never_cache
@login_required
def coverage(request):
    form = CoverageForm(request.POST or None, request.FILES or None, user=request.user)
    context = {"form": form}
    if request.method == "POST" and form.is_valid():
        base_url = links.base_url(request)
        try:
            files = read_all(form.sources())
        except (ValidationError, rulefiles.RuleError) as exc:
            form.add_error(None, exc.message if isinstance(exc, ValidationError) else str(exc))
        else:
            checked = report.check(files, form.cleaned_data["provider"], base_url)
            if "annotate" in request.POST:
                return _annotated(files, checked)
            context.update(checked=checked, files=files, rows=_rows(checked))
    status = 400 if form.errors else 200
    return render(request, "coverage/coverage.html", context, status=status)


def read_all(sources: list[tuple[str, str]]) -> list[rulefiles.RuleFile]:
    budget = rulefiles.Budget()
    names = set()
    files = []
    for name, text in sources:
        name = inputs.clean_text(name)[:200] or "rules.yaml"
        while name in names:  # two uploads of the same name stay apart
            name = f"({len(names)}) {name}"
        names.add(name)
        files.append(rulefiles.read(name, inputs.clean_text(text), budget))
    return files


def _rows(checked: report.Coverage) -> list[dict]:
    return [
        {
            "alert": alert,
            "write": None if alert.runbook else _write_link(alert),
        }
        for alert in checked.uncovered_first()
    ]


def _write_link(alert: report.Covered) -> str:
    """ "Write this runbook": name, component, and the rule's labels as the route's matchers."""
    labels = sorted((k, v) for k, v in alert.rule.labels.items() if LABEL_NAME.match(k))
    matchers = ", ".join(str(Matcher(name, "=", value)) for name, value in labels)
    url = write_url(alert.rule.alert, alert.component or None)
    return url + (f"&{urlencode({'matchers': matchers})}" if matchers else "")


def _annotated(files, checked: report.Coverage) -> HttpResponse:
    """One file as YAML, several as a zip, each with `runbook_url` where it was missing."""
    written = [
        (_file_name(f.name), annotate.annotate(f.text, checked.of_file(f.name)).text) for f in files
    ]
    if len(written) == 1:
        filename, text = written[0]
        response = HttpResponse(text, content_type="application/yaml; charset=utf-8")
    else:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in written:
                archive.writestr(name, text)
        response = HttpResponse(buffer.getvalue(), content_type="application/zip")
        filename = "rules-annotated.zip"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _file_name(name: str) -> str:
    """A safe file name for a rule file's annotated copy."""
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in name.rsplit("/", 1)[-1])
    return safe if safe.endswith((".yaml", ".yml")) else f"{safe or 'rules'}.yaml"
