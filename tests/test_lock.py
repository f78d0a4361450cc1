"""The suite runs on what the lock holds (issue 28): a fresh machine installs the same versions.

`make install` installs requirements/dev.txt with its hashes; this fails loudly when the
environment running the tests has drifted from it (a hand-installed upgrade, a stale venv).
`make test-latest` sets OPENOPS_UNLOCKED on purpose and is the one run where they may differ.
"""

import os
import re
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;\\]+)\s*(?:;(?P<marker>[^\\]+))?"
)

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("OPENOPS_UNLOCKED")), reason="make test-latest runs unlocked on purpose"
)


def pins(lock: Path) -> dict[str, str]:
    """name → version for every line of a compiled lock that applies to this interpreter."""
    found = {}
    for line in lock.read_text().splitlines():
        match = PIN.match(line)
        if match and (not match["marker"] or Marker(match["marker"].strip()).evaluate()):
            found[canonicalize_name(match["name"])] = match["version"]
    return found


def installed(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def test_every_locked_package_is_installed_at_its_locked_version():
    locked = pins(ROOT / "requirements" / "dev.txt")
    assert len(locked) > 50  # the lock was read, not an empty or reformatted file
    drift = {
        name: (pinned, installed(name))
        for name, pinned in locked.items()
        if installed(name) != pinned
    }
    assert drift == {}, f"installed versions differ from the lock (run `make install`): {drift}"


def test_the_tools_lock_pins_the_app_lock_to_the_same_versions():
    app = pins(ROOT / "requirements" / "main.txt")
    dev = pins(ROOT / "requirements" / "dev.txt")
    assert app.items() <= dev.items()


def test_every_dependency_of_pyproject_is_locked():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    locked = pins(ROOT / "requirements" / "dev.txt")
    for spec in map(Requirement, declared):
        name = canonicalize_name(spec.name)
        assert name in locked, f"{name} is in pyproject.toml but not in the lock (make lock)"
        assert locked[name] in spec.specifier, f"{name}=={locked[name]} is outside {spec}"
