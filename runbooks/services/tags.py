"""Tags: labels shared by all kinds of documents, created on first use."""

import unicodedata
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.text import slugify

from runbooks import pagecache
from runbooks.models import Document, Tag
from runbooks.visibility import can_relabel_tags

from .base import changes_pages, require

MAX_TAGS = 20


def parse_tags(labels: Iterable[str]) -> list[tuple[str, str]]:
    """[(slug, label)] for user input, refusing labels with no letters or digits and labels
    that could pass for another tag (see `_plain_label`)."""
    parsed: dict[str, str] = {}
    for raw in labels:
        label = _plain_label(" ".join(unicodedata.normalize("NFKC", raw).split()))
        if not label:
            continue
        slug = slugify(label)[:50]
        if not slug:
            raise ValidationError(f"Tag {label!r} needs at least one letter or digit.")
        if len(label) > 50:
            raise ValidationError(f"Tag {label[:20]!r}… is longer than 50 characters.")
        parsed.setdefault(slug, label)
    if len(parsed) > MAX_TAGS:
        raise ValidationError(f"At most {MAX_TAGS} tags per document.")
    return list(parsed.items())


def _plain_label(label: str) -> str:
    """The label (NFKC-normalised by the caller, so full-width and styled letters are plain
    ones), or ValidationError when it holds a character its slug cannot show: a tag is its
    slug, made of ASCII letters and digits, so a label may hold printable ASCII and Latin
    letters with accents, nothing else. A Cyrillic "е" in "cеph", a dotless "ı", a Unicode
    hyphen or an invisible character would give a tag that reads like another one."""
    for char in label:
        if not _plain(char):
            name = unicodedata.name(char, f"U+{ord(char):04X}")
            raise ValidationError(
                f"Tag {label[:50]!r}: {name} cannot be in a tag; use ASCII letters and digits "
                "(accented Latin letters are fine), so that no tag can pass for another."
            )
    return label


def _plain(char: str) -> bool:
    if char.isascii():
        return char.isprintable()
    decomposed = unicodedata.normalize("NFKD", char)
    return char.isalpha() and decomposed[0].isascii() and decomposed[0].isalpha()


def checked_tags(labels: Iterable[str] | None) -> list[tuple[str, str]] | None:
    """parse_tags as a field error on `tags`, for services that validate before writing."""
    if labels is None:
        return None
    try:
        return parse_tags(labels)
    except ValidationError as exc:
        raise ValidationError({"tags": exc.messages}) from None


def set_tags(document: Document, parsed: list[tuple[str, str]]) -> None:
    """Replace the document's tags with already parsed ones (inside the caller's transaction)."""
    tags = [
        Tag.objects.get_or_create(slug=slug, defaults={"label": label})[0] for slug, label in parsed
    ]
    document.tags.set(tags)


@changes_pages
def relabel_tag(tag: Tag, label: str, *, actor) -> Tag:
    """Show `tag` as `label` on every page that lists it; its slug (the tag) stays."""
    require(actor, can_relabel_tags, message="Only moderators relabel tags.")
    parsed = checked_tags([label])
    if not parsed:
        raise ValidationError({"tags": "A label needs a letter or a digit."})
    tag.label = parsed[0][1]
    tag.save(update_fields=["label"])
    pagecache.touch(tag.documents.values_list("pk", flat=True))
    return tag
