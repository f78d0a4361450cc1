"""gunicorn settings, read from the working directory by default (Dockerfile, compose).

Request lines up to gunicorn's maximum reach the app, which answers an over-long URL itself
(414, JSON under /api/) instead of gunicorn's HTML page. Markdown rendering is bounded to about
two seconds, so no request should come near the worker timeout.
"""

limit_request_line = 8190
timeout = 30
