"""A renderer that is slow on purpose, for the render bound's tests (issue 28).

It runs inside the real renderer process, in place of `runbooks.markdown:render_here`, and
renders every text as the product does, except a text that contains STALL: that one it never
finishes, whatever Markdown's release. So the refusal, the field error, "nothing saved" and the
replaced renderer are tested by a text that is slow by construction, not by one that happens to
be slow in today's library. A text that contains RECURSE fails as a too-deeply nested one does.
"""

import time

from runbooks.markdown import render_here

STALL = "<!-- stall the renderer -->"
RECURSE = "<!-- recurse past the limit -->"
FUNCTION = "tests.slow_markdown:render"


def render(text: str) -> dict:
    if STALL in text:
        time.sleep(3600)  # the parent's time-out kills this process long before
    if RECURSE in text:
        raise RecursionError("nested deeper than Python can follow")
    return render_here(text)
