"""Rendering is bounded (issue 10): a text that would take too long is refused, not served.

Real rendering in the real renderer process, nothing mocked. Nothing here is timed either:
speed is measured in bench/, these tests only say which texts are refused.
"""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import ValidationError

from runbooks import markdown
from runbooks.markdown import TooComplex, render

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

# Each takes Python-Markdown many times the two-second limit (seconds to minutes), and each
# is under the 256 KB size limit.
TOO_SLOW = {
    "open brackets": "[" * 10_000,
    "details tags": "<details>" * 20_000,
    "unfinished links": "[a](" * 60_000,
    "headings": "# h\n" * 20_000,
    "deeply quoted lines": (">" * 10_000 + " x\n") * 24,
    "4,000-column table": (
        "|" + "h|" * 4000 + "\n|" + "-|" * 4000 + "\n" + ("|" + "c|" * 4000 + "\n") * 30
    ),
}

# Heavy, but near the limit or under it depending on the machine: either answer is fine, as
# long as it is an answer and the HTML is sanitised.
HEAVY = {
    "quotes 5,000 deep": ">" * 5000 + " deep",
    "quotes one level deeper each line": "".join(">" * i + " x\n" for i in range(1, 700)),
    "2,000-column table": "|" + "h|" * 2000 + "\n|" + "-|" * 2000 + "\n|" + "c|" * 2000 + "\n",
}


def test_an_ordinary_runbook_renders_as_it_always_did():
    rendered = render(RUNBOOK)
    assert rendered.html == RUNBOOK_HTML
    assert rendered.toc == [{"level": 2, "id": "restart-the-agent", "name": "Restart the agent"}]


@pytest.mark.parametrize("body", TOO_SLOW.values(), ids=TOO_SLOW.keys())
def test_a_text_too_slow_to_render_is_refused(body):
    with pytest.raises(TooComplex) as refused:
        render(body)
    assert refused.value.code == "too_complex"


def test_the_refusal_is_a_validation_error_that_says_what_to_do():
    with pytest.raises(ValidationError) as refused:
        render("[" * 10_000)
    assert isinstance(refused.value, TooComplex)
    assert refused.value.messages == [
        "The text is too complex to render (it would take more than 2 seconds); "
        "simplify it, e.g. split very long tables or deeply nested quotes."
    ]


@pytest.mark.parametrize("body", HEAVY.values(), ids=HEAVY.keys())
def test_a_heavy_text_is_rendered_sanitised_or_refused(body):
    try:
        html = render(body + "\n\n<script>alert(1)</script>\n").html
    except TooComplex:
        return
    assert "<script" not in html


def test_a_list_nested_deeper_than_python_can_follow_is_refused():
    # Python-Markdown recurses once per level and hits the recursion limit (a 500 before).
    with pytest.raises(TooComplex):
        render("".join("  " * depth + "- x\n" for depth in range(500)))


def test_after_a_refusal_the_renderer_is_replaced_and_renders_as_before(settings):
    settings.OPENOPS_MARKDOWN_TIMEOUT = 0.2
    assert render(RUNBOOK).html == RUNBOOK_HTML
    first = markdown._renderer.process
    with pytest.raises(TooComplex, match=r"more than 0\.2 seconds"):
        render("[" * 10_000)
    assert first.poll() is not None  # killed and reaped, not left running
    assert render(RUNBOOK).html == RUNBOOK_HTML
    assert markdown._renderer.process.pid != first.pid


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
