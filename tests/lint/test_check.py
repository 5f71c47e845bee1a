"""`memdir.lint.check`: every rule fires on a bad fixture and stays quiet on a good one."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest

from memdir.lint.check import RULES, LintReport, lint
from memdir.store.folder import MemoryDir
from tests.lint.helpers import WHY_HOW, fake_key, make_store, memory

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TODAY = date(2026, 3, 10)


def rules_of(report: LintReport, file: str | None = None) -> list[str]:
    return [p.rule for p in report.problems if file is None or p.file == file]


GOOD = {"cutover.md": memory()}

# rule id -> (files that make it fire, files that keep it quiet). Index-level cases pass
# the index text as the "MEMORY.md" key.
CASES: dict[str, tuple[dict[str, str | bytes], dict[str, str | bytes]]] = {
    "team-conflict-copy": ({"team/release.conflict-1a2b3c4d.md": memory()}, GOOD),
    "file-unreadable": ({"bin.md": b"\x00\x01\x02binary"}, GOOD),
    "frontmatter-missing": ({"plain.md": "Just a note without any header.\n"}, GOOD),
    "frontmatter-invalid": (
        {"open.md": "---\nname: x\ndescription: y\ntype: user\n\nbody\n"},
        GOOD,
    ),
    "frontmatter-lenient": (
        {"colon.md": memory(description="Rule: dry-run the reconcile script first")},
        {"colon.md": memory(description='"Rule: dry-run the reconcile script first"')},
    ),
    "type-missing": ({"m.md": memory(type_=None)}, GOOD),
    "type-unknown": ({"m.md": memory(type_="projects")}, GOOD),
    "description-missing": ({"m.md": memory(description=None)}, GOOD),
    "description-not-text": ({"m.md": memory(description="no")}, GOOD),
    "description-multiline": (
        {"m.md": memory(description="|\n  New charges move to Coinvault\n  on 2026-12-15")},
        {"m.md": memory(description=">\n  New charges move to Coinvault\n  on 2026-12-15")},
    ),
    "description-too-long": (
        {"m.md": memory(description="x" * 151)},
        {"m.md": memory(description="x" * 150)},
    ),
    "name-missing": ({"m.md": memory(name=None)}, GOOD),
    "name-not-text": ({"m.md": memory(name="2026")}, GOOD),
    "updated-invalid": ({"m.md": memory(updated="someday")}, GOOD),
    "why-missing": (
        {"m.md": memory(type_="feedback", body="Dry-run first.\n**How to apply:** always.\n")},
        {
            "m.md": memory(
                type_="feedback",
                body="Dry-run first.\n**Why**: it emails people.\n**How to apply:** always.\n",
            )
        },
    ),
    "how-to-apply-missing": (
        {"m.md": memory(body="Cutover on 2026-12-15.\n**Why:** fees go up.\n")},
        {
            "m.md": memory(
                body="Cutover on 2026-12-15.\n**Why:** fees go up.\n"
                "**how to apply**: check both providers.\n"
            )
        },
    ),
    "relative-date": (
        {"m.md": memory(body="The cutover is next Thursday.\n" + WHY_HOW)},
        {"m.md": memory(body="The cutover is on Thursday 2026-03-05.\n" + WHY_HOW)},
    ),
    "derivable-code-block": (
        {"m.md": memory(body="Run this:\n```\nmake deploy\n```\n" + WHY_HOW)},
        GOOD,
    ),
    "derivable-tree": (
        {"m.md": memory(body="Layout:\n├── src\n└── tests\n" + WHY_HOW)},
        GOOD,
    ),
    "derivable-commit": (
        {"m.md": memory(body="Fixed in commit 3f2a9c1d0b.\n" + WHY_HOW)},
        GOOD,
    ),
    "derivable-stack-trace": (
        {"m.md": memory(body="Traceback (most recent call last):\n  boom\n" + WHY_HOW)},
        GOOD,
    ),
    "control-characters": (
        {"m.md": memory(name='"Cutover \\e]0;PWNED\\a"')},
        {"m.md": memory(name='"Cutover \\u00e9t\\u00e9"')},
    ),
    "secret": (
        {"m.md": memory(body=f"CI uses {fake_key()} to push.\n" + WHY_HOW)},
        {"m.md": memory(body="CI reads its token from the secret store.\n" + WHY_HOW)},
    ),
    "temp-leftover": (
        {
            **GOOD,
            ".999999999-a1b2.tmp": "half a memo",
            "MEMORY.md": "- [Coinvault cutover](cutover.md) — New charges move from Paybridge "
            "to Coinvault on 2026-12-15\n",
        },
        GOOD,
    ),
    "index-missing-entry": ({**GOOD, "MEMORY.md": "# Memory\n"}, GOOD),
    "index-dead-link": (
        {**GOOD, "MEMORY.md": "- [Cutover](cutover.md) — move\n- [Gone](gone.md) — old\n"},
        GOOD,
    ),
    "index-long-line": (
        {**GOOD, "MEMORY.md": "- [Cutover](cutover.md) — " + "x" * 130 + "\n"},
        {**GOOD, "MEMORY.md": "- [Cutover](cutover.md) — " + "x" * 120 + "\n"},
    ),
    "index-too-long": (
        {**GOOD, "MEMORY.md": "- [Cutover](cutover.md)\n" + "note\n" * 200},
        {**GOOD, "MEMORY.md": "- [Cutover](cutover.md)\n" + "note\n" * 199},
    ),
    "index-too-big": (
        {**GOOD, "MEMORY.md": "- [Cutover](cutover.md)\n" + ("y" * 149 + "\n") * 170},
        {**GOOD, "MEMORY.md": "- [Cutover](cutover.md)\n" + ("y" * 149 + "\n") * 160},
    ),
    "near-duplicate": (
        {
            "a.md": memory(
                description="Integration tests must hit a real Postgres database, never mocks"
            ),
            "b.md": memory(
                description="Integration tests should run against real Postgres "
                "instead of mocked databases"
            ),
        },
        {
            "a.md": memory(
                description="Integration tests must hit a real Postgres database, never mocks"
            ),
            "b.md": memory(
                description="Integration tests use the local throwaway database, never staging"
            ),
        },
    ),
}


def lint_case(tmp_path: Path, files: dict[str, str | bytes]) -> LintReport:
    files = dict(files)
    index = files.pop("MEMORY.md", None)
    store = make_store(tmp_path / "mem", files, index=index if isinstance(index, str) else None)
    return lint(store, today=TODAY)


def test_every_rule_has_a_case() -> None:
    covered = set(CASES) | {"stale-reference", "index-stale-entry"}
    assert covered == set(RULES)


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_fires_on_bad_case(tmp_path: Path, rule: str) -> None:
    report = lint_case(tmp_path, CASES[rule][0])
    hits = [p for p in report.problems if p.rule == rule]
    assert hits, report.problems
    assert all(p.severity == RULES[rule].severity for p in hits)


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_quiet_on_good_case(tmp_path: Path, rule: str) -> None:
    report = lint_case(tmp_path, CASES[rule][1])
    assert report.problems == (), report.problems


def test_severities_follow_the_documented_split() -> None:
    errors = {rule for rule, r in RULES.items() if r.severity == "error"}
    assert errors == {
        "file-unreadable",
        "frontmatter-missing",
        "frontmatter-invalid",
        "type-missing",
        "type-unknown",
        "description-missing",
        "description-not-text",
        "secret",
    }


def test_relative_date_message_names_the_absolute_date(tmp_path: Path) -> None:
    report = lint_case(tmp_path, CASES["relative-date"][0])
    (problem,) = [p for p in report.problems if p.rule == "relative-date"]
    assert problem.field == "body"
    assert problem.message == (
        "says 'next Thursday'; written 2026-03-02, that is most likely 2026-03-05 — write the date"
    )


def test_relative_date_uses_mtime_without_updated(tmp_path: Path) -> None:
    store = make_store(
        tmp_path / "mem", {"m.md": memory(updated=None, body="Freeze starts tomorrow.\n" + WHY_HOW)}
    )
    stamp = datetime(2026, 3, 2, 12, 0).timestamp()
    os.utime(store.path / "m.md", (stamp, stamp))
    (problem,) = [p for p in lint(store).problems if p.rule == "relative-date"]
    assert "written 2026-03-02, that is most likely 2026-03-03" in problem.message


def test_relative_dates_only_in_project_memories(tmp_path: Path) -> None:
    files = {
        "u.md": memory(type_="user", description="Maren's days off", body="Out next week."),
        "r.md": memory(type_="reference", body="The dashboard moves next month."),
    }
    assert lint_case(tmp_path, files).problems == ()


def test_relative_date_in_description(tmp_path: Path) -> None:
    report = lint_case(tmp_path, {"m.md": memory(description="Cutover moved to next week")})
    (problem,) = [p for p in report.problems if p.rule == "relative-date"]
    assert problem.field == "description"
    assert "the week of 2026-03-09" in problem.message


@pytest.mark.parametrize("why", ["**Why:**", "**Why**:", "**why:**", "__Why:__", "- **WHY:**"])
def test_why_line_variants_are_accepted(tmp_path: Path, why: str) -> None:
    body = f"Rule.\n{why} reason.\n**How to apply:** always.\n"
    report = lint_case(tmp_path, {"m.md": memory(type_="feedback", body=body)})
    assert report.problems == ()


def test_user_and_reference_memories_need_no_why_lines(tmp_path: Path) -> None:
    files = {"u.md": memory(type_="user", body="Backend lead."), "r.md": memory(type_="reference")}
    files["r.md"] = memory(type_="reference", description="Dashboard URL", body="https://x.test")
    assert lint_case(tmp_path, files).problems == ()


def test_secret_is_an_error_and_never_printed(tmp_path: Path) -> None:
    key = fake_key()
    report = lint_case(tmp_path, CASES["secret"][0])
    (problem,) = [p for p in report.problems if p.rule == "secret"]
    assert (problem.severity, problem.field) == ("error", "body")
    assert "github-token" in problem.message
    assert key not in str(report.to_json())
    assert key[8:] not in problem.message
    assert report.errors == 1


def test_secret_in_frontmatter_names_the_field(tmp_path: Path) -> None:
    report = lint_case(tmp_path, {"m.md": memory(extra=f"token: {fake_key()}\n")})
    (problem,) = [p for p in report.problems if p.rule == "secret"]
    assert problem.field == "token"


def test_secret_in_the_index(tmp_path: Path) -> None:
    report = lint_case(tmp_path, {**GOOD, "MEMORY.md": f"- [Cutover](cutover.md) {fake_key()}\n"})
    assert [(p.file, p.rule) for p in report.problems] == [("MEMORY.md", "secret")]


def test_lenient_frontmatter_names_the_field_to_quote(tmp_path: Path) -> None:
    report = lint_case(tmp_path, CASES["frontmatter-lenient"][0])
    (problem,) = report.problems
    assert problem.field == "description"
    assert "put the description value in quotes" in problem.message


def test_type_unknown_suggests_the_closest(tmp_path: Path) -> None:
    (problem,) = lint_case(tmp_path, CASES["type-unknown"][0]).problems
    assert "did you mean project?" in problem.message


def test_description_no_is_reported_as_not_text(tmp_path: Path) -> None:
    (problem,) = lint_case(tmp_path, CASES["description-not-text"][0]).problems
    assert problem.message == "description is yes/no (False), not text; quote it"


def test_broken_frontmatter_is_one_error_not_many(tmp_path: Path) -> None:
    report = lint_case(tmp_path, CASES["frontmatter-invalid"][0])
    assert rules_of(report) == ["frontmatter-invalid"]
    assert report.problems[0].field == "frontmatter"


def test_future_updated_date(tmp_path: Path) -> None:
    (problem,) = lint_case(tmp_path, {"m.md": memory(updated="2026-04-01")}).problems
    assert problem.rule == "updated-invalid"
    assert "in the future" in problem.message


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"---\nname: x\n---\n\xff\xfe broken", "not UTF-8"),
        (b"\x00" * 10, "binary"),
    ],
)
def test_unreadable_files_are_errors(tmp_path: Path, content: bytes, reason: str) -> None:
    report = lint_case(tmp_path, {**GOOD, "bad.md": content})
    (problem,) = report.problems
    assert (problem.file, problem.rule, problem.severity) == ("bad.md", "file-unreadable", "error")
    assert reason in problem.message


def test_huge_file_is_skipped_as_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import memdir.store.filetext as filetext

    monkeypatch.setattr(filetext, "MAX_FILE_BYTES", 100)
    report = lint_case(tmp_path, {"big.md": memory(body="x" * 200 + "\n" + WHY_HOW)})
    assert [p.rule for p in report.problems if p.file == "big.md"] == ["file-unreadable"]


def test_a_generated_index_line_that_no_longer_matches_is_flagged(tmp_path: Path) -> None:
    store = make_store(tmp_path / "mem", dict(GOOD))
    hand = "- [Hand](hand.md) — my own words\n"
    (store.path / "hand.md").write_text(memory(name="Hand", description="first words"))
    store.index_path.write_text(store.read_index() + hand)
    path = store.path / "cutover.md"
    path.write_text(path.read_text().replace("on 2026-12-15", "on 2027-01-10", 1))
    (store.path / "hand.md").write_text(memory(name="Hand", description="other words"))
    report = lint(store, today=TODAY)
    stale = [p for p in report.problems if p.rule == "index-stale-entry"]
    assert [(p.file, p.severity) for p in stale] == [("MEMORY.md", "warning")]
    assert "cutover.md" in stale[0].message and "--fix" in stale[0].message
    store.sync_index()  # what `memory lint --fix` runs
    text = store.read_index()
    fresh = "- [Coinvault cutover](cutover.md) — New charges move from Paybridge to Coinvault on"
    assert f"{fresh} 2027-01-10" in text
    assert hand in text  # a line a person wrote is never flagged nor rewritten
    assert "index-stale-entry" not in rules_of(lint(store, today=TODAY))


def test_dead_link_message_says_when_fix_repairs_it(tmp_path: Path) -> None:
    index = "- [Cutover](cutover.md) — move\n- [Gone](gone.md) — old\nSee [old notes](gone.md).\n"
    report = lint_case(tmp_path, {**GOOD, "MEMORY.md": index})
    messages = [p.message for p in report.problems if p.rule == "index-dead-link"]
    assert messages == [
        "line 2 links to missing gone.md; `memory lint --fix` drops the line",
        "line 3 links to missing gone.md",
    ]


def test_missing_index_is_one_problem(tmp_path: Path) -> None:
    other = memory(name="Other", description="Tests use the local database, never staging")
    store = make_store(tmp_path / "mem", {**GOOD, "b.md": other}, index="")
    store.index_path.unlink()
    report = lint(store, today=TODAY)
    assert [(p.file, p.rule) for p in report.problems] == [("MEMORY.md", "index-missing-entry")]
    assert "none of the 2 memories" in report.problems[0].message


def test_near_duplicate_names_both_files(tmp_path: Path) -> None:
    report = lint_case(tmp_path, CASES["near-duplicate"][0])
    (problem,) = report.problems
    assert (problem.file, problem.field) == ("a.md", "description")
    assert "b.md" in problem.message


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (
            "Maren prefers short answers that start with the diff or command",
            "Maren wants terse replies leading with the command or diff",
        ),
        (
            "User is a senior Go engineer new to React",
            "The user is a senior Go developer who is new to React",
        ),
        (
            "Production code freeze 2026-12-18 to 2027-01-04 while year-end invoices go out",
            "Deploy freeze from 2026-12-18 to 2027-01-04 for year-end invoicing",
        ),
    ],
)
def test_paraphrases_are_near_duplicates(first: str, second: str) -> None:
    from memdir.lint.rules import near_duplicates

    assert [(a, b) for a, b, _ in near_duplicates({"a.md": first, "b.md": second})] == [
        ("a.md", "b.md")
    ]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (
            "Maren prefers short answers that start with the diff or command",
            "Maren prefers long explanations with background before any diff",
        ),
        (
            "Late fees are 1.5% per started month, capped at 25.00",
            "Late fee changes need written sign-off from finance",
        ),
        ("Deploys need Devika's approval", "Deploys need Maren's approval during the freeze"),
    ],
)
def test_distinct_memories_on_one_topic_are_not(first: str, second: str) -> None:
    from memdir.lint.rules import near_duplicates

    assert near_duplicates({"a.md": first, "b.md": second}) == []


def test_near_duplicates_scale_past_pairwise(tmp_path: Path) -> None:
    from memdir.lint.rules import near_duplicates

    descriptions = {
        f"m{i}.md": f"service{i} owner{i} alert{i} runbook{i} shared" for i in range(2000)
    }
    descriptions["dup.md"] = "service7 owner7 alert7 runbook7"
    assert [(a, b) for a, b, _ in near_duplicates(descriptions)] == [("dup.md", "m7.md")]


def test_lint_refuses_a_missing_folder(tmp_path: Path) -> None:
    from memdir.errors import MemoryNotFoundError

    with pytest.raises(MemoryNotFoundError):
        lint(MemoryDir(tmp_path / "nope"))


def test_report_json_shape_and_order(tmp_path: Path) -> None:
    files = {
        "z.md": memory(type_=None, body="Freeze starts tomorrow.\n" + WHY_HOW),
        "a.md": memory(name=None, description="Other memory about staging databases"),
    }
    report = lint_case(tmp_path, files)
    data = report.to_json()
    assert list(data) == ["problems"]
    assert all(
        list(p) == ["file", "rule", "severity", "field", "message"] for p in data["problems"]
    )
    # Files in order, errors first within a file.
    assert [(p["file"], p["rule"]) for p in data["problems"]] == [
        ("a.md", "name-missing"),
        ("z.md", "type-missing"),
    ]
    assert (report.errors, report.warnings, report.files_checked) == (1, 1, 2)


def test_subfolder_memories_are_checked(tmp_path: Path) -> None:
    report = lint_case(tmp_path, {"team/m.md": memory(type_="bogus")})
    assert [(p.file, p.rule) for p in report.problems] == [("team/m.md", "type-unknown")]


# -- stale references ---------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    text: str
    kind: str
    status: str
    hint: str | None = None


def test_stale_references_from_a_verifier(tmp_path: Path) -> None:
    b = memory(name="B", description="Other", type_="user", body="b body")
    store = make_store(tmp_path / "mem", {**GOOD, "b.md": b})
    seen: list[list[str]] = []

    def verifier(bodies):
        seen.append(list(bodies))
        return [
            (
                Ref("src/a.py", "path", "moved", "src/pkg/a.py"),
                Ref("main()", "identifier", "found"),
            ),
            (Ref("calc()", "identifier", "missing"),),
        ]

    report = lint(store, verifier=verifier, today=TODAY)
    assert len(seen) == 1 and len(seen[0]) == 2
    # Bodies go to the verifier in file-name order: b.md, then cutover.md.
    assert seen[0][0].startswith("b body")
    assert [(p.file, p.rule, p.severity, p.field) for p in report.problems] == [
        ("b.md", "stale-reference", "warning", "body"),
        ("cutover.md", "stale-reference", "warning", "body"),
    ]
    assert report.problems[0].message == (
        "names `src/a.py` (a file), which is not there any more; possibly moved to "
        "src/pkg/a.py: update the memory"
    )
    assert report.problems[1].message == (
        "names `calc()` (a code name), which is not found in the project: update or remove it"
    )


def test_no_verification_without_a_project(tmp_path: Path) -> None:
    store = make_store(tmp_path / "mem", {"m.md": memory(body="Uses `gone.py`.\n" + WHY_HOW)})
    assert lint(store, today=TODAY).problems == ()


def test_stale_references_against_a_real_project(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    (project / "src" / "pkg").mkdir(parents=True)
    (project / "src" / "pkg" / "webhooks.py").write_text("def verify_signature(): ...\n")
    body = "Webhooks call `verify_signature()` in `src/webhooks.py`.\n" + WHY_HOW
    quiet = "Webhooks call `verify_signature()` in `src/pkg/webhooks.py`.\n" + WHY_HOW
    store = make_store(tmp_path / "mem", {"m.md": memory(body=body)})
    (problem,) = lint(store, project_root=project, today=TODAY).problems
    assert problem.rule == "stale-reference"
    assert "possibly moved to src/pkg/webhooks.py" in problem.message
    (store.path / "m.md").write_text(memory(body=quiet))
    assert lint(store, project_root=project, today=TODAY).problems == ()


def test_memory_folder_inside_the_project_is_not_evidence(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "app.py").write_text("def current_name(): ...\n")
    body = "Billing calls `old_helper_name()` first.\n" + WHY_HOW
    store = make_store(project / "memory", {"m.md": memory(body=body)})
    (problem,) = lint(store, project_root=project, today=TODAY).problems
    assert problem.rule == "stale-reference"
    assert "`old_helper_name`" in problem.message


def test_examples_are_clean_apart_from_stale_references() -> None:
    report = lint(MemoryDir(EXAMPLES / "memories"))
    assert report.problems == ()
    assert report.files_checked == 28


def test_examples_stale_references_match_the_demo_list() -> None:
    expected = set()
    for line in (EXAMPLES / "demo-references.txt").read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        file, text, _kind, status, _hint = (part.strip() for part in line.split("|"))
        if status != "found":
            # The verifier reports a called name without its parentheses.
            expected.add((file, text.removesuffix("()")))
    report = lint(MemoryDir(EXAMPLES / "memories"), project_root=EXAMPLES / "demo-project")
    assert {p.rule for p in report.problems} == {"stale-reference"}
    got = {(p.file, p.message.split("`")[1]) for p in report.problems}
    assert got == expected
    assert report.errors == 0
