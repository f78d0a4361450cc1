"""What looks sensitive in a post-mortem before it is shared beyond the provider (issue 13).

`find(text, domains)` lists IP addresses (IPv4, IPv6, CIDR ranges), host names under the
provider's own domains, e-mail addresses and things shaped like secrets; `highlight()` shows
them in place, HTML-escaped, for the preview of "Shared on purpose". It is a hint for the
author, not a filter: a miss or a false alarm costs an edit, never a leak by itself.

What is found, and what is left alone on purpose:

- IPs: every valid address, private and documentation ranges included. Skipped: version-like
  strings (`1.2.3`, `v1.2.3.4`, `1.2.3.4.5`) and IPv6 written with a single group (`::1`, `::`),
  which is also how a Python slice such as `a[::2]` looks.
- Host names: equal to a given domain or ending in `.<domain>`, whole labels, any case.
- Secrets: PEM private key blocks, AWS access keys, GitHub, Slack and OpenOps tokens, JWTs,
  Slack webhook URLs, the password in `scheme://user:password@host`, `Authorization:` header
  credentials, and the value of `password=…`/`secret: …`-style settings (the value only; masks,
  references and elisions like `***`, `$DB_PASSWORD`, `{{ vault }}`, `oo_…` are not
  flagged).
- Long random-looking strings (32+ characters): hex with letters and digits, or base64 with
  upper case, lower case and digits, few word-like runs, and enough entropy (see
  `_random_reason`). A full 40-character commit hash is flagged (it has the shape of a key;
  the author decides); a 7-character one is too short. UUIDs (one case), identifiers and
  paths (made of words) pass. The payload of a `data:…;base64,` URI (an inline image) is
  content, not a credential, and is skipped; base64 in an ordinary URL, a Markdown image's
  included, is flagged, as signed URLs carry their signature that way.

Time is linear in the length of the text: every regex anchors on a literal or on a
lookbehind that lets a match start only at the beginning of a run of its characters, and no
repetition is nested in another, so no attempt rescans what an earlier one failed on.
Positions are indices into the Python string (code points); lines count from 1.
"""

import html
import ipaddress
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

# Most specific first: when two findings overlap, the earlier kind here wins.
KINDS = ("secret", "email", "hostname", "ip")
_KIND_WEIGHT = {kind: len(KINDS) - i for i, kind in enumerate(KINDS)}

# Among secrets: a named shape (AWS, GitHub…) explains itself better than "a value after
# password=", which explains itself better than "random-looking".
_NAMED, _IN_CONTEXT, _GENERIC = 2, 1, 0


@dataclass(frozen=True)
class Finding:
    """One thing that looks sensitive: text[start:end], on line `line` (from 1)."""

    kind: str
    text: str
    start: int
    end: int
    line: int
    reason: str


@dataclass(frozen=True)
class _Candidate:
    kind: str
    start: int
    end: int
    reason: str
    rank: int = _NAMED


@dataclass(frozen=True)
class _Shape:
    """A secret recognised by its form. A `value` group, when present, is what is flagged
    (the password, not the `password=` before it), unless it is a placeholder."""

    reason: str
    regex: re.Pattern[str]
    rank: int = _NAMED

    def spans(self, text: str) -> Iterator[tuple[int, int]]:
        group = "value" if "value" in self.regex.groupindex else 0
        for match in self.regex.finditer(text):
            start, end = match.span(group)
            if group == 0 or not _PLACEHOLDER.fullmatch(text[start:end]):
                yield start, end


_B64URL = "A-Za-z0-9_-"
# The key names whose value is a secret; the key must end with one (DB_PASSWORD, api_key).
_SECRET_KEYS = (
    r"password|passwd|pwd|passphrase|secret|token|credentials?"
    r"|(?:api|access|secret|private|signing|encryption)[_-]?key"
)
# A setting's value, up to what ends it in prose, URLs, JSON or shell.
_VALUE = r"(?P<value>[^\s\"'`,;&()<>]+)"

_SHAPES = (
    _Shape(
        "a private key (PEM block)",
        # Unterminated, only the BEGIN line matches; its base64 lines are caught as random.
        re.compile(
            r"-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY-----"
            r"(?:(?:[A-Za-z0-9+/=:,\s]|-(?!----))*?-----END[A-Z0-9 ]{0,40}PRIVATE KEY-----)?"
        ),
    ),
    _Shape(
        "looks like an AWS access key",
        re.compile(r"(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])"),
    ),
    _Shape(
        "looks like a GitHub token",
        re.compile(r"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})"),
    ),
    _Shape("looks like a Slack token", re.compile(r"(?<![\w-])xox[abposr]-[A-Za-z0-9-]{10,}")),
    _Shape(
        "a Slack webhook URL",
        re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]+"),
    ),
    _Shape(
        "looks like a JSON Web Token",
        re.compile(rf"(?<![{_B64URL}])eyJ[{_B64URL}]{{4,}}\.[{_B64URL}]{{4,}}\.[{_B64URL}]*"),
    ),
    _Shape(
        "looks like an OpenOps API token", re.compile(rf"(?<![{_B64URL}])oo_[{_B64URL}]{{20,}}")
    ),
    _Shape(
        "a password in a URL",
        re.compile(r"://[^\s:/@]+:(?P<value>[^\s/@]+)@"),
        _IN_CONTEXT,
    ),
    _Shape(
        "a credential in an Authorization header",
        re.compile(
            r"(?i)\bauthorization[\"']?[ \t]*[:=][ \t]*[\"']?(?:bearer|basic|token)[ \t]+"
            r"(?P<value>[A-Za-z0-9._~+/=-]+)"
        ),
        _IN_CONTEXT,
    ),
    _Shape(
        "the value of a password or secret setting",
        # The lookbehind lets a key start only where a run of key characters starts; the
        # single `[\w.-]*` then backtracks at most once over that run.
        re.compile(
            rf"(?i)(?<![\w.-])[\w.-]*(?:{_SECRET_KEYS})[\"']?[ \t]*[:=][ \t]*[\"']?{_VALUE}"
        ),
        _IN_CONTEXT,
    ),
)

# Values that stand for a secret without being one: masks, references, elisions (`oo_…`),
# booleans, and the words of examples such as `postgres://user:pass@host`.
_PLACEHOLDER = re.compile(
    r"(?i)[*x.=#-]+|[$%{].*|.*(?:…|\.\.\.)|redacted|none|null|true|false|pass(?:word)?"
)

_RANDOM = re.compile(r"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{32,}={0,2}")
_RANDOM_HEX = "looks like a key: a long random hex string"
_RANDOM_TEXT = "looks like a key: a long random-looking string"
_HEX = re.compile(r"[0-9a-fA-F]+")
_WORD = re.compile(r"[a-z]{5,}")
_DATA_URI = re.compile(r"data:[\w/+.-]*;base64,\Z")

_IPV4 = re.compile(
    # Not after a word or "word.", not before ".digit": `v1.2.3.4` and `1.2.3.4.5` are versions.
    r"(?<!\w)(?<!\w\.)(?P<address>\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})"
    r"(?:/(?P<prefix>\d{1,3}))?(?!\w|\.\d)"
)
_IPV6 = re.compile(
    # The lookahead wants two colons near the start, so ordinary hex words are not tried.
    r"(?<![\w:.])(?=[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:)"
    r"(?P<address>[0-9A-Fa-f:]{2,39}(?:(?<=:)\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})?)"
    r"(?:/(?P<prefix>\d{1,3}))?(?![\w:]|\.\d)"
)

_EMAIL = re.compile(r"(?<![\w.+%-])[\w.+%-]+@[A-Za-z0-9-]+\.[A-Za-z0-9.-]+")

# Second-level labels under which a country's registry sells names (nordwolke.co.uk).
_SECOND_LEVEL = frozenset({"ac", "co", "com", "edu", "gov", "net", "or", "org"})


def find(text: str, domains: Iterable[str] = ()) -> list[Finding]:
    """What in `text` looks sensitive to share beyond the provider, in order of position,
    without overlaps. `domains` are the provider's own (see `domains_of`): host names equal
    to or under them are flagged."""
    wanted = _clean_domains(domains)
    candidates = [found for detect in _DETECTORS for found in detect(text, wanted)]
    return list(_with_lines(text, _without_overlaps(candidates, len(text))))


def highlight(text: str, findings: list[Finding]) -> str:
    """`text` HTML-escaped, each finding wrapped in a `<mark>` that names its kind and reason.

    Newlines are kept for a `<pre>`. Findings are expected from `find(text)`; one that
    overlaps an earlier one or lies outside the text is left unmarked."""
    parts, cursor = [], 0
    for finding in sorted(findings, key=lambda f: f.start):
        if finding.start < cursor or finding.end > len(text):
            continue
        parts += [html.escape(text[cursor : finding.start]), _mark(text, finding)]
        cursor = finding.end
    parts.append(html.escape(text[cursor:]))
    return "".join(parts)


def domains_of(website: str) -> list[str]:
    """The provider's domains as read from its website URL: the registrable-ish domain, then
    the site's own host when it differs.

    `https://www.nordwolke.example/x` gives `["nordwolke.example", "www.nordwolke.example"]`.
    Without the public suffix list, "registrable" means the last two labels, or three when
    the last is a country code under one of a few second-level labels (`nordwolke.co.uk`).
    A site hosted under a shared domain (`nordwolke.pages.example`) therefore yields that
    shared domain too: more flags, never fewer. IPs and single-label hosts give nothing."""
    host = _host_of(website)
    if "." not in host or _is_ip(host):
        return []
    base = _registrable(host)
    return [base] if base == host else [base, host]


# --- detectors: each yields candidates; overlaps are settled afterwards ---------------------


def _secrets(text: str, domains: tuple[str, ...]) -> Iterator[_Candidate]:
    for shape in _SHAPES:
        for start, end in shape.spans(text):
            yield _Candidate("secret", start, end, shape.reason, shape.rank)


def _random_strings(text: str, domains: tuple[str, ...]) -> Iterator[_Candidate]:
    for match in _RANDOM.finditer(text):
        reason = _random_reason(match.group())
        if reason and not _DATA_URI.search(text, max(0, match.start() - 100), match.start()):
            yield _Candidate("secret", match.start(), match.end(), reason, _GENERIC)


def _emails(text: str, domains: tuple[str, ...]) -> Iterator[_Candidate]:
    for match in _EMAIL.finditer(text):
        found = match.group()
        # A sentence may end right after the address; a local part may follow an ellipsis.
        start = match.start() + len(found) - len(found.lstrip("."))
        end = match.end() - len(found) + len(found.rstrip(".-"))
        local, _, domain = text[start:end].partition("@")
        if local and _is_mail_domain(domain):
            yield _Candidate("email", start, end, "an e-mail address")


def _hostnames(text: str, domains: tuple[str, ...]) -> Iterator[_Candidate]:
    if not domains:
        return
    for match in _hostname_regex(domains).finditer(text):
        host = match.group("host")
        start = match.start() + len(host) - len(host.lstrip(".-"))
        domain = match.group("domain").lower()
        yield _Candidate("hostname", start, match.end(), f"a host name under {domain}")


def _ips(text: str, domains: tuple[str, ...]) -> Iterator[_Candidate]:
    for regex in (_IPV4, _IPV6):
        for match in regex.finditer(text):
            address, prefix = match.group("address", "prefix")
            if (regex is _IPV6 and not _written_like_ipv6(address)) or not _is_ip(address):
                continue
            if prefix is not None and _is_network(f"{address}/{prefix}"):
                yield _Candidate("ip", match.start(), match.end(), "an IP address range")
            else:
                yield _Candidate("ip", match.start(), match.end("address"), "an IP address")


_Detector = Callable[[str, tuple[str, ...]], Iterator[_Candidate]]
_DETECTORS: tuple[_Detector, ...] = (_secrets, _random_strings, _emails, _hostnames, _ips)


# --- helpers -----------------------------------------------------------------------------


def _random_reason(candidate: str) -> str | None:
    """Why `candidate` (32+ key-like characters) looks like a key, or None if it does not.

    Hex needs letters and digits. Other strings need upper case, lower case and digits, and
    not too much of them in runs of 5+ lower-case letters: those are words, as in paths like
    `Users/Alice/Projects2024/Runbooks`. Entropy rules out repeats. About 1 in 200 random
    32-character tokens falls short (no digit, chance words) and is missed; longer ones
    almost never."""
    bare = candidate.rstrip("=")
    digits = any(c.isdigit() for c in bare)
    if _HEX.fullmatch(bare):
        letters = not bare.isdigit()
        return _RANDOM_HEX if digits and letters and _entropy(bare) >= 3.0 else None
    cases = any(c.isupper() for c in bare) and any(c.islower() for c in bare)
    wordy = sum(map(len, _WORD.findall(bare))) >= 0.4 * len(bare)
    return _RANDOM_TEXT if digits and cases and not wordy and _entropy(bare) >= 3.5 else None


def _entropy(value: str) -> float:
    """Shannon entropy in bits per character of `value` itself: 32 random hex characters
    score about 3.6, 32 random base64 ones about 4.5, a repeated pattern little."""
    size = len(value)
    return -sum(n / size * math.log2(n / size) for n in Counter(value).values())


def _hostname_regex(domains: tuple[str, ...]) -> re.Pattern[str]:
    """Host names ending in one of `domains` on a label boundary. One `[\\w.-]*` that may
    start only where a run of host characters starts, so each run is scanned once."""
    names = "|".join(re.escape(domain) for domain in domains)
    return re.compile(
        rf"(?i)(?<![\w.-])(?P<host>[\w.-]*(?<![\w-])(?P<domain>{names}))(?![\w-]|\.[\w-])"
    )


def _clean_domains(domains: Iterable[str]) -> tuple[str, ...]:
    if isinstance(domains, str):  # one domain, not its letters
        domains = [domains]
    cleaned = {domain.strip().lower().removeprefix("*.").strip(".") for domain in domains}
    return tuple(sorted(domain for domain in cleaned if domain))


def _is_mail_domain(domain: str) -> bool:
    labels = domain.split(".")
    return all(labels) and labels[-1].isalpha() and len(labels[-1]) >= 2


def _written_like_ipv6(address: str) -> bool:
    """Two groups or more (`::1` also reads as a slice), and either `::` or all eight groups
    (six before an IPv4 tail): times like `10:30:45` are thrown out before parsing."""
    groups = [group for group in address.split(":") if group]
    colons = address.count(":")
    return len(groups) >= 2 and ("::" in address or colons == 7 or (colons == 6 and "." in address))


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _is_network(value: str) -> bool:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True


def _host_of(website: str) -> str:
    # Without "//", urlsplit reads "nordwolke.example/x" as a path, not a host.
    url = website.strip() if "//" in website else "//" + website.strip()
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:  # e.g. an unclosed "[" of an IPv6 literal
        return ""
    return host.rstrip(".")


def _registrable(host: str) -> str:
    labels = host.split(".")
    country_registry = len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL
    keep = 3 if country_registry and len(labels) > 2 else 2
    return ".".join(labels[-keep:])


def _without_overlaps(candidates: list[_Candidate], size: int) -> list[_Candidate]:
    """The best candidates that do not overlap, in order of position. Best: the most specific
    kind, then the most telling shape, then the longest. Marking taken characters keeps this
    linear in the total length of the candidates (each detector's own never overlap)."""
    taken = bytearray(size)
    chosen = []
    for found in sorted(candidates, key=_preference, reverse=True):
        if found.start < found.end and taken.find(1, found.start, found.end) == -1:
            taken[found.start : found.end] = b"\x01" * (found.end - found.start)
            chosen.append(found)
    return sorted(chosen, key=lambda found: found.start)


def _preference(found: _Candidate) -> tuple[int, int, int, int]:
    return (_KIND_WEIGHT[found.kind], found.rank, found.end - found.start, -found.start)


def _with_lines(text: str, chosen: list[_Candidate]) -> Iterator[Finding]:
    line, counted_to = 1, 0
    for found in chosen:
        line += text.count("\n", counted_to, found.start)
        counted_to = found.start
        snippet = text[found.start : found.end]
        yield Finding(found.kind, snippet, found.start, found.end, line, found.reason)


def _mark(text: str, finding: Finding) -> str:
    kind, reason = html.escape(finding.kind), html.escape(finding.reason)
    inner = html.escape(text[finding.start : finding.end])
    return f'<mark class="sensitive sensitive-{kind}" title="{reason}">{inner}</mark>'
