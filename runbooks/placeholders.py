"""Placeholders in a runbook's commands, filled from the labels of the alert that opened it.

Recognised in code (blocks and inline) only: Go templates as Prometheus rules write them
(`{{ $labels.host }}`, `{{ .Labels.host }}`), shell variables (`$HOST`, `${HOST}`) and angle
brackets (`<host>`). A placeholder takes the label of its own name (case aside), else the label
a runbook's mapping names for it (`{"OSD": "ceph_daemon"}`).

Label values come from a link anyone can write: they are filled into the stored, sanitised
HTML as escaped text only, and only when they read as one plain shell word (letters, digits,
`. : / @ + = , % -`, not starting with `-`, at most MAX_VALUE characters), so that a link
cannot put `; rm -rf /` into a command an operator copies. Others stay placeholders and are
named in the page's note, as unfilled ones are. Pure functions: no ORM, no requests.
"""

import html
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

FIELD = "placeholder_labels"  # the runbook's column, form field, API field and front matter key
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # placeholder names and Prometheus label names
MAX_NAME = 100
MAX_MAPPED = 50
MAX_VALUE = 256
MAX_NAMED = 20  # unfilled placeholders the note names; more are counted

# Matched on the escaped text of the sanitised HTML: `<x>` is `&lt;x&gt;` there.
_FORMS = re.compile(
    r"\{\{-?\s*(?:\$labels|\.Labels)\.(?P<label>[A-Za-z_][A-Za-z0-9_]*)\s*-?\}\}"
    r"|\$\{(?P<braced>[A-Z][A-Z0-9_]*)\}"
    r"|\$(?P<bare>[A-Z][A-Z0-9_]*)(?![A-Za-z0-9_])"
    r"|&lt;(?P<angle>[A-Za-z_][A-Za-z0-9_]*)&gt;"
)
# The shell's own variables: in a command they are the shell's, never a placeholder left open.
SHELL_VARIABLES = frozenset(
    {"HOME", "PATH", "PWD", "OLDPWD", "USER", "SHELL", "IFS", "RANDOM", "UID", "EUID", "PPID"}
    | {"TMPDIR", "LANG", "TERM", "EDITOR", "PAGER"}
)
_CODE = re.compile(r"(<code\b[^>]*>)(.*?)(</code>)", re.DOTALL)
_TAG = re.compile(r"(<[^>]*>)")
_SHELL_WORD = re.compile(r"[\w.:/@+=,%-]+")
# What a mapping's key may be written as: `OSD`, `$OSD`, `${OSD}`, `<osd>`.
_KEY_FORMS = re.compile(r"\$\{(.*)\}|\$(.*)|<(.*)>")


# --- The mapping a runbook keeps --------------------------------------------------------------


def checked_mapping(value) -> dict[str, str]:
    """A runbook's placeholder → label mapping from a dict (API, front matter) or
    `PLACEHOLDER: label` lines (form), checked and tidied; ValidationError naming the field."""
    pairs = _pairs(value)
    if len(pairs) > MAX_MAPPED:
        _refuse(f"At most {MAX_MAPPED} placeholders.")
    mapping: dict[str, str] = {}
    seen: set[str] = set()
    for key, label in pairs:
        name, label = _bare_name(str(key).strip()), str(label).strip()
        if not _is_name(name):
            _refuse(f"{str(key)[:40]!r} is not a placeholder name: letters, digits and _.")
        if not _is_name(label):
            _refuse(f"{label[:40]!r} (for {name}) is not a label name: letters, digits and _.")
        if name.casefold() in seen:
            _refuse(f"{name} is named twice (case does not count).")
        seen.add(name.casefold())
        mapping[name] = label
    return mapping


def mapping_lines(mapping: dict[str, str]) -> str:
    """The mapping as the form shows it: one `PLACEHOLDER: label` a line."""
    return "\n".join(f"{name}: {label}" for name, label in sorted(mapping.items()))


def _pairs(value) -> list[tuple]:
    if value is None or value == "":
        return []
    if isinstance(value, dict):
        return list(value.items())
    if not isinstance(value, str):
        _refuse('Placeholders and the labels that fill them, e.g. {"OSD": "ceph_daemon"}.')
    pairs = []
    for line in value.splitlines():
        if line.strip():
            key, sep, label = line.partition(":")
            if not sep:
                _refuse(f"Write “PLACEHOLDER: label”, not {line[:60]!r}.")
            pairs.append((key, label))
    return pairs


def _bare_name(key: str) -> str:
    match = _KEY_FORMS.fullmatch(key)
    return next((part for part in match.groups() if part is not None), key) if match else key


def _is_name(text: str) -> bool:
    return len(text) <= MAX_NAME and NAME.fullmatch(text) is not None


def _refuse(message: str):
    raise ValidationError({FIELD: message})


# --- Filling a page ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Unfilled:
    """A placeholder left as written, and the label whose value was refused, if one was."""

    text: str
    refused_label: str = ""


@dataclass
class Filled:
    html: str
    filled: int = 0
    unfilled: list[Unfilled] = field(default_factory=list)
    more: int = 0  # unfilled placeholders beyond MAX_NAMED
    _seen: set = field(default_factory=set, repr=False)

    def note(self, item: Unfilled) -> None:
        if item in self._seen:
            return
        self._seen.add(item)
        if len(self.unfilled) < MAX_NAMED:
            self.unfilled.append(item)
        else:
            self.more += 1


def fill(text_html: str, labels: dict[str, str], mapping: dict[str, str]) -> Filled:
    """`text_html` (sanitised) with the placeholders of its code filled from `labels`."""
    found = Filled(text_html)
    lookup = _Lookup(labels, mapping)

    def in_code(match: re.Match) -> str:
        parts = _TAG.split(match[2])  # text, tag, text, …: only text is filled
        parts[::2] = [_FORMS.sub(lambda m: _one(m, lookup, found), part) for part in parts[::2]]
        return match[1] + "".join(parts) + match[3]

    found.html = _CODE.sub(in_code, text_html)
    return found


def is_fillable(value: str) -> bool:
    """May `value` go into a command? One plain shell word, not an option, not too long."""
    return (
        len(value) <= MAX_VALUE
        and _SHELL_WORD.fullmatch(value) is not None
        and not value.startswith("-")
    )


class _Lookup:
    def __init__(self, labels: dict[str, str], mapping: dict[str, str]):
        self.labels = labels
        self.folded = {}
        for name in sorted(labels, reverse=True):  # the first in sort order wins a tie
            self.folded[name.casefold()] = name
        self.mapping = {name.casefold(): label for name, label in mapping.items()}

    def label_for(self, placeholder: str) -> str | None:
        """The label that fills `placeholder`: its own name, else the mapping's."""
        own = self._label(placeholder)
        if own is not None:
            return own
        mapped = self.mapping.get(placeholder.casefold())
        return self._label(mapped) if mapped else None

    def _label(self, name: str) -> str | None:
        return name if name in self.labels else self.folded.get(name.casefold())


def _one(match: re.Match, lookup: _Lookup, found: Filled) -> str:
    written = match[0]  # escaped text, from the characters of _FORMS only
    name = next(group for group in match.groups() if group is not None)
    label = lookup.label_for(name)
    value = lookup.labels[label] if label is not None else None
    if value is None and name in SHELL_VARIABLES and not match["label"]:
        return written
    if value is None or not is_fillable(value):
        found.note(Unfilled(html.unescape(written), label if value is not None else ""))
        reason = f"the value of label {label} is not one plain word" if label else "no label"
        return f'<mark class="ph-missing" title="{html.escape(reason)}">{written}</mark>'
    found.filled += 1
    title = html.escape(f"{html.unescape(written)}: the alert's label {label}")
    return (
        f'<span class="ph-value" data-placeholder="{written}" title="{title}">'
        f"{html.escape(value)}</span>"
    )
