"""Markdown rendering and sanitising (DESIGN §6): real Python-Markdown, real bleach."""

import pytest
from django.core.exceptions import ValidationError

from runbooks.markdown import render


@pytest.mark.parametrize(
    "source,forbidden",
    [
        ("<script>alert(1)</script>", "<script"),
        ('<img src="x" onerror="alert(1)">', "onerror"),
        ('<p onclick="steal()">hi</p>', "onclick"),
        ("[click](javascript:alert(1))", "javascript:"),
        ("[click](JaVaScRiPt:alert(1))", 'alert(1)"'),
        ("[click](&#106;avascript:alert(1))", "avascript:alert"),
        ('<a href="jav&#x09;ascript:alert(1)">x</a>', "ascript:alert"),
        ("[click](data:text/html;base64,PHNjcmlwdD4=)", "data:"),
        ('<img src="data:image/png;base64,AAAA">', "data:"),
        ('<iframe src="https://evil.example"></iframe>', "<iframe"),
        ('<form action="/x"><input name="a"></form>', "<form"),
        ('<p style="position:fixed">x</p>', "style="),
        ('<svg onload="alert(1)"></svg>', "<svg"),
        ("<object data=x></object>", "<object"),
        ('<a href="vbscript:msgbox(1)">x</a>', "vbscript"),
    ],
)
def test_dangerous_markup_is_removed(source, forbidden):
    html = render(source).html
    assert forbidden.lower() not in html.lower()


def test_the_allow_list_keeps_what_runbooks_need():
    html = render(
        "## Check\n\n"
        "| host | state |\n|:--|--:|\n| a | up |\n\n"
        "```bash\nceph osd tree\n```\n\n"
        "> note\n\n"
        "<details><summary>More</summary>\n\nhidden\n\n</details>\n\n"
        "[docs](https://docs.ceph.com) [mail](mailto:ops@example.org) [rel](/runbooks/x/) "
        "![graph](https://grafana.example/a.png) <mark>hot</mark>\n"
    ).html
    for kept in (
        '<h2 id="check">',
        '<th align="left">',
        '<code class="language-bash">ceph osd tree',
        "<blockquote>",
        "<details><summary>More</summary>",
        'href="https://docs.ceph.com"',
        'href="mailto:ops@example.org"',
        'href="/runbooks/x/"',
        'src="https://grafana.example/a.png"',
        "<mark>hot</mark>",
    ):
        assert kept in html


def test_links_get_nofollow_and_bare_urls_become_links():
    html = render("see https://docs.openstack.org/nova/ now").html
    assert '<a href="https://docs.openstack.org/nova/" rel="nofollow noopener">' in html


def test_code_blocks_are_escaped_not_linkified():
    html = render("```\n<b>$NAMESPACE</b> https://x.example\n```").html
    assert "&lt;b&gt;$NAMESPACE&lt;/b&gt;" in html
    assert "<a " not in html


def test_the_table_of_contents_is_plain_text():
    toc = render("## Restart <em>now</em> & check\n\n### Step 1\n").toc
    assert toc == [
        {"level": 2, "id": "restart-now-check", "name": "Restart now & check"},
        {"level": 3, "id": "step-1", "name": "Step 1"},
    ]


def test_an_oversized_text_is_refused_with_a_clear_message():
    with pytest.raises(ValidationError, match="limit is 256 KB"):
        render("x" * (256 * 1024 + 1))


def test_windows_line_endings_become_lf():
    assert "\r" not in render("a\r\nb\r\n").html
