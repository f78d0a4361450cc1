"""Placeholders pinned whole (runbooks/sensitive.py; issue 38): a value after `password=`, in a
URL's password or in an Authorization header is left alone only when all of it stands for a
secret (a mask, a reference, an elision, a boolean, the word "pass"); a secret that merely
starts like one (`xK9…`, `pass…`, `...`) is still marked. Every value is tried in every place
a value is read from. Made-up values only."""

import re

import pytest

from runbooks.sensitive import find

# Where a secret is read as "the value after …": each with the reason it is given.
CONTEXTS = [
    ("password={}", "the value of a password or secret setting"),
    ("DB_PASSWORD: {}", "the value of a password or secret setting"),
    ('{{"api_key": "{}"}}', "the value of a password or secret setting"),
    ("postgres://app:{}@db.internal:5432/app", "a password in a URL"),
    ("Authorization: Bearer {}", "a credential in an Authorization header"),
]
# An Authorization header's credential is a token68 (RFC 9110): other values cannot be one.
TOKEN68 = re.compile(r"[A-Za-z0-9._~+/-]+=*")

# Values that only stand for a secret: never marked.
PLACEHOLDERS = [
    "***",
    "xxxxxxxx",
    "XXXX",
    "...",
    "----",
    "####",
    "====",
    "$DB_PASSWORD",
    "${VAULT_SECRET}",
    "%(password)s",
    "{{vault_password}}",
    "oo_…",
    "hunter…",
    "abc...",
    "redacted",
    "REDACTED",
    "none",
    "null",
    "true",
    "false",
    "pass",
    "password",
    "PASSWORD",
]

# Secrets that begin like a placeholder, or hold one, and go on: always marked.
SECRETS = [
    "xK9mQ2vL7",
    "x-9f3Kq",
    "XXL4rge!",
    "passw0rd-2024",
    "passphrase9Q",
    "Password1",
    "...hunter2",
    ".Kq9zT",
    "*Kq9zT",
    "-Kq9zT",
    "#Kq9zT",
    "=Kq9zT",
    "abc...def9",
    "truely-S3cret",
    "falsehood7",
    "nonesuch-K3y",
    "nullify42x",
    "redactedNOT9",
    "hunter…2",
]


def cases(values: list[str]) -> list[tuple[str, str, str]]:
    return [
        (context, reason, value)
        for context, reason in CONTEXTS
        for value in values
        if "Authorization" not in context or TOKEN68.fullmatch(value)
    ]


@pytest.mark.parametrize(("context", "reason", "value"), cases(PLACEHOLDERS))
def test_a_value_that_only_stands_for_a_secret_is_left_alone(context, reason, value):
    text = context.format(value)
    assert [f for f in find(text) if f.reason == reason] == []


@pytest.mark.parametrize(("context", "reason", "value"), cases(SECRETS))
def test_a_secret_that_starts_like_a_placeholder_is_marked(context, reason, value):
    text = context.format(value)
    found = [(f.kind, f.text, f.reason) for f in find(text)]
    assert ("secret", value, reason) in found, found


def test_the_lists_do_not_overlap():
    assert not set(PLACEHOLDERS) & set(SECRETS)
