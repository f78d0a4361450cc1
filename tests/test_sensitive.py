"""What looks sensitive in a post-mortem before it is shared beyond the provider (issue 13).

Pure functions, no database. Every token below is made up for these tests. Nothing here is
timed: the pathological inputs only have to finish; their speed is measured by hand.
"""

import html
import re

import pytest

from runbooks.sensitive import Finding, domains_of, find, highlight

DOMAINS = ["nordwolke.example"]

# Made-up secrets, each of the shape its detector knows.
AWS_KEY = "AKIAEXAMPLE7KEY0NW01"
GITHUB_TOKEN = "ghp_ExampleExampleExample0123456789abcde"
SLACK_TOKEN = "xoxb-2024-0613-NotARealTokenAtAll"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYXJvbCJ9.bm90LWEtcmVhbC1zaWduYXR1cmU"
OPENOPS_TOKEN = "oo_Nw3xK9qLm2Vb7TfRz4HcY8pDs6JuGe5A1"
RANDOM_BASE64 = "Vq7Lx2RmT9bKw4Ns0PzHc8YfJd3GuEa6"
RANDOM_HEX = "4e1f0c9a7b3d2e8f6a5c1b0d9e7f3a2c"
PEM = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "Tm90IGEgcmVhbCBrZXkgYXQgYWxsLCBvbmx5IGl0cyBzaGFwZSBmb3IgdGhlIHRlc3Rz\n"
    "ZXZlbiB0aGUgc2Vjb25kIGxpbmUgaXMgbWFkZSB1cA==\n"
    "-----END OPENSSH PRIVATE KEY-----"
)


def found(text: str, domains=DOMAINS) -> list[tuple[str, str]]:
    return [(f.kind, f.text) for f in find(text, domains)]


def only(text: str, domains=DOMAINS) -> Finding:
    findings = find(text, domains)
    assert len(findings) == 1, findings
    return findings[0]


# --- Each kind, where it stands ----------------------------------------------------------------


def test_positions_and_lines_point_at_each_finding():
    text = (
        "Timeline\n"
        "09:12 db3.nordwolke.example stopped answering on 10.0.0.1.\n"
        "\n"
        "09:20 oncall@nordwolke.example paged; 2001:db8::1 was fine.\n"
    )
    findings = find(text, DOMAINS)
    assert [(f.kind, f.text, f.line) for f in findings] == [
        ("hostname", "db3.nordwolke.example", 2),
        ("ip", "10.0.0.1", 2),
        ("email", "oncall@nordwolke.example", 4),
        ("ip", "2001:db8::1", 4),
    ]
    for finding in findings:
        assert text[finding.start : finding.end] == finding.text
    assert findings[0].start == text.index("db3")


@pytest.mark.parametrize(
    ("text", "flagged", "reason"),
    [
        ("from 10.0.0.1 to", "10.0.0.1", "an IP address"),
        ("route 192.168.1.10/24 via", "192.168.1.10/24", "an IP address range"),
        ("peer 2001:db8::1 down", "2001:db8::1", "an IP address"),
        ("prefix 2001:db8:4:2::/64 announced", "2001:db8:4:2::/64", "an IP address range"),
        ("mapped ::ffff:10.1.2.3 seen", "::ffff:10.1.2.3", "an IP address"),
        ("lo 127.0.0.1 and docs 203.0.113.9", "127.0.0.1", "an IP address"),
        ("listen 10.0.0.1:5432 now", "10.0.0.1", "an IP address"),
        ("[fe80::1ff:fe23:4567:890a%eth0]", "fe80::1ff:fe23:4567:890a", "an IP address"),
    ],
)
def test_it_finds_ip_addresses(text, flagged, reason):
    first = find(text)[0]
    assert (first.kind, first.text, first.reason) == ("ip", flagged, reason)


def test_an_ip_range_with_an_impossible_prefix_still_flags_the_address():
    assert found("net 10.0.0.0/40 ") == [("ip", "10.0.0.0")]


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("ssh db3.nordwolke.example", "db3.nordwolke.example"),
        ("see nordwolke.example.", "nordwolke.example"),
        ("https://DB3.NordWolke.Example:5432/app", "DB3.NordWolke.Example"),
        ("dig _sip._tcp.eu-1.nordwolke.example", "_sip._tcp.eu-1.nordwolke.example"),
        ("(db3.nordwolke.example)", "db3.nordwolke.example"),
    ],
)
def test_it_finds_host_names_under_the_providers_domains(text, flagged):
    finding = only(text)
    assert (finding.kind, finding.text) == ("hostname", flagged)
    assert finding.reason == "a host name under nordwolke.example"


def test_extra_domains_are_matched_and_named_in_the_reason():
    findings = find(
        "rack r1.dc.nordwolke.internal, web nordwolke.example", [" Nordwolke.Internal."]
    )
    assert [(f.text, f.reason) for f in findings] == [
        ("r1.dc.nordwolke.internal", "a host name under nordwolke.internal")
    ]


@pytest.mark.parametrize(
    "text",
    ["nordwolke.example.com", "notnordwolke.example", "nordwolke.examples", "nordwolke-example"],
)
def test_other_domains_are_not_the_providers(text):
    assert found(f"see {text} too") == []


def test_a_single_domain_given_as_a_string_is_one_domain():
    assert found("ssh db3.nordwolke.example or x.e", domains="nordwolke.example") == [
        ("hostname", "db3.nordwolke.example")
    ]


def test_without_domains_no_host_name_is_flagged():
    assert found("ssh db3.nordwolke.example", domains=()) == []


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("write to oncall@nordwolke.example.", "oncall@nordwolke.example"),
        ("<Jane.Doe+pm@mail.other-cloud.example>", "Jane.Doe+pm@mail.other-cloud.example"),
    ],
)
def test_it_finds_email_addresses(text, flagged):
    finding = only(text)
    assert (finding.kind, finding.text, finding.reason) == ("email", flagged, "an e-mail address")


@pytest.mark.parametrize(
    ("text", "flagged", "reason"),
    [
        (f"key {AWS_KEY} leaked", AWS_KEY, "looks like an AWS access key"),
        (f"GH_TOKEN {GITHUB_TOKEN}", GITHUB_TOKEN, "looks like a GitHub token"),
        (f"slack {SLACK_TOKEN}", SLACK_TOKEN, "looks like a Slack token"),
        (f"curl {JWT} x", JWT, "looks like a JSON Web Token"),
        (f"used {OPENOPS_TOKEN} in CI", OPENOPS_TOKEN, "looks like an OpenOps API token"),
        (f"before\n{PEM}\nafter", PEM, "a private key (PEM block)"),
        (
            "post to https://hooks.slack.com/services/T000/B000/NotRealEither",
            "https://hooks.slack.com/services/T000/B000/NotRealEither",
            "a Slack webhook URL",
        ),
        ("DATABASE_URL=postgres://app:Tr0ub4dor@db:5432/app", "Tr0ub4dor", "a password in a URL"),
        (
            'curl -H "Authorization: Bearer not-a-real-one.42"',
            "not-a-real-one.42",
            "a credential in an Authorization header",
        ),
        ("password=hunter2", "hunter2", "the value of a password or secret setting"),
        ("DB_PASSWORD: 'cr4nberry'", "cr4nberry", "the value of a password or secret setting"),
        (
            '{"client_secret": "s3cr3t-sauce"}',
            "s3cr3t-sauce",
            "the value of a password or secret setting",
        ),
        ("SECRET_KEY = dev-only-key", "dev-only-key", "the value of a password or secret setting"),
        (
            "https://x.example/cb?token=abc123&page=2",
            "abc123",
            "the value of a password or secret setting",
        ),
        (
            f"key {RANDOM_BASE64} here",
            RANDOM_BASE64,
            "looks like a key: a long random-looking string",
        ),
        (f"hmac {RANDOM_HEX}.", RANDOM_HEX, "looks like a key: a long random hex string"),
    ],
)
def test_it_finds_things_shaped_like_secrets(text, flagged, reason):
    finding = only(text, domains=())
    assert (finding.kind, finding.text, finding.reason) == ("secret", flagged, reason)
    assert text[finding.start : finding.end] == flagged


def test_an_unterminated_private_key_flags_its_first_line_and_its_random_lines():
    text = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx8Vq7Lx2RmT9bKw4Ns0PzHc8YfJd3Gu\n"
    assert [f.text for f in find(text)] == [
        "-----BEGIN RSA PRIVATE KEY-----",
        "MIIEowIBAAKCAQEAx8Vq7Lx2RmT9bKw4Ns0PzHc8YfJd3Gu",
    ]


# --- What is left alone --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "upgraded to 1.2.3 then 10.4.12",
        "release v1.2.3.4 and build 1.2.3.4.5",
        "reverted 3f2a9c1 and 8b0e4d7",
        "at 10:30:45 the queue was 4:2",
        "slice a[::2] and ::1 and Error::Timeout",
        "MAC 00:1a:2b:3c:4d:5e",
        "The disk filled because the retention job never ran.",
        "request 123e4567-e89b-42d3-a456-426614174000 failed",
        "see runbooks/Users/Alice/Projects2024/OpenOps/Runbooks/Migrations",
        "TestHostileInputRejectsOversizedPayloads2024",
        "the_longest_snake_case_name_we_have_in_the_codebase_v2",
        "password=*** secret: ${VAULT_SECRET} token={{ api_token }} pwd=<redacted>",
        "password: true, token = None",
        'credentials: "oo_…", key api_key=abc... and postgres://user:pass@host/db',
        "max_tokens: 4000 and the bypass=yes flag",
        "git@nordwolke or a@b.c or user@localhost",
        "999.1.2.3 is not an address",
    ],
)
def test_ordinary_text_is_left_alone(text):
    assert found(text) == []


def test_an_inline_image_in_a_data_uri_is_content_not_a_key():
    payload = "Y2hhcnQgb2YgdGhlIHA5OSBsYXRlbmN5LCBub3QgYSBrZXksIGp1c3QgYnl0ZXM="
    assert found(f"![p99 latency](data:image/png;base64,{payload})") == []


def test_base64_in_an_ordinary_image_url_is_flagged_as_signed_urls_carry_keys_so():
    text = f"![p99](https://cdn.example/render.png?sig={RANDOM_BASE64})"
    assert found(text) == [("secret", RANDOM_BASE64)]


def test_a_full_commit_hash_has_the_shape_of_a_key_and_is_flagged():
    assert found("fixed in 3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39") == [
        ("secret", "3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39")
    ]


# --- Overlaps --------------------------------------------------------------------------


def test_an_email_address_wins_over_the_host_name_inside_it():
    assert found("mail oncall@db3.nordwolke.example now") == [
        ("email", "oncall@db3.nordwolke.example")
    ]


def test_a_password_in_a_url_wins_over_the_email_it_looks_like_and_the_host_stays():
    text = "postgres://app:Tr0ub4dor@db3.nordwolke.example/app"
    assert found(text) == [("secret", "Tr0ub4dor"), ("hostname", "db3.nordwolke.example")]


def test_a_named_token_shape_explains_itself_better_than_the_setting_it_is_in():
    finding = only(f"token={JWT}")
    assert (finding.text, finding.reason) == (JWT, "looks like a JSON Web Token")


def test_an_ipv4_tail_of_an_ipv6_address_is_one_finding():
    assert found("from ::ffff:192.0.2.7 only") == [("ip", "::ffff:192.0.2.7")]


def test_an_ip_that_is_a_password_is_a_secret():
    assert found("password=10.0.0.1") == [("secret", "10.0.0.1")]


def test_findings_are_sorted_and_never_overlap():
    text = (
        f"db3.nordwolke.example 10.0.0.1 {AWS_KEY} ops@nordwolke.example "
        f"https://u:p4ss@10.0.0.2/x password={RANDOM_BASE64}\n{PEM}\n2001:db8::7"
    )
    findings = find(text, DOMAINS)
    assert len(findings) == 9
    for before, after in zip(findings, findings[1:], strict=False):
        assert before.end <= after.start


# --- Highlighting --------------------------------------------------------------------------


def test_highlight_marks_each_finding_with_its_kind_and_reason():
    text = "host db3.nordwolke.example\nip 10.0.0.1"
    assert highlight(text, find(text, DOMAINS)) == (
        'host <mark class="sensitive sensitive-hostname" title="a host name under '
        'nordwolke.example">db3.nordwolke.example</mark>\n'
        'ip <mark class="sensitive sensitive-ip" title="an IP address">10.0.0.1</mark>'
    )


def test_highlight_escapes_everything_inside_and_around_findings():
    text = "<script>alert('x')</script> at \"10.0.0.1\"\nmysql://app:<b>\"x'&amp;@db/app\n"
    marked = highlight(text, find(text))
    assert "<script>" not in marked and "<b>" not in marked
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in marked
    assert (
        '&quot;<mark class="sensitive sensitive-ip" title="an IP address">10.0.0.1</mark>&quot;'
        in marked
    )
    assert ">&lt;b&gt;&quot;x&#x27;&amp;amp;</mark>@db" in marked
    # Nothing but the marks is markup: without them, unescaped, it is the text again.
    assert html.unescape(re.sub(r"</?mark[^>]*>", "", marked)) == text


def test_a_reason_with_quotes_is_escaped_in_the_title():
    text = "x 10.0.0.1 y"
    finding = find(text)[0]
    odd = Finding(finding.kind, finding.text, finding.start, finding.end, 1, 'say "hi" <b>')
    assert 'title="say &quot;hi&quot; &lt;b&gt;"' in highlight(text, [odd])


def test_highlight_skips_findings_that_overlap_or_fall_outside_the_text():
    text = "a 10.0.0.1 b"
    real = find(text)[0]
    overlapping = Finding("ip", "0.0.1", real.start + 3, real.end, 1, "an IP address")
    outside = Finding("ip", "?", 50, 60, 1, "an IP address")
    assert highlight(text, [outside, overlapping, real]).count("<mark") == 1


def test_highlight_without_findings_is_the_escaped_text():
    assert highlight("a < b\n", []) == "a &lt; b\n"


# --- The provider's domains ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("website", "domains"),
    [
        ("https://www.nordwolke.example/x", ["nordwolke.example", "www.nordwolke.example"]),
        ("https://nordwolke.example", ["nordwolke.example"]),
        (
            "https://portal.nordwolke.example:8443/",
            ["nordwolke.example", "portal.nordwolke.example"],
        ),
        ("nordwolke.example/about", ["nordwolke.example"]),
        ("https://www.nordwolke.co.uk/", ["nordwolke.co.uk", "www.nordwolke.co.uk"]),
        ("HTTPS://NordWolke.Example./", ["nordwolke.example"]),
        ("http://10.0.0.1/", []),
        ("http://[2001:db8::1]/", []),
        ("http://localhost:8000", []),
        ("", []),
        ("http://[oops/", []),
    ],
)
def test_domains_of_a_website(website, domains):
    assert domains_of(website) == domains


def test_domains_of_feed_find():
    text = "failover to db3.nordwolke.example"
    assert found(text, domains_of("https://www.nordwolke.example")) == [
        ("hostname", "db3.nordwolke.example")
    ]


# --- Pathological inputs: 256 KB of each shape, run to the end (timed by hand, not here) ----

SIZE = 256 * 1024


def filled(unit: str) -> str:
    return (unit * (SIZE // len(unit) + 1))[:SIZE]


@pytest.mark.parametrize(
    "unit",
    [
        "a@",
        "a.a@",
        "1.2.",
        "1",
        "1.1.1.1 ",
        "1:",
        ":",
        "::ffff:1.2.3.4:",
        "eyJ",
        "eyJa.",
        "0123456789abcdef",
        "aB3/",
        "-",
        "-----BEGIN RSA PRIVATE KEY-----\n",
        "password",
        "password=",
        "x.nordwolke.example.",
        "://a:b:c",
        "authorization: bearer ",
        "data:;base64,",
        "a@b.cd ",
        " ",
        "\n",
    ],
)
def test_pathological_input_is_handled(unit):
    text = filled(unit)
    findings = find(text, DOMAINS)
    highlight(text, findings)
    for before, after in zip(findings, findings[1:], strict=False):
        assert before.end <= after.start
