import json
import subprocess
import sys
from pathlib import Path

import pytest

from memdir.errors import ConfigurationError
from memdir.paths import (
    claude_memory_dir,
    find_git_root,
    project_root,
    resolve_memory_dir,
    sanitize_path,
    state_dir,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/Users/alice/code/my-app", "-Users-alice-code-my-app"),
        ("/home/bob/proj_x.y", "-home-bob-proj-x-y"),
        ("C:\\Users\\me\\repo", "C--Users-me-repo"),
        ("/tmp/café", "-tmp-caf-"),  # é is one UTF-16 code unit
        ("/tmp/🚀x", "-tmp---x"),  # an emoji is a surrogate pair: two code units
        ("/a b/c", "-a-b-c"),
    ],
)
def test_sanitize_known_examples(raw: str, expected: str) -> None:
    assert sanitize_path(raw) == expected


def test_claude_folder_uses_config_dir(tmp_path: Path) -> None:
    project = tmp_path / "work" / "app"
    project.mkdir(parents=True)
    env = {"CLAUDE_CONFIG_DIR": str(tmp_path / "cfg"), "HOME": str(tmp_path)}
    expected = tmp_path / "cfg" / "projects" / sanitize_path(str(project)) / "memory"
    assert claude_memory_dir(project, env) == expected


def test_claude_folder_defaults_to_home_dot_claude(tmp_path: Path) -> None:
    project = tmp_path / "p"
    project.mkdir()
    env = {"HOME": str(tmp_path / "h")}
    got = claude_memory_dir(project, env)
    assert got.parent.parent == tmp_path / "h" / ".claude" / "projects"


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_subdirectory_maps_to_git_root(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "pkg" / "sub").mkdir(parents=True)
    _git("init", "-q", cwd=repo)
    assert find_git_root(repo / "pkg" / "sub") == repo
    env = {"CLAUDE_CONFIG_DIR": str(tmp_path / "c")}
    assert claude_memory_dir(repo / "pkg" / "sub", env) == claude_memory_dir(repo, env)


def test_no_git_means_the_directory_itself(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    assert find_git_root(plain) is None  # pytest's tmp_path is not inside a repository
    assert project_root(plain) == plain


def test_worktree_resolves_to_main_checkout(tmp_path: Path) -> None:
    main = tmp_path / "main"
    main.mkdir()
    _git("init", "-q", cwd=main)
    _git(
        "-c",
        "user.email=a@b",
        "-c",
        "user.name=a",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "x",
        cwd=main,
    )
    worktree = tmp_path / "wt"
    _git("worktree", "add", "-q", str(worktree), cwd=main)
    assert (worktree / ".git").is_file()
    assert find_git_root(worktree) == main
    env = {"CLAUDE_CONFIG_DIR": str(tmp_path / "c")}
    assert claude_memory_dir(worktree, env) == claude_memory_dir(main, env)


def test_git_file_without_commondir_is_its_own_root(tmp_path: Path) -> None:
    sub = tmp_path / "sub"
    sub.mkdir()
    (tmp_path / "modules" / "sub").mkdir(parents=True)
    (sub / ".git").write_text("gitdir: ../modules/sub\n")
    assert find_git_root(sub) == sub


def test_long_paths_are_cut_and_matched_by_prefix(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 120) / ("e" * 120)
    deep.mkdir(parents=True)
    name = sanitize_path(str(deep))
    assert len(name) > 200
    cfg = tmp_path / "cfg"
    env = {"CLAUDE_CONFIG_DIR": str(cfg)}
    # Before Claude Code made a folder: the 200-character prefix.
    assert claude_memory_dir(deep, env).parent.name == name[:200]
    existing = cfg / "projects" / f"{name[:200]}-1a2b3c"
    existing.mkdir(parents=True)
    assert claude_memory_dir(deep, env) == existing / "memory"


def test_auto_memory_directory_setting(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    (cfg / "settings.json").write_text(json.dumps({"autoMemoryDirectory": "~/notes/mem"}))
    env = {"CLAUDE_CONFIG_DIR": str(cfg), "HOME": str(tmp_path / "home")}
    assert claude_memory_dir(tmp_path, env) == tmp_path / "home" / "notes" / "mem"
    (cfg / "settings.json").write_text(json.dumps({"autoMemoryDirectory": "/srv/mem"}))
    assert claude_memory_dir(tmp_path, env) == Path("/srv/mem")


def test_relative_auto_memory_directory_is_an_error(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    (cfg / "settings.json").write_text(json.dumps({"autoMemoryDirectory": "rel/dir"}))
    with pytest.raises(ConfigurationError) as info:
        claude_memory_dir(tmp_path, {"CLAUDE_CONFIG_DIR": str(cfg)})
    assert info.value.field == "autoMemoryDirectory"
    assert "settings.json" in str(info.value)


def test_resolution_order(tmp_path: Path) -> None:
    env = {"MEMDIR_DIR": str(tmp_path / "env"), "CLAUDE_CONFIG_DIR": str(tmp_path / "c")}
    assert resolve_memory_dir(tmp_path / "x", env=env) == tmp_path / "x"
    assert resolve_memory_dir(None, env=env) == tmp_path / "env"
    del env["MEMDIR_DIR"]
    assert resolve_memory_dir(None, cwd=tmp_path, env=env).name == "memory"


def test_state_dir_honours_env(tmp_path: Path) -> None:
    got = state_dir({"MEMDIR_STATE_DIR": str(tmp_path / "s")})
    assert got == tmp_path / "s" and got.is_dir()


def test_verification_root_is_decided_in_one_place(tmp_path: Path) -> None:
    from memdir.paths import verification_root

    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "src").mkdir()
    assert verification_root(repo / "src") == repo
    assert verification_root(tmp_path) is None  # outside a repository: nothing to walk
    with pytest.raises(ConfigurationError, match="is not a folder"):
        verification_root(repo / "src", project=tmp_path / "p")  # a typo is refused
    (tmp_path / "p").mkdir()
    assert verification_root(repo / "src", project=tmp_path / "p") == tmp_path / "p"
    assert verification_root(repo / "src", project=tmp_path / "p", verify=False) is None


@pytest.mark.parametrize(
    "env",
    [
        {"XDG_STATE_HOME": "/srv/state"},
        {"XDG_STATE_HOME": "/srv/state/"},
        {"XDG_STATE_HOME": "relative/state"},  # not absolute: ignored, as XDG says
        {"XDG_STATE_HOME": ""},
        {"HOME": "/"},
        {"HOME": "/home/someone/"},
        {"HOME": "relative-home"},
    ],
)
def test_the_state_folder_is_where_platformdirs_puts_it(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import platformdirs

    from memdir.paths import platform_state_dir

    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert platform_state_dir() == platformdirs.user_state_path("memdir", appauthor=False)


def test_the_state_folder_needs_no_platformdirs_import() -> None:
    code = (
        "import sys\n"
        "from memdir.paths import platform_state_dir\n"
        "platform_state_dir()\n"
        "print('platformdirs' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
