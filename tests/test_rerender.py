from django.core.management import call_command

from runbooks.models import Revision


def test_rerender_markdown_refreshes_stored_html_and_keeps_the_text(alice, make_runbook, capsys):
    document = make_runbook(alice, body="## Step\n\n<script>x</script>ok")
    Revision.objects.filter(document=document).update(html="<p>stale</p>", toc=[])
    call_command("rerender_markdown")
    revision = Revision.objects.get(document=document)
    assert '<h2 id="step">' in revision.html and "<script" not in revision.html
    assert revision.toc == [{"level": 2, "id": "step", "name": "Step"}]
    assert revision.body == "## Step\n\n<script>x</script>ok"
    assert "Rendered 1 revisions; 1 changed." in capsys.readouterr().out
    call_command("rerender_markdown")
    assert "0 changed" in capsys.readouterr().out
