"""Issue 10's rules, checked on the source: one exception tree, no importlib for our own
modules, and a CLI that imports only what each subpackage's `__init__` offers."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import memdir
import memdir.errors as errors
from memdir.errors import MemdirError

ROOT = Path(__file__).resolve().parents[1]
#: Top-level modules of memdir that the CLI may import directly.
TOP_MODULES = {"errors", "types", "paths", "fsio", "stats", "progress"}


def _sources(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
    return found


def test_every_memdir_error_lives_in_errors_and_is_drawn_in_its_docstring() -> None:
    seen: set[type] = set()
    for path in _sources("memdir"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases = {getattr(b, "id", getattr(b, "attr", "")) for b in node.bases}
                if any(b.endswith("Error") or b == "MemdirError" for b in bases):
                    assert path.name == "errors.py", f"{path}: class {node.name}"
    for _, cls in inspect.getmembers(errors, inspect.isclass):
        if issubclass(cls, MemdirError):
            seen.add(cls)
            assert cls.__name__ in (errors.__doc__ or ""), cls.__name__
    assert {"DaemonError", "DaemonAlreadyRunningError", "InvalidInputError"} <= {
        c.__name__ for c in seen
    }


def test_no_importlib_for_our_own_modules() -> None:
    for path in [*_sources("memdir"), *_sources("cli")]:
        text = path.read_text(encoding="utf-8")
        assert "import_module" not in text, path
        assert "importlib" not in text.replace("importlib.metadata", ""), path


def test_the_cli_imports_only_what_subpackage_inits_offer() -> None:
    subpackages = {p.parent.name for p in (ROOT / "memdir").glob("*/__init__.py")}
    for path in _sources("cli"):
        for module in _imports(path):
            parts = module.split(".")
            if parts[0] != "memdir" or len(parts) == 1:
                continue
            if parts[1] in TOP_MODULES:
                assert len(parts) == 2, f"{path.name}: {module}"
                continue
            if not (ROOT / "memdir" / parts[1]).exists():
                continue  # an optional capability not installed yet (imported under a guard)
            assert parts[1] in subpackages, f"{path.name}: {module}"
            # memdir.<pkg> or memdir.<pkg>.<subpkg> (a package, never a module file)
            target = ROOT.joinpath(*parts)
            assert (target / "__init__.py").exists(), f"{path.name} imports module {module}"


def test_subpackage_inits_offer_what_they_list() -> None:
    import importlib.util

    for init in (ROOT / "memdir").glob("*/**/__init__.py"):
        name = ".".join(init.parent.relative_to(ROOT).parts)
        spec = importlib.util.find_spec(name)
        assert spec is not None
        module = __import__(name, fromlist=["__all__"])
        assert module.__doc__ and "\n" not in module.__doc__.strip(), name
        for exported in getattr(module, "__all__", []):
            assert getattr(module, exported) is not None, f"{name}.{exported}"
    assert memdir.__all__


def test_the_library_hook_module_stays_under_400_lines() -> None:
    path = ROOT / "memdir" / "integrations" / "library_hook.py"
    assert len(path.read_text(encoding="utf-8").splitlines()) < 400
