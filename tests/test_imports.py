"""The fast paths must not pay for `import anthropic` (about a second or two)."""

import subprocess
import sys

import memdir


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


def test_exported_members_are_sorted_and_real() -> None:
    assert memdir.__all__ == sorted(memdir.__all__)
    for name in memdir.__all__:
        assert getattr(memdir, name) is not None
    public = {n for n in dir(memdir) if not n.startswith("_")}
    exported = set(memdir.__all__)
    modules = {n for n in public if type(getattr(memdir, n)).__name__ == "module"}
    assert public - modules == exported
