"""`memdir.__all__` is the public API: pinned here, so adding or dropping a name is a decision."""

from __future__ import annotations

import subprocess
import sys

import pytest

import memdir

PUBLIC_API = [
    "AsyncMemoryHook",
    "CircuitOpenError",
    "ConfigurationError",
    "InvalidMemoryError",
    "LockTimeoutError",
    "MemdirError",
    "Memory",
    "MemoryDir",
    "MemoryExistsError",
    "MemoryHeader",
    "MemoryHook",
    "MemoryNotFoundError",
    "MemoryType",
    "ModelError",
    "Prefetch",
    "RecallResult",
    "RecalledMemory",
    "Recaller",
    "SaveResult",
    "ScanProblem",
    "ScanReport",
    "SecretDetectedError",
    "StoreIOError",
    "UnsafePathError",
    "build_memory_prompt",
    "claude_memory_dir",
    "find_git_root",
    "prefetch",
    "resolve_memory_dir",
    "sanitize_path",
]


def test_all_is_the_pinned_sorted_list() -> None:
    assert memdir.__all__ == PUBLIC_API
    assert PUBLIC_API == sorted(PUBLIC_API)


@pytest.mark.parametrize("name", PUBLIC_API)
def test_every_exported_name_is_importable_and_ours(name: str) -> None:
    value = getattr(memdir, name)
    assert value.__module__.startswith("memdir."), name
    assert value.__name__ == name


def test_star_import_gives_exactly_the_public_api() -> None:
    code = "from memdir import *\nprint('\\n'.join(sorted(k for k in dir() if k[0] != '_')))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == sorted(PUBLIC_API)


def test_dir_lists_the_public_api_and_no_stray_public_names() -> None:
    public = {n for n in dir(memdir) if not n.startswith("_")}
    modules = {n for n in public if type(getattr(memdir, n)).__name__ == "module"}
    typing_helpers = {"annotations", "TYPE_CHECKING", "Any"}
    assert public - modules - typing_helpers == set(PUBLIC_API)


def test_unknown_names_raise_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        memdir.no_such_name  # noqa: B018
