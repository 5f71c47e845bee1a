"""`memdir.verify.references`: what a memory's body claims exists, and the note that says what
the check found."""

from __future__ import annotations

import json

import pytest

from memdir.verify.references import MAX_REFERENCES, Reference, extract_references, render_note

# -- extraction ---------------------------------------------------------------------------


EXTRACTS = [
    (
        "See `src/auth/login.py`, ./scripts/deploy.sh and config/settings.yaml.",
        [
            ("src/auth/login.py", "path"),
            ("./scripts/deploy.sh", "path"),
            ("config/settings.yaml", "path"),
        ],
    ),
    (
        "`load_config`, `UserSession`, `parse_args()` and later load_config() again",
        [
            ("load_config", "identifier"),
            ("UserSession", "identifier"),
            ("parse_args", "identifier"),
        ],
    ),
    (
        "Pass `--dry-run`, or --since=2026-03-01 in prose.",
        [("--dry-run", "flag"), ("--since", "flag")],
    ),
    (
        "Reads $DATABASE_URL and `SENTRY_DSN_KEY`.",
        [("DATABASE_URL", "env"), ("SENTRY_DSN_KEY", "env")],
    ),
    (
        "`src/app.py:42` and `lib/x.py#L10-L20`",
        [("src/app.py", "path"), ("lib/x.py", "path")],
    ),
    (
        "`README.md`, `pyproject.toml`, `Makefile` and `src/auth/`",
        [
            ("README.md", "path"),
            ("pyproject.toml", "path"),
            ("Makefile", "path"),
            ("src/auth/", "path"),
        ],
    ),
    (
        "`python scripts/migrate.py --batch-size=10`",
        [("scripts/migrate.py", "path"), ("--batch-size", "flag")],
    ),
    (
        "`config.load_config` and `self.cache_dir`",
        [("config.load_config", "identifier"), ("self.cache_dir", "identifier")],
    ),
]


@pytest.mark.parametrize(("body", "expected"), EXTRACTS)
def test_extracts(body: str, expected: list[tuple[str, str]]) -> None:
    assert extract_references(body) == expected


@pytest.mark.parametrize(
    "body",
    [
        "Released 2026/03/05; half the tests (1/2) pass, and/or km/h, TCP/IP.",
        "Docs at https://example.com/docs/setup.md and www.example.com/a/b.html.",
        "Mirror on github.com/acme/tool/blob/main/setup.py for reference.",
        "We decided — after a long talk — to wait.\n\n---\n\nNext section -- aside.",
        "Always `git push --force-with-lease`; also run npm install --save-dev first.",
        "Uses $HOME and `$PATH`; costs $5 a month.",
        "```\nlocal_helper()\nrun --secret-flag src/x.py\n```",
        "Absolute `/etc/nginx/nginx.conf` and home `~/.config/tool.toml` are not in the project.",
        "`recall`, `Path`, `memory`, `origin/main`, `application/json`, `os.path.join`.",
        "the selector reads only this, so it must be specific (e.g. grafana.internal/board).",
    ],
)
def test_ignores_non_claims(body: str) -> None:
    assert extract_references(body) == []


def test_extraction_dedupes_and_caps() -> None:
    body = " ".join(f"`name_{i}`" for i in range(50)) + " `name_1` `name_1`"
    refs = extract_references(body)
    assert len(refs) == MAX_REFERENCES
    assert refs[:2] == [("name_0", "identifier"), ("name_1", "identifier")]


# -- output ---------------------------------------------------------------------------------


def test_render_note() -> None:
    refs = (
        Reference("src/auth/login.py", "path", "missing"),
        Reference("old/util.py", "path", "moved", "lib/util.py"),
        Reference("src/app.py", "path", "found"),
        Reference("load_config", "identifier", "found"),
    )
    assert render_note(refs) == (
        "names `src/auth/login.py`: not found in the project\n"
        "names `old/util.py`: possibly moved to `lib/util.py`\n"
        "names `src/app.py`, `load_config`: found"
    )
    assert render_note(()) == ""
    many = tuple(Reference(f"f{i}.py", "path", "found") for i in range(9))
    assert render_note(many).endswith("`f5.py` and 3 more: found")


def test_to_json() -> None:
    ref = Reference("old/util.py", "path", "moved", "lib/util.py")
    assert ref.to_json() == {
        "text": "old/util.py",
        "kind": "path",
        "status": "moved",
        "hint": "lib/util.py",
    }
    assert json.loads(json.dumps(ref.to_json())) == ref.to_json()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # a wrapper's flags belong to the tool it runs
        ("`uv run pytest --lf tests/x.py`", [("tests/x.py", "path")]),
        ("`python -m mytool --rebuild`", [("--rebuild", "flag")]),
        ("`npx eslint --fix src/a.ts`", [("src/a.ts", "path")]),
        ("`make --jobs`", [("--jobs", "flag")]),
        # in prose a tool's name earlier in the same clause owns the flag, not one before it
        ("Run git with care. Then --verbose helps.", [("--verbose", "flag")]),
        ("Then git push --force is fine.", []),
        # ${VAR} and constants; system variables are not claims
        ("Set ${API_TOKEN} and `$HOME`.", [("API_TOKEN", "env")]),
        ("`MAX_RETRIES` but not `PATH` or `X`", [("MAX_RETRIES", "env")]),
        # calls in prose: empty parentheses and a name of three letters or more
        ("call fetch() then ab() then load(x)", [("fetch", "identifier")]),
        ("`render(note, refs)`", [("render", "identifier")]),
        (
            "`camelCase` and `HTTPServer` and `plain`",
            [("camelCase", "identifier"), ("HTTPServer", "identifier")],
        ),
        # a first segment that looks like a domain is a URL without its scheme
        ("`example.org/a/b.py` and `docs.md/x.py`", [("docs.md/x.py", "path")]),
        ("`bin/tool` has no extension, `bin/` is a folder", [("bin/", "path")]),
        ("`x.unknownext` and notes.txt and `a/b.c1`", [("a/b.c1", "path")]),
        ("~~~\nsrc/hidden.py\n~~~\nsrc/shown.py", [("src/shown.py", "path")]),
        ("`  ` and ``", []),
    ],
)
def test_extraction_edge_cases(body: str, expected: list[tuple[str, str]]) -> None:
    assert extract_references(body) == expected


def test_references_keep_the_order_of_first_appearance_across_kinds() -> None:
    body = "Set $ZED_TOKEN, then run `--alpha` on src/b.py and `alpha_fn()`."
    assert extract_references(body) == [
        ("ZED_TOKEN", "env"),
        ("--alpha", "flag"),
        ("src/b.py", "path"),
        ("alpha_fn", "identifier"),
    ]


@pytest.mark.parametrize(
    ("count", "tail"), [(6, "`f5.py`: found"), (7, "`f5.py` and 1 more: found")]
)
def test_render_note_names_six_found_references_at_most(count: int, tail: str) -> None:
    refs = tuple(Reference(f"f{i}.py", "path", "found") for i in range(count))
    assert render_note(refs) == "names " + ", ".join(f"`f{i}.py`" for i in range(5)) + ", " + tail


def test_render_note_without_found_references_has_no_found_line() -> None:
    refs = (Reference("a.py", "path", "missing"),)
    assert render_note(refs) == "names `a.py`: not found in the project"
