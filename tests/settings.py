"""The suite's settings: the product's own, read as on a developer's machine.

DEBUG defaults to false (a forgotten variable must not serve debug pages); the suite runs with
DEBUG=true unless the environment says otherwise, so it needs no secret key, no TLS and no
collected static files. Tests of the production settings start `manage.py` with their own
environment (tests/test_settings.py, tests/test_deploy.py, tests/test_gunicorn.py).
"""

import os

os.environ.setdefault("DEBUG", "true")

from openops.settings import *  # noqa: E402, F403
