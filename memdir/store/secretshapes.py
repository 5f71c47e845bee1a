"""The shapes credentials have: each detector a pattern, the kind it reports, and a check.

Each detector is a shape that real credentials have and prose does not: a vendor prefix
plus a long random-looking tail, a private-key armour line followed by key material, or
an assignment to a secret-named key whose value looks random. Precision comes first: a
memory that merely talks about tokens, passwords or keys must pass untouched, so every
candidate also has to look random (see `_looks_random`). `memdir.store.secrets` runs
them over a text.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable


def _entropy(text: str) -> float:
    """Shannon entropy in bits per character."""
    counts = Counter(text)
    total = len(text)
    return -sum(n / total * math.log2(n / total) for n in counts.values())


def _looks_random(tail: str, *, min_entropy: float | None = None) -> bool:
    """True for a tail that looks generated rather than typed.

    Trigger: placeholders such as ``ghp_xxxxxxxx...`` or ``AKIAIOSFODNN7EXAMPLE`` have the
    right shape. Why: documentation and memories quote them, and they are not secrets.
    Outcome: low entropy, few distinct characters or the word "example" reject a match.
    """
    if "example" in tail.lower() or len(set(tail)) < 6:
        return False
    if min_entropy is None:
        # Short random strings repeat characters by chance: 16 random characters from
        # [A-Z0-9] fall to about 2.6 bits, 36 of them stay above 3.6.
        min_entropy = 2.4 if len(tail) < 24 else 3.0
    return _entropy(tail) >= min_entropy


def _mixed(value: str) -> bool:
    """Upper case, lower case and digits all present (generated keys almost always are)."""
    return (
        any(c.isupper() for c in value)
        and any(c.islower() for c in value)
        and any(c.isdigit() for c in value)
    )


_HEX = re.compile(r"[0-9a-fA-F]{32,}")
_AWS_MARKER = re.compile(r"(?i)(?<![a-z0-9])aws(?![a-z0-9])")

# A "tail" group marks the random part that the entropy check looks at.
_Check = Callable[[re.Match[str], str], bool]


def _tail_random(match: re.Match[str], _text: str) -> bool:
    return _looks_random(match.group("tail"))


def _tail_random_mixed(match: re.Match[str], _text: str) -> bool:
    tail = match.group("tail")
    return _looks_random(tail) and _mixed(tail)


def _aws_secret(match: re.Match[str], text: str) -> bool:
    """A 40-character base64 string counts only with an AWS marker on its line or the one before."""
    tail = match.group("tail")
    if not (_mixed(tail) and _looks_random(tail, min_entropy=3.5)):
        return False
    line_start = text.rfind("\n", 0, match.start()) + 1
    previous_start = text.rfind("\n", 0, max(line_start - 1, 0)) + 1 if line_start else 0
    line_end = text.find("\n", match.end())
    line_end = len(text) if line_end == -1 else line_end
    # The match itself is left out: a random tail can spell "aWs" by chance.
    window = text[previous_start : match.start()] + " " + text[match.end() : line_end]
    return _AWS_MARKER.search(window) is not None


# After the armour line: optional "Name: value" headers (encrypted PEM), then a line of
# base64. JSON-embedded keys (service-account files) separate lines with a literal "\n".
_NL = r"(?:\r?\n|\\n)"
_KEY_MATERIAL = re.compile(
    rf"[ \t]*{_NL}(?:[A-Za-z-]+:[^\n]*{_NL})*(?:[ \t]*{_NL})?[ \t]*[A-Za-z0-9+/=]{{40,}}"
)


def _private_key(match: re.Match[str], text: str) -> bool:
    """An armour line counts when key material follows, not when prose quotes the header."""
    return _KEY_MATERIAL.match(text, match.end()) is not None


_LETTER_RUN = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
_VOWEL = re.compile(r"[aeiouyAEIOUY]")


def _wordy(value: str) -> bool:
    """Mostly made of pronounceable words (``Ed25519PrivateKey``, ``settings.DB_PASSWORD``).

    Trigger: type annotations and references to other names sit where a value would.
    Why: in generated strings the case flips every character or two, so letter runs of
    three or more holding a vowel are rare; in names they are almost all of the letters.
    Outcome: such runs holding 80% of the letters (60% when runs average 3.5 letters or
    more) mark the value as a name. Measured: 1-2% of random 16-20 character mixed-case
    strings, 95% of long mixed-case identifiers with digits from installed packages.
    """
    runs = _LETTER_RUN.findall(value)
    letters = sum(map(len, runs))
    if not letters:
        return False
    wordlike = sum(len(r) for r in runs if len(r) >= 3 and _VOWEL.search(r)) / letters
    return wordlike >= 0.8 or (letters / len(runs) >= 3.5 and wordlike >= 0.6)


def _generic_value(match: re.Match[str], text: str) -> bool:
    """A secret-named assignment counts only when its literal value looks generated."""
    window = text[max(0, match.start() - 64) : match.start()]
    key = _SECRET_KEY.search(window)
    if key is None:
        return False
    # The key name starts a word or a camelCase part ("DB_PASSWORD", "dbPassword"), so
    # "bypass = ..." is not a password.
    before = window[key.start() - 1] if key.start() else " "
    if before.isalnum() and not (before.islower() and window[key.start()].isupper()):
        return False
    value = match.group("tail")
    lowered = value.lower()
    # ("example" too, but `_looks_random` below already refuses it.)
    if any(marker in lowered for marker in ("changeme", "placeholder", "your_")):
        return False
    if "://" in value or value.startswith("$"):
        return False
    if _HEX.fullmatch(value):
        return _looks_random(value, min_entropy=2.9)
    return _mixed(value) and not _wordy(value) and _looks_random(value, min_entropy=3.3)


_PLACEHOLDERS = frozenset(
    "password passwd pass pwd secret changeme test testing admin root guest user username "
    "postgres postgresql mysql mariadb mongo mongodb redis rabbit rabbitmq dev local "
    "localhost default sample dummy demo".split()
)


def _placeholder(value: str) -> bool:
    """A value that stands for a password in docs ("password", "${DB_PASS}", "<pw>", "***")."""
    lowered = value.lower()
    if lowered in _PLACEHOLDERS or value[:1] in "$%{<[*" or len(set(value)) < 4:
        return True
    return any(word in lowered for word in ("example", "changeme", "placeholder", "your", "xxx"))


def _url_password(match: re.Match[str], _text: str) -> bool:
    """A password in a URL: any non-placeholder one for a database or broker scheme (people
    choose those by hand, all lower case or hex); elsewhere only a generated-looking one."""
    value = match.group("tail")
    if _placeholder(value):
        return False
    if match.group("scheme").lower() in _DB_SCHEMES:
        return len(value) >= 6 and (len(value) >= 10 or not value.isalpha())
    if len(value) < 12:
        return False
    if _HEX.fullmatch(value) or re.fullmatch(r"[0-9a-f]{16,}", value):
        return _looks_random(value, min_entropy=2.9)
    letters_digits = any(c.isdigit() for c in value) and any(c.isalpha() for c in value)
    return (_mixed(value) or letters_digits) and not _wordy(value) and _looks_random(value)


_DB_SCHEMES = frozenset(
    "postgres postgresql mysql mariadb mongodb mongodb+srv redis rediss amqp amqps mssql "
    "sqlserver cockroachdb clickhouse oracle db2 couchdb neo4j".split()
)


def _not_placeholder(match: re.Match[str], _text: str) -> bool:
    value = match.group("tail")
    return not _placeholder(value) and len(value) >= 6


_TWILIO_MARKER = re.compile(r"(?i)twilio|auth[_-]?token")


def _twilio_marker_near(match: re.Match[str], text: str) -> bool:
    """A bare 32-hex token counts when a Twilio marker is on its line (outside the match)
    and it looks random: its shape alone says nothing.

    A plain function rather than a closure built at import, so what it does happens at
    check time (where mutation testing can reach it)."""
    # 32 characters: the 3.0-bit floor of long tails.
    if not _looks_random(match.group("tail")):
        return False
    start = text.rfind("\n", 0, match.start()) + 1
    end = text.find("\n", match.end())
    line = text[start : match.start()] + " " + text[match.end() : len(text) if end < 0 else end]
    return _TWILIO_MARKER.search(line) is not None


def _sas_signature(match: re.Match[str], _text: str) -> bool:
    from urllib.parse import unquote

    value = unquote(match.group("tail"))
    return len(value) >= 40 and _looks_random(value, min_entropy=3.5)


_NOT_TOKEN = r"(?![A-Za-z0-9_-])"
_SECRET_KEY_NAMES = (
    r"pass(?:word|wd)?|pwd|secret(?:[_-]?key)?|client[_-]?secret|api[_-]?key|apikey"
    r"|access[_-]?key(?:[_-]?id)?|private[_-]?key|(?:access|auth|refresh|bearer|api)[_-]?token"
    r"|_?authtoken|token"
)

_SECRET_KEY = re.compile(rf"(?i)(?:{_SECRET_KEY_NAMES})[\"']?\s*$")

# Order matters: the first detector to claim a span wins, so vendor shapes precede the
# generic assignment rule that would also match ``api_key = "sk-proj-..."``.
DETECTORS: tuple[tuple[str, re.Pattern[str], _Check], ...] = (
    (
        "private-key",
        re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"),
        _private_key,
    ),
    (
        "slack-webhook",
        re.compile(
            r"https://hooks\.slack\.com/(?:services|workflows|triggers)/"
            r"T[A-Z0-9]{6,}/[A-Z0-9]{6,}/(?P<tail>[A-Za-z0-9]{16,})"
        ),
        _tail_random,
    ),
    ("aws-access-key-id", re.compile(r"\b(?:AKIA|ASIA)(?P<tail>[A-Z0-9]{16})\b"), _tail_random),
    (
        "github-token",
        re.compile(r"\bgh[pousr]_(?P<tail>[A-Za-z0-9]{36,255})" + _NOT_TOKEN),
        _tail_random,
    ),
    (
        "github-token",
        re.compile(r"\bgithub_pat_(?P<tail>[A-Za-z0-9_]{50,255})" + _NOT_TOKEN),
        _tail_random,
    ),
    (
        "slack-token",
        re.compile(r"\bxox[abprs]-(?P<tail>[0-9]{6,}-[A-Za-z0-9-]{10,})" + _NOT_TOKEN),
        _tail_random,
    ),
    (
        "slack-token",
        re.compile(r"\bxapp-\d-(?P<tail>[A-Za-z0-9-]{20,})" + _NOT_TOKEN),
        _tail_random,
    ),
    (
        "anthropic-api-key",
        re.compile(r"\bsk-ant-(?P<tail>[A-Za-z0-9_-]{32,})" + _NOT_TOKEN),
        _tail_random_mixed,
    ),
    (
        "openai-api-key",
        re.compile(
            r"\bsk-(?!ant-)(?:proj-|svcacct-|admin-)?(?P<tail>[A-Za-z0-9_-]{32,})" + _NOT_TOKEN
        ),
        _tail_random_mixed,
    ),
    ("google-api-key", re.compile(r"\bAIza(?P<tail>[0-9A-Za-z_-]{35})" + _NOT_TOKEN), _tail_random),
    (
        "stripe-live-key",
        re.compile(r"\b[sr]k_live_(?P<tail>[0-9A-Za-z]{24,})" + _NOT_TOKEN),
        _tail_random,
    ),
    ("npm-token", re.compile(r"\bnpm_(?P<tail>[A-Za-z0-9]{36})" + _NOT_TOKEN), _tail_random),
    (
        "jwt",
        re.compile(
            r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.(?P<tail>[A-Za-z0-9_-]{16,})"
            + _NOT_TOKEN
        ),
        _tail_random,
    ),
    (
        "aws-secret-access-key",
        re.compile(r"(?<![A-Za-z0-9/+=])(?P<tail>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"),
        _aws_secret,
    ),
    (
        "azure-storage-key",
        re.compile(r"(?i)\bAccountKey\s*=\s*(?P<tail>[A-Za-z0-9+/]{60,}={0,2})"),
        _tail_random,
    ),
    (
        "azure-sas-signature",
        re.compile(r"(?<![A-Za-z0-9_])sig=(?P<tail>[A-Za-z0-9%+/]{30,}(?:%3D|=){0,2})"),
        _sas_signature,
    ),
    (
        "npm-token",
        re.compile(
            r"_authToken\s*=\s*(?P<tail>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
            r"[0-9a-fA-F]{4}-[0-9a-fA-F]{12})(?![0-9a-fA-F-])"
        ),
        _tail_random,
    ),
    ("twilio-api-key", re.compile(r"\bSK(?P<tail>[0-9a-f]{32})\b"), _tail_random),
    (
        "twilio-auth-token",
        re.compile(r"(?<![0-9A-Za-z])(?P<tail>[0-9a-f]{32})(?![0-9A-Za-z])"),
        _twilio_marker_near,
    ),
    (
        "password-variable",
        re.compile(
            r"\b(?:PGPASSWORD|MYSQL_PWD|MYSQL_ROOT_PASSWORD|MYSQL_PASSWORD|POSTGRES_PASSWORD"
            r"|REDIS_PASSWORD|MONGO_INITDB_ROOT_PASSWORD|RABBITMQ_DEFAULT_PASS)"
            r"\s*[=:]\s*(?P<q>[\"']?)(?P<tail>[^\s\"'`]{4,})(?P=q)"
        ),
        _not_placeholder,
    ),
    (
        "url-credentials",
        re.compile(
            r"\b(?P<scheme>[a-z][a-z0-9+.-]*)://[^\s:/@]+:(?P<tail>[^\s:/@]{4,})@[\w.-]+",
            re.IGNORECASE,
        ),
        _url_password,
    ),
    (
        "secret-assignment",
        # Anchored on the separator (rare in prose, and a literal the engine skips to);
        # the key name before it is checked by `_generic_value`.
        re.compile(
            r"(?::=|=>|[:=])\s*(?P<q>[\"'`]?)(?P<tail>[^\s\"'`,;()<>{}\[\]]{16,256}+)(?P=q)"
            r"(?![^\s,;)}\]])"
        ),
        _generic_value,
    ),
)
