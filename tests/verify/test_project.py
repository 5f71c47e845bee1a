"""`memdir.verify.project`: references checked against git and plain folders, and the cache."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

import memdir.verify.project as verify_module
import memdir.verify.search as search_module
from memdir.verify import ProjectVerifier, Reference


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def statuses(refs: tuple[Reference, ...]) -> dict[str, tuple[str, str | None]]:
    return {ref.text: (ref.status, ref.hint) for ref in refs}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository whose history moved, deleted and renamed files and functions."""
    root = tmp_path / "project"
    root.mkdir()
    git(root, "init", "-q")
    git(root, "config", "user.email", "tests@example.invalid")
    git(root, "config", "user.name", "Tests")
    git(root, "config", "commit.gpgsign", "false")
    write(root, "src/auth/login.py", "class UserSession:\n    def refresh_token(self): ...\n")
    write(
        root,
        "src/app.py",
        "import argparse, os\n\ndef load_config():\n"
        '    parser = argparse.ArgumentParser()\n    parser.add_argument("--dry-run")\n'
        '    return os.environ["DATABASE_URL"]\n',
    )
    write(root, "old/util.py", "def slugify(text):\n    return text\n")
    write(root, "lib/legacy.py", "def compute_total(items):\n    return sum(items)\n")
    write(root, "scripts/deploy.sh", "#!/bin/sh\necho deploy_everything\n")
    write(root, ".gitignore", "*.log\nbuild/\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "first")
    git(root, "mv", "old/util.py", "lib/util.py")
    git(root, "rm", "-q", "scripts/deploy.sh")
    git(root, "mv", "lib/legacy.py", "lib/billing.py")
    write(root, "lib/billing.py", "def calculate_total(items):\n    return sum(items)\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "reorganise")
    return root


MEMORY = """\
Login lives in `src/auth/login.py` (also reachable as auth/login.py); `UserSession`
keeps the session. Helpers were in `old/util.py`; deploys ran through scripts/deploy.sh.
Totals come from `compute_total()` in `lib/legacy.py`; now also see `calculate_total`.
Run the app with `--dry-run` and never `--force-rebuild`. It reads `$DATABASE_URL` and
`REDIS_URL`.
"""


def test_each_reference_is_classified(repo: Path) -> None:
    refs = ProjectVerifier(repo).verify(MEMORY)
    assert statuses(refs) == {
        "src/auth/login.py": ("found", None),
        "auth/login.py": ("found", None),
        "UserSession": ("found", None),
        "old/util.py": ("moved", "lib/util.py"),
        "scripts/deploy.sh": ("missing", None),
        "compute_total": ("missing", None),
        "lib/legacy.py": ("missing", None),
        "calculate_total": ("found", None),
        "--dry-run": ("found", None),
        "--force-rebuild": ("missing", None),
        "DATABASE_URL": ("found", None),
        "REDIS_URL": ("missing", None),
    }
    kinds = {ref.text: ref.kind for ref in refs}
    assert kinds["old/util.py"] == "path"
    assert kinds["UserSession"] == "identifier"
    assert kinds["--dry-run"] == "flag"
    assert kinds["REDIS_URL"] == "env"


def test_working_tree_changes_count_before_commit(repo: Path) -> None:
    (repo / "src" / "app.py").unlink()  # deleted, not yet committed
    (repo / "src" / "session").mkdir()
    git(repo, "mv", "src/auth/login.py", "src/session/login.py")  # staged move
    refs = ProjectVerifier(repo).verify("`src/app.py` `src/auth/login.py` `load_config()`")
    assert statuses(refs) == {
        "src/app.py": ("missing", None),
        "src/auth/login.py": ("moved", "src/session/login.py"),
        "load_config": ("missing", None),
    }


def test_ignored_files_do_not_count_untracked_ones_do(repo: Path) -> None:
    write(repo, "build/output.py", "def only_in_build_output():\n    pass\n")
    write(repo, "debug.log", "IGNORED_LOG_VARIABLE=1\n")
    write(repo, "src/new_feature.py", "def brand_new_helper():\n    pass\n")
    body = (
        "`build/output.py` defines `only_in_build_output()`; the log sets `IGNORED_LOG_VARIABLE`."
        " New work: `src/new_feature.py` with `brand_new_helper()`."
    )
    assert statuses(ProjectVerifier(repo).verify(body)) == {
        "build/output.py": ("missing", None),
        "only_in_build_output": ("missing", None),
        "IGNORED_LOG_VARIABLE": ("missing", None),
        "src/new_feature.py": ("found", None),
        "brand_new_helper": ("found", None),
    }


def test_outside_git_the_tree_is_walked(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    write(root, "src/main.py", "def run_everything():\n    pass\n")
    write(root, "node_modules/pkg/index.js", "export function vendoredThing() {}\n")
    write(root, ".venv/lib/site.py", "def venv_only_function(): pass\n")
    body = (
        "`src/main.py` runs `run_everything()`; `node_modules/pkg/index.js` has `vendoredThing`"
        " and `venv_only_function`."
    )
    assert statuses(ProjectVerifier(root).verify(body)) == {
        "src/main.py": ("found", None),
        "run_everything": ("found", None),
        "node_modules/pkg/index.js": ("missing", None),
        "vendoredThing": ("missing", None),
        "venv_only_function": ("missing", None),
    }


def test_binary_and_oversized_files_are_not_searched(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    (root / "data").mkdir(parents=True)
    (root / "data" / "blob.bin").write_bytes(b"\0\1binary_marker_name\0")
    write(root, "data/huge.txt", "huge_marker_name\n" + "x" * search_module.MAX_FILE_BYTES)
    write(root, "data/small.txt", "small_marker_name\n")
    body = "`binary_marker_name` `huge_marker_name` `small_marker_name`"
    assert statuses(ProjectVerifier(root).verify(body)) == {
        "binary_marker_name": ("missing", None),
        "huge_marker_name": ("missing", None),
        "small_marker_name": ("found", None),
    }


def test_cache_follows_added_and_changed_files(repo: Path) -> None:
    body = "`later_added_function()` and `load_config()`"
    verifier = ProjectVerifier(repo)
    assert statuses(verifier.verify(body)) == {
        "later_added_function": ("missing", None),
        "load_config": ("found", None),
    }
    write(repo, "src/later.py", "def later_added_function():\n    pass\n")
    assert verifier.verify(body)[0].status == "found"
    write(repo, "src/app.py", "def renamed_loader():\n    pass\n")  # tracked, now modified
    assert statuses(ProjectVerifier(repo).verify(body))["load_config"] == ("missing", None)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "later")
    assert statuses(ProjectVerifier(repo).verify(body)) == {
        "later_added_function": ("found", None),
        "load_config": ("missing", None),
    }


def test_cache_follows_changes_outside_git(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    write(root, "a.py", "def first_function(): pass\n")
    verifier = ProjectVerifier(root)
    assert verifier.verify("`second_function()`")[0].status == "missing"
    write(root, "b.py", "def second_function(): pass\n")
    assert verifier.verify("`second_function()`")[0].status == "found"
    (root / "b.py").unlink()
    assert verifier.verify("`second_function()`")[0].status == "missing"


class ScanRecorder:
    """Wraps the module's file scan and records which files each scan read."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[list[str]] = []
        real = verify_module.scan_files

        def recording(root, files, tokens):  # type: ignore[no-untyped-def]
            self.calls.append(list(files))
            return real(root, files, tokens)

        monkeypatch.setattr(verify_module, "scan_files", recording)


def test_warm_cache_is_shared_across_verifiers_and_skips_the_scan(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "verify-state"
    recorder = ScanRecorder(monkeypatch)
    first = ProjectVerifier(repo, state_dir=state).verify(MEMORY)
    assert len(recorder.calls) == 1
    second = ProjectVerifier(repo, state_dir=state).verify(MEMORY)
    assert second == first
    assert len(recorder.calls) == 1  # answered from the persisted cache
    cache_files = list((state / "verify").glob("*.json"))
    assert len(cache_files) == 1
    assert cache_files[0].stat().st_size < 4_000
    assert json.loads(cache_files[0].read_text())["tokens"]


def test_after_an_edit_only_changed_files_are_searched_again(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = ScanRecorder(monkeypatch)
    body = "`UserSession` and `not_written_yet()`"
    ProjectVerifier(repo).verify(body)
    assert len(recorder.calls) == 1 and len(recorder.calls[0]) > 3
    write(repo, "lib/util.py", "def not_written_yet():\n    pass\n")
    assert statuses(ProjectVerifier(repo).verify(body)) == {
        "UserSession": ("found", None),
        "not_written_yet": ("found", None),
    }
    assert recorder.calls[1:] == [["lib/util.py"]]


def test_a_found_token_is_searched_again_when_its_file_changes(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ProjectVerifier(repo).verify("`UserSession`")
    write(repo, "src/auth/login.py", "class AccountSession:\n    pass\n")
    assert ProjectVerifier(repo).verify("`UserSession`")[0].status == "missing"


def test_unrequested_cached_results_do_not_go_stale(repo: Path) -> None:
    verifier = ProjectVerifier(repo)
    assert verifier.verify("`ghost_function()`")[0].status == "missing"
    write(repo, "src/ghost.py", "def ghost_function(): pass\n")
    verifier.verify("`UserSession`")  # moves the cache to the new project state
    assert verifier.verify("`ghost_function()`")[0].status == "found"


def test_batch_costs_one_scan(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = ScanRecorder(monkeypatch)
    bodies = ["`UserSession`", "`load_config()`", "`slugify()`", "nothing to check here", ""]
    results = ProjectVerifier(repo).verify_many(bodies)
    assert [[ref.status for ref in refs] for refs in results] == [
        ["found"],
        ["found"],
        ["found"],
        [],
        [],
    ]
    assert len(recorder.calls) == 1


def test_corrupt_cache_is_ignored(repo: Path, tmp_path: Path) -> None:
    state = tmp_path / "verify-state"
    ProjectVerifier(repo, state_dir=state).verify("`UserSession`")
    (cache_file,) = (state / "verify").glob("*.json")
    cache_file.write_text("{not json", encoding="utf-8")
    assert ProjectVerifier(repo, state_dir=state).verify("`UserSession`")[0].status == "found"


def test_excluded_folder_is_not_evidence(repo: Path) -> None:
    write(repo, "memories/note.md", "`imaginary_function()` exists, says this memory.\n")
    body = "`imaginary_function()`"
    assert ProjectVerifier(repo).verify(body)[0].status == "found"
    excluded = ProjectVerifier(repo, exclude=[repo / "memories"])
    assert excluded.verify(body)[0].status == "missing"


def test_root_below_the_repository_top(repo: Path) -> None:
    refs = ProjectVerifier(repo / "src").verify("`auth/login.py` `app.py` `lib/util.py`")
    assert statuses(refs) == {
        "auth/login.py": ("found", None),
        "app.py": ("found", None),
        "lib/util.py": ("missing", None),
    }


def test_moved_hint_prefers_the_closest_folder(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    for rel in ("web/auth/helpers.py", "api/auth/helpers.py", "api/billing/helpers.py"):
        write(root, rel, "x = 1\n")
    write(root, "pkg/a/__init__.py", "")
    write(root, "pkg/b/__init__.py", "")
    refs = ProjectVerifier(root).verify(
        "`src/api/auth/helpers.py` `old/__init__.py` `src/billing/helpers.py`"
    )
    assert statuses(refs) == {
        "src/api/auth/helpers.py": ("moved", "api/auth/helpers.py"),
        # Several candidates, none sharing a folder: too common a name to guess.
        "old/__init__.py": ("missing", None),
        "src/billing/helpers.py": ("moved", "api/billing/helpers.py"),
    }


def test_directories_with_trailing_slash(repo: Path) -> None:
    refs = ProjectVerifier(repo).verify("`src/auth/` `auth/` `scripts/`")
    assert statuses(refs) == {
        "src/auth/": ("found", None),
        "auth/": ("found", None),
        "scripts/": ("missing", None),
    }


def test_body_without_references_runs_no_git(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_subprocess(*args: object, **kwargs: object) -> None:
        raise AssertionError("no subprocess expected")

    monkeypatch.setattr(subprocess, "run", no_subprocess)
    assert ProjectVerifier(tmp_path).verify("Prefers short answers and tabs.") == ()
