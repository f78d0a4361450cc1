"""Rendering is bounded (issue 10): a text that would take too long is refused, not served.

Real rendering in the real renderer process. A text slow by construction (tests/slow_markdown.py,
run in that same process) tests the refusal; real pathological texts test the bound, whatever
Python-Markdown's release makes of them. Nothing is timed: speed is measured in bench/.
"""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import ValidationError

from runbooks import markdown
from runbooks.markdown import TooComplex, render
from tests import slow_markdown

RUNBOOK = (
    "## Restart the agent\n\n"
    "| host | state |\n|:--|--:|\n| a | up |\n\n"
    "```bash\nsystemctl restart nova-compute\n```\n\n"
    "> Check the [logs](https://docs.example/logs) first.\n"
)
# What the renderer gave for RUNBOOK before it moved into a process of its own.
RUNBOOK_HTML = (
    '<h2 id="restart-the-agent">Restart the agent<a class="headerlink" href="#restart-the-agent"'
    ' title="Link to this section">#</a></h2>\n'
    "<table>\n<thead>\n<tr>\n"
    '<th align="left">host</th>\n<th align="right">state</th>\n'
    "</tr>\n</thead>\n<tbody>\n<tr>\n"
    '<td align="left">a</td>\n<td align="right">up</td>\n'
    "</tr>\n</tbody>\n</table>\n"
    '<pre><code class="language-bash">systemctl restart nova-compute\n</code></pre>\n'
    "<blockquote>\n"
    '<p>Check the <a href="https://docs.example/logs" rel="nofollow noopener">logs</a> first.</p>\n'
    "</blockquote>"
)

# Texts that took Python-Markdown seconds to minutes in one release or another (issue 10). How
# long each takes depends on the release ("[" * 10_000 went from minutes to 0.05 s in 3.11), so
# they check the bound, not the library: each is either rendered, sanitised, or refused within
# the time-out, and a refused one never leaves its renderer running.
PATHOLOGICAL = {
    "open brackets": "[" * 10_000,
    "details tags": "<details>" * 20_000,
    "unfinished links": "[a](" * 60_000,
    "headings": "# h\n" * 20_000,
    "deeply quoted lines": (">" * 10_000 + " x\n") * 24,
    "4,000-column table": (
        "|" + "h|" * 4000 + "\n|" + "-|" * 4000 + "\n" + ("|" + "c|" * 4000 + "\n") * 30
    ),
    "quotes 5,000 deep": ">" * 5000 + " deep",
    "quotes one level deeper each line": "".join(">" * i + " x\n" for i in range(1, 700)),
    "2,000-column table": "|" + "h|" * 2000 + "\n|" + "-|" * 2000 + "\n|" + "c|" * 2000 + "\n",
    "a list 500 deep": "".join("  " * depth + "- x\n" for depth in range(500)),
}


def test_an_ordinary_runbook_renders_as_it_always_did():
    rendered = render(RUNBOOK)
    assert rendered.html == RUNBOOK_HTML
    assert rendered.toc == [{"level": 2, "id": "restart-the-agent", "name": "Restart the agent"}]


def test_a_text_too_slow_to_render_is_refused(stalling_markdown):
    with pytest.raises(TooComplex) as refused:
        render(stalling_markdown)
    assert refused.value.code == "too_complex"


def test_the_refusal_is_a_validation_error_that_says_what_to_do(stalling_markdown):
    with pytest.raises(ValidationError) as refused:
        render(stalling_markdown)
    assert isinstance(refused.value, TooComplex)
    assert refused.value.messages == [
        "The text is too complex to render (it would take more than 2 seconds); "
        "simplify it, e.g. split very long tables or deeply nested quotes."
    ]


def test_a_text_nested_deeper_than_python_can_follow_is_refused(monkeypatch):
    # Python-Markdown recurses once per level; hitting the limit was a 500 before.
    monkeypatch.setattr(markdown, "RENDER_FUNCTION", slow_markdown.FUNCTION)
    with pytest.raises(TooComplex):
        render(f"- x\n{slow_markdown.RECURSE}\n")
    assert render(RUNBOOK).html == RUNBOOK_HTML  # the renderer answers the next text


def test_after_a_refusal_the_renderer_is_replaced_and_renders_as_before(
    settings, stalling_markdown
):
    settings.OPENOPS_MARKDOWN_TIMEOUT = 1
    assert render(RUNBOOK).html == RUNBOOK_HTML
    first = markdown._renderer.process
    with pytest.raises(TooComplex, match=r"more than 1 second\)"):
        render(stalling_markdown)
    assert first.poll() is not None  # killed and reaped, not left running
    assert render(RUNBOOK).html == RUNBOOK_HTML
    assert markdown._renderer.process.pid != first.pid


def test_the_renderer_the_tests_swap_in_renders_as_the_product_does(stalling_markdown):
    assert render(RUNBOOK).html == RUNBOOK_HTML
    assert markdown._renderer.function == slow_markdown.FUNCTION


@pytest.mark.parametrize("body", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_a_pathological_text_is_rendered_sanitised_or_refused_within_the_bound(body, settings):
    settings.OPENOPS_MARKDOWN_TIMEOUT = 1
    render("warm")
    renderer = markdown._renderer.process
    try:
        html = render(body + "\n\n<script>alert(1)</script>\n").html
    except TooComplex:
        assert renderer.poll() is not None  # the renderer held past the bound was killed
        return
    assert "<script" not in html
    assert markdown._renderer.process is renderer


def test_a_renderer_that_died_is_restarted():
    render("warm")
    markdown._renderer.process.kill()
    markdown._renderer.process.wait()
    assert render(RUNBOOK).html == RUNBOOK_HTML


def test_threads_rendering_at_once_each_get_their_own_text():
    texts = [f"## Step {n}\n\n" + f"run `step-{n}`\n\n" * 50 for n in range(16)]
    expected = [render(text) for text in texts]
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(render, texts)) == expected
