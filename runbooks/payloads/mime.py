"""Reading a mail with bounded work, for the alarm mail receivers (DESIGN §5).

The mail relay forwards whatever reaches the alarm address. The email package's work grows with
the number of parts and header fields (a 1.8 MB mail of 50,000 parts held a web worker for
16 s), and its header parser is slow on long structured fields (a Content-Type of a few
thousand parameters takes seconds). So the lines are counted first (at the speed of a byte
search), and the parser counts as it goes and stops at the first
limit, before the parts or fields past it cost anything: a mail with more parts, fields or
nesting than an alarm mail ever has, or a field we parse (Subject, Date, Content-*) longer
than such a mail's, is refused as a whole. It can never become valid: a 4xx, a bounce.
"""

import email.policy
from email.message import EmailMessage
from email.parser import BytesParser

from .base import PayloadError

MAX_LINES = 100_000  # the parser's work per line is about a microsecond
MAX_PARTS = 20  # an alarm is one text part; a relay may add an HTML twin and attachments
MAX_DEPTH = 5  # a forwarded alarm: mixed › message/rfc822 › alternative › text
MAX_HEADERS = 300  # header fields in all parts together (relays add a few dozen)
MAX_SUBJECT = 8192  # characters, as received (the Subject carries the failed command)
MAX_MIME_FIELD = 500  # characters of a Date or Content-* field, as received
PARSED_FIELDS = ("content-", "date")
# What str.splitlines() splits on: a decoded body (base64 makes any bytes) is split there.
TEXT_BREAKS = ("\n", "\r", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


class MailTooComplex(PayloadError):
    """The mail is past one of the limits above; the message names which."""


def read(body: bytes) -> EmailMessage:
    """The parsed mail; MailTooComplex as soon as the parser passes a limit."""
    lines = body.count(b"\n") + body.count(b"\r") - body.count(b"\r\n")  # as the parser splits
    if lines > MAX_LINES:
        raise MailTooComplex(f"The mail has more than {MAX_LINES} lines.")
    budget = _Budget()
    policy = email.policy.default.clone(message_factory=budget.new_part)
    return BytesParser(policy=policy).parsebytes(body)


def check_text(text: str) -> str:
    """The decoded text, unless it has more lines than a mail may have."""
    if sum(map(text.count, TEXT_BREAKS)) - text.count("\r\n") > MAX_LINES:
        raise MailTooComplex(f"The mail's text has more than {MAX_LINES} lines.")
    return text


class _Budget:
    """What one parse has made so far: parts and header fields."""

    def __init__(self) -> None:
        self.parts = 0
        self.headers = 0

    def new_part(self, policy) -> "_CountedPart":
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise MailTooComplex(
                f"The mail has more than {MAX_PARTS} MIME parts; an alarm mail has a few."
            )
        part = _CountedPart(policy=policy)
        part._budget = self
        return part

    def field(self, name: str, value: str) -> None:
        self.headers += 1
        if self.headers > MAX_HEADERS:
            raise MailTooComplex(f"The mail has more than {MAX_HEADERS} header fields.")
        lowered = name.lower()
        if lowered == "subject" and len(value) > MAX_SUBJECT:
            raise MailTooComplex(f"The Subject is longer than {MAX_SUBJECT} characters.")
        if lowered.startswith(PARSED_FIELDS) and len(value) > MAX_MIME_FIELD:
            raise MailTooComplex(
                f"The {name[:40]} header is longer than {MAX_MIME_FIELD} characters."
            )


class _CountedPart(EmailMessage):
    """A part that reports its header fields and sub-parts to the parse's budget as the
    parser adds them (parts made otherwise, e.g. by `make_mixed`, have no budget)."""

    _budget: _Budget | None = None
    _depth = 1

    def set_raw(self, name, value) -> None:
        if self._budget is not None:
            self._budget.field(name, value)
        super().set_raw(name, value)

    def attach(self, payload) -> None:
        if self._budget is not None:
            payload._depth = self._depth + 1
            if payload._depth > MAX_DEPTH:
                raise MailTooComplex(f"The mail nests parts deeper than {MAX_DEPTH} levels.")
        super().attach(payload)
