"""Credential detection: generated fake keys are caught, prose about secrets is not."""

from __future__ import annotations

import base64
import json
import random
import string

import pytest

from memdir.store.secrets import SECRET_KINDS, SecretMatch, find_secrets, redact

UPPER_DIGITS = string.ascii_uppercase + string.digits
ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"
BASE64 = ALNUM + "+/"


def rand(rng: random.Random, alphabet: str, n: int) -> str:
    """A random string that mixes cases and digits the way generated keys do."""
    while True:
        value = "".join(rng.choice(alphabet) for _ in range(n))
        classes = [
            any(c.isupper() for c in value) or not any(c.isupper() for c in alphabet),
            any(c.islower() for c in value) or not any(c.islower() for c in alphabet),
            any(c.isdigit() for c in value),
        ]
        if all(classes):
            return value


def b64url(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def fake_corpus(seed: int) -> list[tuple[str, str]]:
    """(expected kind, line of text holding one fake credential), freshly generated."""
    rng = random.Random(seed)
    jwt = ".".join(
        [
            b64url({"alg": "HS256", "typ": "JWT"}),
            b64url({"sub": rand(rng, ALNUM, 12), "iat": rng.randint(10**9, 2 * 10**9)}),
            rand(rng, URLSAFE, 43),
        ]
    )
    key_body = "\n".join(rand(rng, BASE64, 64) for _ in range(4))
    return [
        ("aws-access-key-id", f"aws key id AKIA{rand(rng, UPPER_DIGITS, 16)} in prod"),
        ("aws-access-key-id", f"temporary creds ASIA{rand(rng, UPPER_DIGITS, 16)}"),
        ("aws-secret-access-key", f"aws_secret_access_key = {rand(rng, BASE64, 40)}"),
        ("github-token", f"token ghp_{rand(rng, ALNUM, 36)} for CI"),
        ("github-token", f"gho_{rand(rng, ALNUM, 36)}"),
        ("github-token", f"ghu_{rand(rng, ALNUM, 36)}"),
        ("github-token", f"ghs_{rand(rng, ALNUM, 36)}"),
        ("github-token", f"ghr_{rand(rng, ALNUM, 36)}"),
        ("github-token", f"github_pat_{rand(rng, ALNUM, 22)}_{rand(rng, ALNUM, 59)}"),
        (
            "slack-token",
            f"xoxb-{rng.randint(10**11, 10**12)}-{rng.randint(10**12, 10**13)}-"
            f"{rand(rng, ALNUM, 24)}",
        ),
        (
            "slack-token",
            f"xoxp-{rng.randint(10**11, 10**12)}-{rng.randint(10**11, 10**12)}-"
            f"{rng.randint(10**11, 10**12)}-{rand(rng, 'abcdef0123456789', 32)}",
        ),
        ("slack-token", f"xoxa-{rng.randint(10**11, 10**12)}-{rand(rng, ALNUM, 30)}"),
        (
            "slack-token",
            f"xapp-1-A{rand(rng, UPPER_DIGITS, 10)}-{rng.randint(10**12, 10**13)}-"
            f"{rand(rng, 'abcdef0123456789', 64)}",
        ),
        (
            "slack-webhook",
            f"post to https://hooks.slack.com/services/T{rand(rng, UPPER_DIGITS, 8)}/"
            f"B{rand(rng, UPPER_DIGITS, 8)}/{rand(rng, ALNUM, 24)}",
        ),
        ("anthropic-api-key", f"ANTHROPIC_API_KEY=sk-ant-api03-{rand(rng, URLSAFE, 93)}AA"),
        ("openai-api-key", f"sk-{rand(rng, ALNUM, 48)}"),
        ("openai-api-key", f'OPENAI_API_KEY="sk-proj-{rand(rng, URLSAFE, 120)}"'),
        ("google-api-key", f"maps key AIza{rand(rng, URLSAFE, 35)}"),
        ("stripe-live-key", f"sk_live_{rand(rng, ALNUM, 24)}"),
        ("stripe-live-key", f"rk_live_{rand(rng, ALNUM, 34)}"),
        (
            "private-key",
            f"-----BEGIN RSA PRIVATE KEY-----\n{key_body}\n-----END RSA PRIVATE KEY-----",
        ),
        (
            "private-key",
            f"-----BEGIN OPENSSH PRIVATE KEY-----\n{key_body}\n-----END OPENSSH PRIVATE KEY-----",
        ),
        ("jwt", f"Authorization: Bearer {jwt}"),
        ("npm-token", f"//registry.npmjs.org/:_authToken=npm_{rand(rng, ALNUM, 36)}"),
        ("secret-assignment", f'password = "{rand(rng, ALNUM + "!@#%", 20)}"'),
        ("secret-assignment", f"DB_PASSWORD={rand(rng, ALNUM, 24)}"),
        ("secret-assignment", f"api_key: {rand(rng, '0123456789abcdef', 32)}"),
        ("secret-assignment", f'{{"client_secret": "{rand(rng, URLSAFE, 40)}"}}'),
        (
            "url-credentials",
            f"postgres://app:{rand(rng, ALNUM, 20)}@db.internal:5432/app",
        ),
    ]


PROSE = """\
Rotate the API token every 90 days; the security team owns the schedule.
The password policy requires 12 characters and a second factor.
Keep the token budget under 4,096 for the selector call.
We moved from sk-learn style estimators to our own; see the sk-learn-compatible wrapper.
Never paste a secret into a memory. Secrets live in the vault under kv/prod/payments.
The API key is read from the environment: api_key = os.environ["OPENAI_API_KEY"].
password = settings.DATABASE_PASSWORD
SECRET_KEY = get_random_secret_key()
token: ${GITHUB_TOKEN}
api_key: <your key here>
export API_KEY=your_api_key_here
password: changeme-before-deploying-anything
The key insight was that the cache key must include the HEAD commit.
Use `gh auth token` to print the token, and `aws configure` to set the access key.
Example AWS key from the docs: AKIAIOSFODNN7EXAMPLE (not a real one).
ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx is the placeholder in our README.
The header -----BEGIN PRIVATE KEY----- marks the start of a PEM key file.
Commit 3f9a2c4e8b1d7f6a5e4c3b2a1f0e9d8c7b6a5f4e fixed the token refresh.
password_reset_token_expiry_hours is 24.
Slack channel #secrets-rotation, tracker ticket SEC-1234, dashboard grafana/d/secrets.
sk-ant is the prefix of Anthropic keys; sk- is OpenAI's.
client_secret is loaded by load_client_secret_from_keychain() at startup.
The auth_token column is a UUID foreign key.
postgres://app:password@localhost:5432/app is the local dev default.
def sign(self, private_key: ed25519.Ed25519PrivateKey, *, api_token: PKCS7PrivateKeyTypes) -> None:
Tokens per minute: 40000. Passwords: hashed with argon2id.
"""


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_every_generated_fake_is_caught_with_its_kind(seed: int) -> None:
    for kind, line in fake_corpus(seed):
        matches = find_secrets(f"Some context first.\n{line}\nand after.")
        assert [m.kind for m in matches] == [kind], line
        assert matches[0].line == 2


def test_prose_about_secrets_is_clean() -> None:
    for line in PROSE.splitlines():
        assert find_secrets(line) == [], line
    assert find_secrets(PROSE) == []


def test_preview_never_holds_the_secret() -> None:
    for kind, line in fake_corpus(7):
        (match,) = find_secrets(line)
        preview_text = match.preview.split("…")[0]
        assert "…" in match.preview or kind == "private-key"
        if kind == "private-key":
            assert match.preview.startswith("-----BEGIN")
            continue
        # The visible part is short: at most 8 characters of a string of 20 or more.
        assert len(preview_text) <= 8
        assert preview_text in line


def test_line_numbers_and_order() -> None:
    rng = random.Random(11)
    github = f"ghp_{rand(rng, ALNUM, 36)}"
    aws = f"AKIA{rand(rng, UPPER_DIGITS, 16)}"
    text = f"first line\nsecond {aws}\nthird\nfourth {github}\n"
    matches = find_secrets(text)
    assert matches == [
        SecretMatch(kind="aws-access-key-id", line=2, preview=f"{aws[:4]}… (20 chars)"),
        SecretMatch(kind="github-token", line=4, preview=f"{github[:8]}… (40 chars)"),
    ]


def test_vendor_key_in_an_assignment_is_reported_once_by_vendor() -> None:
    rng = random.Random(12)
    text = f'api_key = "sk-proj-{rand(rng, URLSAFE, 100)}"'
    assert [m.kind for m in find_secrets(text)] == ["openai-api-key"]


def test_aws_secret_needs_an_aws_marker_nearby() -> None:
    rng = random.Random(13)
    value = rand(rng, BASE64, 40)
    assert find_secrets(f"checksum {value}") == []
    assert [m.kind for m in find_secrets(f"AWS secret {value}")] == ["aws-secret-access-key"]
    on_next_line = f"AWS credentials for the deploy user:\n  secret: {value}\n"
    assert [(m.kind, m.line) for m in find_secrets(on_next_line)] == [("aws-secret-access-key", 2)]
    two_lines_down = f"AWS notes:\nuser: deploy\nchecksum {value}\n"
    assert find_secrets(two_lines_down) == []
    # Far from the marker it still counts when a secret-named key holds it.
    named = f"AWS notes:\nuser: deploy\nsecret: {value}\n"
    assert [m.kind for m in find_secrets(named)] == ["secret-assignment"]


def test_key_embedded_in_a_longer_token_is_not_split_out() -> None:
    rng = random.Random(14)
    assert find_secrets(f"xAKIA{rand(rng, UPPER_DIGITS, 16)}") == []
    assert find_secrets(f"AKIA{rand(rng, UPPER_DIGITS, 20)}") == []


def test_private_key_header_alone_is_not_a_secret() -> None:
    text = "-----BEGIN EC PRIVATE KEY-----\n(key material removed)\n-----END EC PRIVATE KEY-----"
    assert find_secrets(text) == []


def test_encrypted_and_json_embedded_private_keys_are_caught() -> None:
    rng = random.Random(15)
    body = rand(rng, BASE64, 64)
    encrypted = (
        "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"
        f"DEK-Info: AES-128-CBC,{rand(rng, '0123456789ABCDEF', 32)}\n\n{body}\n"
    )
    embedded = f'{{"private_key": "-----BEGIN PRIVATE KEY-----\\n{body}\\n"}}'
    assert [m.kind for m in find_secrets(encrypted)] == ["private-key"]
    assert [m.kind for m in find_secrets(embedded)] == ["private-key"]


def test_kinds_are_listed() -> None:
    from tests.secrets_corpus import REPORTED_AS

    reported = {kind for seed in (1, 2) for kind, _ in fake_corpus(seed)}
    assert reported | set(REPORTED_AS.values()) == set(SECRET_KINDS)


# -- the floors that keep prose and placeholders out, pinned from both sides ------------------


def test_a_real_key_that_repeats_characters_by_chance_is_caught() -> None:
    # Random 16-character AWS key ids fall this low about once in five hundred.
    assert [m.kind for m in find_secrets("key AKIABRVFFVVDF2BLBLVL in use")] == [
        "aws-access-key-id"
    ]
    # A token drawn from a small alphabet (hex) sits well below a base62 one in entropy.
    hex_tail = "63fd0f09edf2f8dfeafd1ff10f283f3d0211"
    assert [m.kind for m in find_secrets(f"ghp_{hex_tail}")] == ["github-token"]


@pytest.mark.parametrize(
    "text",
    [
        "key AKIA000000000ABCDEFG in the docs",  # short tail, mostly one character
        "ghp_abc123abc123abc123abc123abc123abc123 in the README",  # typed pattern
        "sk_live_abc123abc123abc123abc123 as the sample",  # 24 characters: the long floor
        'password = "abc123abc123abc123"',
    ],
)
def test_typed_placeholders_are_not_secrets(text: str) -> None:
    assert find_secrets(text) == []


def test_a_token_shape_inside_a_longer_run_is_not_a_token() -> None:
    rng = random.Random(21)
    token = f"ghp_{rand(rng, ALNUM, 36)}"
    assert [m.kind for m in find_secrets(f"old {token} here")] == ["github-token"]
    assert find_secrets(f"branch {token}-fix-login") == []
    assert find_secrets(f"name {token}_backup") == []
    assert find_secrets(f"blob ghp_{rand(rng, ALNUM, 300)}") == []


def test_a_url_held_by_a_secret_named_key_is_a_pointer_not_a_secret() -> None:
    text = "access_token: https://vault.internal/v1/kv/Zq8Rk2Vx9Lm4TpW7"
    assert find_secrets(text) == []
    rng = random.Random(22)
    assert [m.kind for m in find_secrets(f"access_token: {rand(rng, ALNUM, 30)}")] == [
        "secret-assignment"
    ]


# -- AWS secret keys: only with a marker on their line or the line before -----------------------

AWS_SECRET = "zA3hq9fv2F0zdCsqB9XUFddLpfa7OO23zhGzX2th"  # random; repeats keep it under 4.5 bits


@pytest.mark.parametrize(
    ("text", "caught"),
    [
        (f"{AWS_SECRET} is the AWS secret", True),
        (f"aws credentials\nkey {AWS_SECRET}", True),
        (f"intro\naws credentials\nkey {AWS_SECRET}\nmore", True),
        (f"aws credentials\n\nkey {AWS_SECRET}", False),  # two lines up: not about it
        (f"key {AWS_SECRET}\naws is the next topic", False),  # the line after: not about it
        (f"first line\nkey {AWS_SECRET} for aws", True),
        ("aws deploy at commit 3f9a2c4e8b1d7f6a5e4c3b2a1f0e9d8c7b6a5f4e", False),  # a SHA-1
        ("aws note: AAAAAAAAAAbbbbbbbbbbCCCCCCCCCC1111111111", False),  # not random
    ],
)
def test_an_aws_secret_needs_a_marker_on_its_line_or_the_one_before(
    text: str, caught: bool
) -> None:
    kinds = [m.kind for m in find_secrets(text)]
    assert kinds == (["aws-secret-access-key"] if caught else [])


# -- secret-named assignments ------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["NqVwYS81exampleVP7Hb1DX", "xE3pyIgKchangemepaUnArl6", "NNCiia3aplaceholdernXn9k3ks",
     "Sm995ytbyour_xAk7jqev", "Sm995ytbYOUR_xAk7jqev", "$Xy7Qm2Lp9Zt4Rk8W"],
)  # fmt: skip
def test_placeholders_and_variables_in_an_assignment_are_not_secrets(value: str) -> None:
    assert find_secrets(f'password = "{value}"') == []


def test_the_same_values_without_their_marker_are_secrets() -> None:
    for value in ("NqVwYS81xYq7ZVP7Hb1DX", "Xy7Qm2Lp9Zt4Rk8W"):
        assert [m.kind for m in find_secrets(f"password = {value}")] == ["secret-assignment"]


def test_a_key_name_must_start_a_word_or_a_camel_case_part() -> None:
    rng = random.Random(31)
    value = rand(rng, ALNUM, 20)
    assert [m.kind for m in find_secrets(f"dbPassword = {value}")] == ["secret-assignment"]
    assert [m.kind for m in find_secrets(f"password = {value}")] == ["secret-assignment"]
    assert find_secrets(f"bypass = {value}") == []
    assert find_secrets(f"XPASSWORD = {value}") == []


def test_a_short_assignment_needs_more_randomness_than_a_vendor_key() -> None:
    assert find_secrets('password = "aB1aB1aB1aB1cD2cD2"') == []  # 18 characters, 6 distinct


def test_keys_without_upper_case_are_not_taken_for_vendor_keys() -> None:
    rng = random.Random(9)
    lower = "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(40))
    assert find_secrets(f"sk-{lower}") == []
    assert find_secrets(f"sk-ant-{lower}") == []


# -- previews, order and line numbers ----------------------------------------------------------


def test_previews_show_little_of_an_unprefixed_secret() -> None:
    [assignment] = find_secrets("password = Xy7Qm2Lp9Zt4Rk8Wq3Vn5Bc1")  # 24 characters
    assert assignment.preview == "Xy7… (24 chars)"
    [url] = find_secrets("postgres://app:Qm2Lp9Zt4Rk8Wq3V@db.internal/app")  # 16
    assert url.preview == "Qm… (16 chars)"
    rng = random.Random(32)
    hook = (
        f"https://hooks.slack.com/services/T{rand(rng, UPPER_DIGITS, 8)}/"
        f"B{rand(rng, UPPER_DIGITS, 8)}/{rand(rng, ALNUM, 24)}"
    )
    [webhook] = find_secrets(f"post to {hook}")
    shown = hook.removeprefix("https://")
    assert webhook.preview == f"{shown[:8]}… ({len(shown)} chars)"


def test_every_match_of_a_detector_is_looked_at() -> None:
    rng = random.Random(33)
    real = f"ghp_{rand(rng, ALNUM, 36)}"
    text = f"ghp_{'x' * 36} is the placeholder; the real one was {real}"
    assert [m.kind for m in find_secrets(text)] == ["github-token"]
    openai = f"OPENAI_API_KEY=sk-proj-{rand(rng, URLSAFE, 60)}"
    both = f"{openai}\npassword = {rand(rng, ALNUM, 20)}"
    assert [(m.kind, m.line) for m in find_secrets(both)] == [
        ("openai-api-key", 1),
        ("secret-assignment", 2),
    ]


def test_a_leading_newline_counts_as_a_line() -> None:
    rng = random.Random(34)
    assert [m.line for m in find_secrets(f"\nghp_{rand(rng, ALNUM, 36)}")] == [2]


# -- redaction: what is cut, and what is kept -------------------------------------------------


def test_redact_replaces_each_secret_and_keeps_everything_else() -> None:
    rng = random.Random(41)
    github = f"ghp_{rand(rng, ALNUM, 36)}"
    aws = f"AKIA{rand(rng, UPPER_DIGITS, 16)}"
    text = f"Deploy notes.\ntoken {github} (rotated)\nid {aws}\nend"
    assert redact(text) == (
        "Deploy notes.\ntoken [credential removed by memdir: github-token] (rotated)\n"
        "id [credential removed by memdir: aws-access-key-id]\nend",
        2,
    )


def test_redact_leaves_clean_text_alone() -> None:
    assert redact(PROSE) == (PROSE, 0)


def test_a_private_key_is_cut_up_to_its_end_line() -> None:
    rng = random.Random(42)
    body = "\n".join(rand(rng, BASE64, 64) for _ in range(3))
    block = f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----"
    assert redact(f"before\n{block}\nafter") == (
        "before\n[credential removed by memdir: private-key]\nafter",
        1,
    )


def test_a_private_key_without_its_end_line_is_cut_through_its_material() -> None:
    rng = random.Random(43)
    body = "\n".join(rand(rng, BASE64, 64) for _ in range(3))
    plain = f"before\n-----BEGIN RSA PRIVATE KEY-----\n{body}\nafter the paste"
    assert redact(plain) == (
        "before\n[credential removed by memdir: private-key]\nafter the paste",
        1,
    )
    # Encrypted PEM: headers, a blank line, then the material. All of it goes.
    encrypted = (
        "before\n-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"
        f"DEK-Info: AES-128-CBC,{rand(rng, '0123456789ABCDEF', 32)}\n\n{body}\nafter the paste"
    )
    assert redact(encrypted) == (
        "before\n[credential removed by memdir: private-key]\nafter the paste",
        1,
    )


def test_an_end_line_is_looked_for_within_twenty_thousand_characters() -> None:
    # Beyond that the key is cut through its material only: the search stays bounded on
    # a huge file, and an END line that far away is not this key's.
    rng = random.Random(44)
    begin = "-----BEGIN PRIVATE KEY-----"
    end = "-----END PRIVATE KEY-----"
    line = rand(rng, BASE64, 63) + "\n"
    for reach, cut_whole in ((20_000, True), (20_001, False)):
        # BEGIN, newline, body, newline, END: END's last character `reach` past BEGIN.
        body = (line * (reach // len(line) + 1))[: reach - len(end) - 2]
        body = body.removesuffix("\n") + ("=" if body.endswith("\n") else "")
        text = f"{begin}\n{body}\n{end}"
        assert len(text) - len(begin) == reach
        redacted, count = redact(text)
        assert count == 1
        if cut_whole:
            assert redacted == "[credential removed by memdir: private-key]"
        else:
            assert redacted.endswith(f"\n{end}")


def test_secrets_that_touch_are_each_found() -> None:
    rng = random.Random(45)
    aws = f"AKIA{rand(rng, UPPER_DIGITS, 16)}"
    body = "\n".join(rand(rng, BASE64, 64) for _ in range(2))
    key = f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----"
    github = f"ghp_{rand(rng, ALNUM, 36)}"
    found = find_secrets(f"{aws}{key}{github}")
    assert [m.kind for m in found] == ["aws-access-key-id", "private-key", "github-token"]


@pytest.mark.parametrize(
    "kind", ["password-variable", "azure-storage-key", "azure-sas-signature", "twilio-auth-token"]
)
def test_values_without_a_public_prefix_show_at_most_four_characters(kind: str) -> None:
    from urllib.parse import unquote

    from tests.secrets_corpus import KINDS

    line = KINDS[kind](random.Random(46))
    value = {
        "password-variable": lambda: line.split("=", 1)[1],
        "azure-storage-key": lambda: line.split("Key=", 1)[1].split(";")[0],
        "azure-sas-signature": lambda: line.split("g=")[-1],
        "twilio-auth-token": lambda: line.split("=", 1)[1],
    }[kind]()
    [match] = find_secrets(line)
    assert match.kind == kind
    shown = min(4, len(value) // 8)
    assert match.preview == f"{value[:shown]}… ({len(value)} chars)", unquote(value)


# -- bare 32-hex tokens: only with a Twilio marker on their own line ---------------------------

TWILIO_HEX = "5c9e0b7d41f2a8e63d0c9b71e4a2f58d"


@pytest.mark.parametrize(
    ("text", "caught"),
    [
        (f"twilio {TWILIO_HEX}", True),  # marker first on the first line
        (f"auth_token {TWILIO_HEX} rotated", True),
        (f"{TWILIO_HEX} is the twilio auth token", True),  # marker after it
        (f"{TWILIO_HEX} twilio", True),  # marker ending the text
        (f"intro\n{TWILIO_HEX} is the twilio token", True),  # on a later line
        (f"intro\nour twilio account\n{TWILIO_HEX}", False),  # the line before: not enough
        (f"intro\ntwilio notes\nsome line\nvalue {TWILIO_HEX}", False),
        (f"value {TWILIO_HEX}\nTwilio is the next topic\nand more", False),  # the line after
        (f"commit {TWILIO_HEX} in the build", False),  # no marker: a hash, not a token
        ("twilio 0000000011111111aaaaaaaabbbbbbbb", False),  # not random
    ],
)
def test_a_bare_hex_token_needs_a_twilio_marker_on_its_line(text: str, caught: bool) -> None:
    kinds = [m.kind for m in find_secrets(text)]
    assert kinds == (["twilio-auth-token"] if caught else [])


# -- passwords in URLs outside database schemes: generated-looking ones only -------------------


@pytest.mark.parametrize(
    ("password", "caught"),
    [
        ("Xk29fjQ2mWp7", True),  # 12 characters, mixed: the shortest that counts
        ("Xk29fjQ2mWp", False),  # 11
        ("k29fjq2mwp7zt4", True),  # letters and digits, one case
        ("qzkvbxwmtrplnfgh", False),  # letters only, one case: a word-like choice
        ("3f9a2c4e8b1d7f6a5e4c", True),  # hex, random
        ("212a2200332245332364", False),  # hex, too regular for its alphabet
        ("CorrectHorseBattery9", False),  # words
    ],
)
def test_a_url_password_outside_databases_must_look_generated(password: str, caught: bool) -> None:
    kinds = [m.kind for m in find_secrets(f"mirror https://deploy:{password}@git.internal/x")]
    assert kinds == (["url-credentials"] if caught else [])


@pytest.mark.parametrize(
    ("password", "caught"),
    [
        ("abc123", True),  # six characters, not only letters
        ("abc12", False),  # five
        ("abcdefghij", True),  # ten letters
        ("abcdefghi", False),  # nine letters: likely a word or a name
    ],
)
def test_a_database_url_password_is_caught_from_six_characters(password: str, caught: bool) -> None:
    kinds = [m.kind for m in find_secrets(f"db postgres://app:{password}@db.internal/app")]
    assert kinds == (["url-credentials"] if caught else [])


# -- password variables: placeholders left alone ------------------------------------------------


@pytest.mark.parametrize(
    ("value", "caught"),
    [
        ("Xk29fjQ2", True),  # starts with a letter that is not a placeholder sign
        ("abcdabcd", True),  # four distinct characters are enough
        ("abcabcab", False),  # three are not
        ("k2Jq9x", True),  # six characters
        ("k2Jq9", False),  # five
        ("Postgres", False),  # a placeholder, whatever its case
        ("postgres", False),
        ("${DB_PASS}", False),
        ("%DB_PASS%", False),
        ("<password>", False),
        ("*****", False),
        ("my-example-pw", False),
        ("ChangeMe2024", False),
        ("the-placeholder", False),
        ("YourPassword1", False),
        ("pwxxx123", False),
    ],
)
def test_a_password_variable_skips_placeholders(value: str, caught: bool) -> None:
    kinds = [m.kind for m in find_secrets(f"export {'PGPASS' + 'WORD'}={value}")]
    assert kinds == (["password-variable"] if caught else [])


# -- the randomness floors, at their edges ---------------------------------------------------


def test_six_distinct_characters_are_enough_five_are_not() -> None:
    rng = random.Random(51)
    six = list("Q7Z2KM" * 3)[:16]
    rng.shuffle(six)
    assert len(set(six)) == 6
    assert [m.kind for m in find_secrets(f"id AKIA{''.join(six)}")] == ["aws-access-key-id"]
    five = "".join(rng.choice("Q7Z2K") for _ in range(16))
    assert find_secrets(f"id AKIA{five}") == []


def test_a_tail_exactly_at_the_entropy_floor_counts() -> None:
    # Eight characters five times each: exactly 3.0 bits, the floor for long tails.
    chars = list("aB3cD5eF" * 5)
    random.Random(52).shuffle(chars)
    assert [m.kind for m in find_secrets(f"ghp_{''.join(chars)}")] == ["github-token"]


def test_an_aws_secret_needs_more_entropy_than_other_long_tails() -> None:
    low = "aBB53DDgcgag3ee757F7Daa5F5ee7373cca35337"  # 3.2 bits: random-ish, too regular
    assert find_secrets(f"AWS secret {low}") == []
    assert [m.kind for m in find_secrets(f"AWS secret {AWS_SECRET}")] == ["aws-secret-access-key"]


def test_a_hex_value_of_a_secret_key_has_its_own_floor() -> None:
    # 2.9 bits: under the 3.0 of other long values, enough for a 16-letter alphabet.
    assert [m.kind for m in find_secrets("api_key: 21417776317066074315000806360837")] == [
        "secret-assignment"
    ]


def test_a_key_name_counts_within_64_characters_of_its_value() -> None:
    value = "Xy7Qm2Lp9Zt4Rk8Wq3Vn"
    assert [m.kind for m in find_secrets("password" + " " * 56 + f"= {value}")] == [
        "secret-assignment"
    ]
    assert find_secrets("password" + " " * 57 + f"= {value}") == []


@pytest.mark.parametrize("marker", ["placeholder", "your_"])
def test_a_marked_value_in_an_assignment_is_not_a_secret(marker: str) -> None:
    value = f"Xk9Qz7Wm2Rt5{marker}Vb8Nc4Lp6"
    assert find_secrets(f'password = "{value}"') == []
    assert [m.kind for m in find_secrets(f'password = "{value.replace(marker, "")}Hj3"')] == [
        "secret-assignment"
    ]


@pytest.mark.parametrize(
    ("signature", "caught"),
    [
        ("FgcikD33ai4gBFL4975c7ea77e5gg93NHiLF5Fk734ga", True),  # 3.9 bits
        ("cg735gFHgBgaFD7ccF77FeH3cH37eaHB3gaDaDFgeeeg", False),  # 3.3 bits: too regular
        ("FgcikD33ai4gBFL4975c7ea77e5gg93NHiLF5Fk7", True),  # 40 characters
        ("FgcikD33ai4gBFL4975c7ea77e5gg93NHiLF5Fk", False),  # 39
    ],
)
def test_an_azure_sas_signature_is_long_and_random(signature: str, caught: bool) -> None:
    url = f"https://acct.blob.core.windows.net/c/f.csv?sv=2022-11-02&sp=r&{'si' + 'g'}={signature}"
    kinds = [m.kind for m in find_secrets(url)]
    assert kinds == (["azure-sas-signature"] if caught else [])


def test_an_aws_secret_looks_only_at_its_line_and_the_one_before() -> None:
    assert find_secrets(f"intro\naws creds\nunrelated\nkey {AWS_SECRET}") == []
    assert find_secrets(f"key {AWS_SECRET}\naws next\nend") == []


def test_spaces_after_the_armour_line_do_not_keep_the_key_visible() -> None:
    rng = random.Random(47)
    body = "\n".join(rand(rng, BASE64, 64) for _ in range(2))
    text = f"before\n-----BEGIN RSA PRIVATE KEY-----  \n{body}\nafter"
    assert redact(text) == ("before\n[credential removed by memdir: private-key]\nafter", 1)


@pytest.mark.parametrize(
    ("value", "caught"),
    [
        ("Kite7Mole3Q91Z48", False),  # 80% of its letters in word-like runs: a name
        ("Kite7Mol3Q91Z48Y", True),  # 70%
        ("Kitten7XQZR3918452", False),  # 60%, in long runs: a name
        ("Kitten7XQZRW391845", True),  # 55%
    ],
)
def test_a_value_mostly_made_of_words_is_a_name(value: str, caught: bool) -> None:
    kinds = [m.kind for m in find_secrets(f'password = "{value}"')]
    assert kinds == (["secret-assignment"] if caught else [])
