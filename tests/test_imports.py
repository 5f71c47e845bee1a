"""The fast paths must not pay for `import anthropic` (about a second or two)."""

import subprocess
import sys


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print('\\n'.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return set(out.split())


def test_library_and_cli_import_without_anthropic() -> None:
    modules = _modules_after("import memdir, memdir_cli.main")
    assert "anthropic" not in modules
    assert "memdir_cli.main" in modules


def test_memory_help_does_not_import_anthropic() -> None:
    code = (
        "import sys\n"
        "from memdir_cli.main import cli\n"
        "try:\n    cli(['--help'], prog_name='memory')\nexcept SystemExit:\n    pass\n"
    )
    assert "anthropic" not in _modules_after(code)


def test_import_memdir_loads_nothing_heavy() -> None:
    modules = _modules_after("import memdir")
    for heavy in (
        "anthropic",
        "mcp",
        "watchdog",
        "memdir.recall.recaller",
        "memdir.integrations.library_hook",
        "yaml",
        "memdir.history",
        "dulwich",
    ):
        assert heavy not in modules, heavy


def test_offline_recall_command_does_not_import_anthropic(tmp_path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "freeze.md").write_text(
        "---\nname: Freeze\ndescription: No deploys during the december freeze\ntype: project\n"
        "---\nbody\n"
    )
    code = (
        "from memdir_cli.app import cli\n"
        f"args = ['--dir', {str(folder)!r}, 'recall', '--json', "
        "'can we deploy in the december freeze']\n"
        "try:\n    cli(args, prog_name='memory')\nexcept SystemExit:\n    pass\n"
    )
    modules = _modules_after(code)
    assert "anthropic" not in modules
    assert "memdir.recall.lean" in modules  # the recall really ran (in this process)
    # Recall never reads or writes history.
    assert not {m for m in modules if m.startswith(("memdir.history", "dulwich"))}


def test_recall_json_and_the_hook_never_import_rich(tmp_path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "freeze.md").write_text(
        "---\nname: Freeze\ndescription: No deploys during the december freeze\ntype: project\n"
        "---\nbody\n"
    )
    for args in (
        ["recall", "can we deploy in the december freeze"],
        ["recall", "--json", "can we deploy in the december freeze"],
        ["list", "--json"],
        ["lint", "--json", "--no-verify"],
    ):
        code = (
            "from memdir_cli.app import cli\n"
            f"args = ['--dir', {str(folder)!r}, *{args!r}]\n"
            "try:\n    cli(args, prog_name='memory')\nexcept SystemExit:\n    pass\n"
        )
        modules = _modules_after(code)
        assert "rich" not in modules, args
        assert "memdir_cli.app" in modules
    hook = (
        "import sys, io\n"
        "sys.argv = ['memory', 'hook', 'claude-code', 'stop']\n"
        "sys.stdin = io.TextIOWrapper(io.BytesIO(b'{}'))\n"
        "from memdir_cli.hook_runner import run_claude_code_hook\n"
        "run_claude_code_hook('stop', None)\n"
    )
    assert "rich" not in _modules_after(hook)
