"""The links of `runbooks.links` in templates, so a page prints the same link as a mail or the
API: `{% alert_url route.alertname provider=route.provider.slug %}`."""

from django import template

from runbooks import links

register = template.Library()


@register.simple_tag
def alert_url(name, component=None, provider=None):
    return links.alert_url(name, component or None, provider or None)


@register.simple_tag(takes_context=True)
def runbook_url_template(context, provider=None):
    return links.runbook_url_template(provider or None, context.get("request"))
