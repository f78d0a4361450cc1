"""Runbooks in and out of a Git checkout (DESIGN §8: `import_runbooks`, `export_runbooks`).

The layout is the one of prometheus-operator/runbooks: `<component>/<AlertName>.md`, each file
an optional YAML front matter block and a Markdown body. This module knows the layout (which
files are runbooks, how a file splits, which title it has, where a runbook is written back) and
touches no database; the commands call `runbooks.services` for every write.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml
from django.core.exceptions import ValidationError
from django.utils.text import slugify

from runbooks import placeholders, yamltext
from runbooks.markdown import normalise

# A repository root is accepted too: its runbooks live here (Hugo's content folder).
REPOSITORY_FOLDER = PurePosixPath("content", "runbooks")
# Files that describe the repository rather than an alert (compared case-insensitively).
NOT_RUNBOOKS = frozenset({"readme", "owners"})
MAX_TITLE = 200

# `---` on the first line, YAML, `---` on a line of its own. Matched on LF-normalised text.
_FRONT_MATTER = re.compile(r"\A---\n(?P<yaml>.*?\n)?---[ \t]*(?:\n|\Z)", re.DOTALL)
_H1 = re.compile(r"^ {0,3}#[ \t]+(?P<title>.+?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")


@dataclass(frozen=True)
class RunbookFile:
    """One runbook file found by `scan`; `relative` is its path below the runbooks folder."""

    path: Path
    relative: PurePosixPath
    component: str

    @property
    def alertname(self) -> str:
        return self.relative.stem


@dataclass(frozen=True)
class Skipped:
    """A file or folder that is not a runbook, and why."""

    relative: PurePosixPath
    reason: str


@dataclass
class Scan:
    runbooks: list[RunbookFile] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


@dataclass(frozen=True)
class ParsedRunbook:
    """A runbook file split into what is stored: front matter verbatim, body verbatim."""

    front_matter: str
    body: str
    title: str | None


# --- Reading a folder -------------------------------------------------------------------------


def runbooks_folder(path: Path) -> Path:
    """The folder holding the component folders: PATH, or PATH/content/runbooks in a repo."""
    nested = path.joinpath(*REPOSITORY_FOLDER.parts)
    return nested if nested.is_dir() else path


def scan(root: Path) -> Scan:
    """Runbook files of `root` in sorted path order, and what was skipped.

    Only `root/*.md` and `root/<component>/*.md` are runbooks; deeper folders hold support
    material (helpers, images, diagrams). Hidden entries (`.git`, `.github`) are not content and
    are passed over silently.
    """
    found = Scan()
    for entry in _visible_entries(root):
        if entry.is_dir():
            _scan_component(root, entry, found)
        else:
            _consider(root, entry, "", found)
    found.runbooks.sort(key=lambda item: item.relative)
    found.skipped.sort(key=lambda item: item.relative)
    return found


def _visible_entries(folder: Path) -> list[Path]:
    return sorted(entry for entry in folder.iterdir() if not entry.name.startswith("."))


def _scan_component(root: Path, folder: Path, found: Scan) -> None:
    if folder.name.startswith("_"):
        found.skipped.append(Skipped(_relative(root, folder), "folder starts with _"))
        return
    for entry in _visible_entries(folder):
        if entry.is_dir():
            found.skipped.append(Skipped(_relative(root, entry), "support folder"))
        else:
            _consider(root, entry, folder.name, found)


def _consider(root: Path, path: Path, component: str, found: Scan) -> None:
    reason = skip_reason(path.name) or (None if path.is_file() else "not a regular file")
    if reason:
        found.skipped.append(Skipped(_relative(root, path), reason))
    else:
        found.runbooks.append(RunbookFile(path, _relative(root, path), component))


def _relative(root: Path, path: Path) -> PurePosixPath:
    return PurePosixPath(path.relative_to(root).as_posix())


def skip_reason(name: str) -> str | None:
    """Why a file called `name` is not a runbook, or None when it is one."""
    pure = PurePosixPath(name)
    if name.startswith("_"):
        return "starts with _"
    if pure.suffix != ".md":
        return "not a .md file"
    if pure.stem.casefold() in NOT_RUNBOOKS:
        return "README/OWNERS"
    return None


# --- Reading a file ---------------------------------------------------------------------------


def read_runbook(path: Path) -> ParsedRunbook:
    """Read a runbook file: UTF-8 (a byte-order mark is dropped), line endings made LF."""
    return parse_runbook(normalise(path.read_bytes().decode("utf-8-sig")))


def parse_runbook(text: str) -> ParsedRunbook:
    """Split LF text into front matter and body, and find its title (None when it has none)."""
    front_matter, body = split_front_matter(text)
    return ParsedRunbook(front_matter, body, choose_title(front_matter, body))


def split_front_matter(text: str) -> tuple[str, str]:
    """(front matter with its `---` lines, the rest); ("", text) when there is none.

    Both parts are kept verbatim so that front matter + body gives back the file exactly.
    """
    match = _FRONT_MATTER.match(text)
    if not match:
        return "", text
    return text[: match.end()], text[match.end() :]


def front_matter_data(front_matter: str) -> dict:
    """The keys of a front matter block; empty when it has none or the YAML is broken."""
    match = _FRONT_MATTER.match(front_matter)
    if not match or not match["yaml"]:
        return {}
    try:
        data = yamltext.load(match["yaml"])
    except (yaml.YAMLError, RecursionError):
        # Broken YAML is still stored verbatim; the title then comes from the body.
        return {}
    return data if isinstance(data, dict) else {}


def front_matter_title(front_matter: str) -> str | None:
    """The `title` of a front matter block; None when it has none or the YAML is broken."""
    title = front_matter_data(front_matter).get("title")
    return None if title is None else str(title)


def front_matter_placeholders(front_matter: str) -> dict[str, str]:
    """The front matter's `placeholder_labels` (which alert label fills which placeholder),
    checked: ValidationError when it is there and wrong, empty when it is not there."""
    return placeholders.checked_mapping(front_matter_data(front_matter).get(placeholders.FIELD))


def first_h1(body: str) -> str | None:
    """The text of the first `# Heading`, ignoring `#` comments inside fenced code blocks."""
    fence = None
    for line in body.split("\n"):
        marker = _FENCE.match(line)
        if marker and fence in (None, marker[1]):
            fence = None if fence else marker[1]
        elif fence is None and (heading := _H1.match(line)):
            return heading["title"]
    return None


def choose_title(front_matter: str, body: str) -> str | None:
    """Front-matter `title`, else the first H1; None when neither gives one (DESIGN §8)."""
    for candidate in (front_matter_title(front_matter), first_h1(body)):
        title = " ".join((candidate or "").split())[:MAX_TITLE]
        if title:
            return title
    return None


def import_slug(alertname: str, component: str = "", provider_slug: str = "") -> str:
    """`[<provider>-][<component>-]<alertname>`, lower-cased and made a valid slug."""
    return slugify("-".join(part for part in (provider_slug, component, alertname) if part))


# --- Writing a folder -------------------------------------------------------------------------


def export_path(component: str, name: str, slug: str) -> PurePosixPath:
    """Where a runbook is written: `<component>/<name>.md`, or `<name>.md` with no component.

    `name` is the imported file's stem; runbooks made in the pages have none and use their slug.
    A component typed in the pages can hold anything, so one that is not a plain folder name
    (`..`, `a/b`) is slugified rather than allowed to write outside the export folder.
    """
    stem = name if _plain_segment(name) else slug
    folder = component if _plain_segment(component) else slugify(component)
    return PurePosixPath(folder, f"{stem}.md") if folder else PurePosixPath(f"{stem}.md")


def _plain_segment(name: str) -> bool:
    return bool(name) and name[0] not in "._" and not any(c in name for c in "/\\\0")


def plan_export(runbooks: Iterable) -> list[tuple[object, PurePosixPath | None]]:
    """Each runbook with its path, or None when an earlier runbook already took that path.

    Imported runbooks should come first, so that their files keep their names.
    """
    taken: set[PurePosixPath] = set()
    plan = []
    for runbook in runbooks:
        path = export_path(runbook.component, runbook.source_name, runbook.slug)
        if path in taken:
            path = export_path(runbook.component, "", runbook.slug)
        plan.append((runbook, None if path in taken else path))
        taken.add(path)
    return plan


def file_text(front_matter: str, body: str, placeholder_labels: dict | None = None) -> str:
    """The file of a runbook: its stored front matter, then its current body. The front matter
    is written verbatim unless the runbook's placeholder mapping changed since it was read."""
    return with_placeholder_labels(front_matter, placeholder_labels or {}) + body


def with_placeholder_labels(front_matter: str, mapping: dict[str, str]) -> str:
    """`front_matter` whose `placeholder_labels` say `mapping`: itself when they already do,
    else with that key's block replaced (other keys, comments and order kept)."""
    try:
        if front_matter_placeholders(front_matter) == mapping:
            return front_matter
    except ValidationError:
        pass  # a wrong mapping in the file is replaced by the runbook's
    block = yaml.safe_dump({placeholders.FIELD: mapping}, sort_keys=True) if mapping else ""
    match = _FRONT_MATTER.match(front_matter)
    if not match:
        return f"---\n{block}---\n" if block else front_matter
    old = match["yaml"] or ""
    closing = front_matter[len("---\n") + len(old) :]
    return "---\n" + _without_key(old, placeholders.FIELD) + block + closing


def _without_key(yaml_text: str, key: str) -> str:
    """YAML text without one top-level key and the indented lines under it."""
    kept, inside = [], False
    for line in yaml_text.splitlines(keepends=True):
        if re.match(rf"{re.escape(key)}\s*:", line):
            inside = True
        elif inside and (not line.strip() or line[0] in " \t#"):
            continue
        else:
            inside = False
        if not inside:
            kept.append(line)
    return "".join(kept)


def write_file(root: Path, relative: PurePosixPath, text: str) -> bool:
    """Write `text` as UTF-8 bytes (no newline translation); False when the file already held it."""
    path = root.joinpath(*relative.parts)
    data = text.encode("utf-8")
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True
