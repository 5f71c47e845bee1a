"""Fake credentials built at run time (never committed in a shape scanners flag), and prose.

`corpus(seed)` gives ten examples of each kind; the values are random, made from parts, so
no string in this file is a credential and each run draws new ones.
"""

from __future__ import annotations

import base64
import random
import string
import uuid
from collections.abc import Callable
from urllib.parse import quote

UPPER_DIGITS = string.ascii_uppercase + string.digits
ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"
BASE64 = ALNUM + "+/"
HEX = "0123456789abcdef"
LOWER = string.ascii_lowercase


def rand(rng: random.Random, alphabet: str, n: int) -> str:
    """Random text from `alphabet` holding each of its character classes at least once."""
    while True:
        value = "".join(rng.choice(alphabet) for _ in range(n))
        wanted = [
            any(c.isupper() for c in value) or not any(c.isupper() for c in alphabet),
            any(c.islower() for c in value) or not any(c.islower() for c in alphabet),
            any(c.isdigit() for c in value) or not any(c.isdigit() for c in alphabet),
        ]
        if all(wanted):
            return value


def _b64(rng: random.Random, size: int) -> str:
    return base64.b64encode(rng.randbytes(size)).decode()


def _jwt(rng: random.Random) -> str:
    head = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').decode().rstrip("=")
    body = base64.urlsafe_b64encode(f'{{"sub":"{rand(rng, ALNUM, 10)}"}}'.encode()).decode()
    return f"{head}.{body.rstrip('=')}.{rand(rng, URLSAFE, 43)}"


def _pem(rng: random.Random) -> str:
    armour = "-----{} RSA PRIVATE KEY-----"
    lines = "\n".join(_b64(rng, 48) for _ in range(4))
    return f"{armour.format('BEGIN')}\n{lines}\n{armour.format('END')}"


# kind -> a line holding one credential of that kind. Prefixes are joined from parts.
KINDS: dict[str, Callable[[random.Random], str]] = {
    "aws-access-key-id": lambda r: f"key id {'AK' + 'IA'}{rand(r, UPPER_DIGITS, 16)} in prod",
    "aws-secret-access-key": lambda r: f"aws_secret_access_key = {rand(r, BASE64, 40)}",
    "github-token": lambda r: f"CI token {'gh' + 'p_'}{rand(r, ALNUM, 36)}",
    "slack-token": lambda r: (
        f"{'xo' + 'xb'}-{r.randint(10**11, 10**12)}-{r.randint(10**12, 10**13)}-"
        f"{rand(r, ALNUM, 24)}"
    ),
    "slack-webhook": lambda r: (
        f"post to https://hooks.{'sla' + 'ck'}.com/services/T{rand(r, UPPER_DIGITS, 8)}/"
        f"B{rand(r, UPPER_DIGITS, 8)}/{rand(r, ALNUM, 24)}"
    ),
    "anthropic-api-key": lambda r: f"{'sk-' + 'ant-'}api03-{rand(r, URLSAFE, 93)}AA",
    "openai-api-key": lambda r: f"{'sk-' + 'proj-'}{rand(r, URLSAFE, 100)}",
    "google-api-key": lambda r: f"maps key {'AI' + 'za'}{rand(r, URLSAFE, 35)}",
    "stripe-live-key": lambda r: f"{'sk_' + 'live_'}{rand(r, ALNUM, 28)}",
    "npm-token": lambda r: f"//registry.npmjs.org/:_authToken={'np' + 'm_'}{rand(r, ALNUM, 36)}",
    "jwt": lambda r: f"Authorization: Bearer {_jwt(r)}",
    "private-key": _pem,
    "url-credentials": lambda r: (
        f"postgres://billing:{rand(r, LOWER, 14) if r.random() < 0.5 else rand(r, HEX, 16)}"
        f"@db.internal:5432/billing"
    ),
    "azure-storage-key": lambda r: (
        f"DefaultEndpointsProtocol=https;AccountName=acct{r.randint(1, 99)};"
        f"{'Account' + 'Key'}={_b64(r, 64)};EndpointSuffix=core.windows.net"
    ),
    "azure-sas-signature": lambda r: (
        f"https://acct.blob.core.windows.net/c/f.csv?sv=2022-11-02&sp=r&se=2027-01-01&"
        f"{'si' + 'g'}={quote(_b64(r, 32), safe='')}"
    ),
    "password-variable": lambda r: f"{'PGPASS' + 'WORD'}={rand(r, LOWER, 11)}",
    "npm-legacy-token": lambda r: (
        f"//registry.npmjs.org/:{'_auth' + 'Token'}={uuid.UUID(int=r.getrandbits(128))}"
    ),
    "twilio-api-key": lambda r: f"twilio key {'S' + 'K'}{rand(r, HEX, 32)}",
    "twilio-auth-token": lambda r: f"TWILIO_AUTH_TOKEN={rand(r, HEX, 32)}",
    "secret-assignment": lambda r: f'client_secret = "{rand(r, ALNUM, 32)}"',
}

#: The kind `find_secrets` reports for each corpus kind (two corpus kinds share one).
REPORTED_AS = {kind: kind for kind in KINDS} | {"npm-legacy-token": "npm-token"}


def corpus(seed: int, per_kind: int = 10) -> list[tuple[str, str]]:
    """(corpus kind, line holding one fake credential): `per_kind` of each kind."""
    rng = random.Random(seed)
    return [(kind, make(rng)) for kind, make in KINDS.items() for _ in range(per_kind)]


_SUBJECTS = (
    "The API token", "Our password policy", "The signing key", "The session token",
    "The cache key", "Each hash", "The refresh token", "The access key rotation",
    "The SSH key", "The bcrypt hash", "The OAuth client secret", "The webhook secret",
    "The primary key", "The token bucket", "The JWT expiry", "The database password",
)  # fmt: skip
_PREDICATES = (
    "is read from the environment at start-up and never logged",
    "lives in the vault under kv/prod/{team}; ask the {team} team for access",
    "rotates every {n} days, and the old one stays valid for {m} hours",
    "must be at least {n} characters long and is checked with zxcvbn",
    "is hashed with argon2id ({n} MiB, {m} passes) before it is stored",
    "is passed as `--token-file`, not on the command line, since ps shows arguments",
    "was revoked on 2026-0{m}-1{m} after the incident review (INC-{n}{m})",
    "comes from `gh auth token` in CI, so nobody pastes it into a workflow",
    "is compared with hmac.compare_digest to avoid timing leaks",
    "has a budget of {n} tokens per minute per tenant",
    "is looked up by load_{team}_secret() from the keychain on macOS",
    "is set as password = settings.DATABASE_PASSWORD in the {team} service",
    "is written as api_key = os.environ[\"{upper}_API_KEY\"] in every client",
    "uses the placeholder token: ${{{upper}_TOKEN}} in the sample config",
    "defaults to postgres://app:password@localhost:5432/app for local development",
    "appears in docs as AKIAIOSFODNN7EXAMPLE, the documented example value",
    "covers the column auth_token, a UUID foreign key to sessions",
    "is the SHA-256 of the payload, sent in the X-Signature header",
    "needs the `{team}:write` scope; read-only keys cannot publish",
    "expires after {n} minutes of inactivity, then the user signs in again",
)  # fmt: skip
_TEAMS = ("billing", "payments", "search", "platform", "identity", "growth", "infra", "mobile")


def prose(lines: int = 240, seed: int = 5) -> list[str]:
    """Engineering sentences about tokens, keys, hashes and passwords: none is a secret."""
    rng = random.Random(seed)
    out = []
    for _ in range(lines):
        team = rng.choice(_TEAMS)
        predicate = rng.choice(_PREDICATES).format(
            team=team, upper=team.upper(), n=rng.randint(8, 99), m=rng.randint(1, 9)
        )
        out.append(f"{rng.choice(_SUBJECTS)} {predicate}.")
    return out
