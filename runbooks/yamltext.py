"""YAML that users hand in (rule files, front matter), read with PyYAML's safe loader but with
numbers, dates and times kept as the text they were written as.

The safe loader turns `2026-13-01` into a ValueError, a 4,301-digit integer into another (the
interpreter's integer-string limit), and a long hexadecimal one into an integer that no one can
print later; none of those is a YAMLError, so callers would answer 500. Neither a rule file nor
front matter needs a number or a date as such (Prometheus reads labels as the text written), so
they stay strings; any other scalar a constructor cannot build is a YAMLError naming its line.
"""

import yaml

try:  # libyaml's loader when present: the same rules, much faster on large files
    _Base = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - wheels ship libyaml
    _Base = yaml.SafeLoader

KEPT_AS_TEXT = ("int", "float", "timestamp")


class TextLoader(_Base):
    """The safe loader; numbers and timestamps are their text, and a scalar that cannot be
    built (`!!bool maybe`, `!!binary` that is not base64) is a YAMLError with its line."""

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep=deep)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
            kind = str(node.tag).rsplit(":", 1)[-1]
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {str(node.value)[:40]!r} as {kind}", node.start_mark
            ) from None


def _as_text(loader, node) -> str:
    return loader.construct_scalar(node)


for _name in KEPT_AS_TEXT:
    TextLoader.add_constructor(f"tag:yaml.org,2002:{_name}", _as_text)


def load(text: str):
    """The first document of `text`; YAMLError for what is not YAML, nothing else."""
    loader = TextLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
