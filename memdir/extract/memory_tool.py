"""The Anthropic memory tool (``memory_20250818``) over a memory folder, for the extractor.

The model addresses files as ``/memories/<file>``; this module maps that prefix onto the
memory folder and checks every command before it touches the disk:

- paths must start with ``/memories`` and stay inside the folder (no ``..``, no absolute
  paths elsewhere, no symlink escapes; `memdir.fsio.confine` decides);
- a file that is created or edited must still be a valid memory (frontmatter with
  ``name``, ``description`` and a ``type`` in the taxonomy) and hold no secret: the new
  text goes through `MemoryDir.write_text`, which also adds the index line;
- ``MEMORY.md`` can be viewed but not written: memdir maintains it;
- delete and rename keep the index in sync.

A refused command becomes an error tool result (`ToolOutcome.is_error`) carrying the reason,
so the model can correct itself; `MemoryFolderTool.run` never raises for bad input.

This module imports the ``anthropic`` SDK at the top (to subclass its abstract tool), so
import it only inside the code that is about to call the model.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from anthropic.lib.tools import BetaAbstractMemoryTool, ToolError
from anthropic.types.beta import (
    BetaMemoryTool20250818CreateCommand,
    BetaMemoryTool20250818DeleteCommand,
    BetaMemoryTool20250818InsertCommand,
    BetaMemoryTool20250818RenameCommand,
    BetaMemoryTool20250818StrReplaceCommand,
    BetaMemoryTool20250818ViewCommand,
)

from ..errors import MemdirError, MemoryExistsError, MemoryNotFoundError
from ..store.content import derivable_content
from ..store.folder import MemoryDir
from ..store.walk import INDEX_NAME
from .changes import ChangeAction as Action
from .changes import FileChange

ROOT = "/memories"
#: A memory is a short note; anything bigger is almost certainly pasted material.
MAX_FILE_BYTES = 32_000

# Required fields and their types for each command; checked before the SDK's models are
# built, because `construct_type_unchecked` accepts anything and fails later, obscurely.
_FIELDS: dict[str, dict[str, type]] = {
    "view": {"path": str},
    "create": {"path": str, "file_text": str},
    "str_replace": {"path": str, "old_str": str, "new_str": str},
    "insert": {"path": str, "insert_line": int, "insert_text": str},
    "delete": {"path": str},
    "rename": {"old_path": str, "new_path": str},
}


@dataclass(frozen=True, slots=True)
class ToolOutcome:
    """The text of a tool result and whether it reports a refusal or failure."""

    text: str
    is_error: bool = False


class MemoryFolderTool(BetaAbstractMemoryTool):
    """``memory_20250818`` commands, validated and confined to one `MemoryDir`."""

    def __init__(self, store: MemoryDir) -> None:
        super().__init__()
        self.store = store
        self.changes: list[FileChange] = []

    # -- entry point -------------------------------------------------------------------

    def run(self, tool_input: object) -> ToolOutcome:
        """Execute one tool call; refusals and failures come back as error outcomes."""
        try:
            _check_input(tool_input)
            with self._operation(tool_input):
                result = self.call(tool_input)
        except ToolError as exc:
            return ToolOutcome(_text_of(exc.content), is_error=True)
        except MemdirError as exc:
            return ToolOutcome(f"Error: {exc.message}", is_error=True)
        except OSError as exc:
            return ToolOutcome(f"Error: the file system refused: {exc.strerror}", is_error=True)
        return ToolOutcome(_text_of(result))

    def _operation(self, tool_input: object) -> contextlib.AbstractContextManager[object]:
        # Each writing command is one history operation (a rename: two files, one op);
        # the store's own actor wins (the extractor's), else it is the memory tool's.
        if isinstance(tool_input, Mapping) and tool_input.get("command") == "view":
            return contextlib.nullcontext()
        return self.store.operation(self.store.actor or "memory-tool")

    # -- paths -------------------------------------------------------------------------

    def _relative(self, memory_path: str) -> str:
        """The folder-relative path for a ``/memories/...`` path ("" for the folder)."""
        if memory_path != ROOT and not memory_path.startswith(ROOT + "/"):
            raise ToolError(
                f"Error: {memory_path!r} is outside the memory folder; every path starts "
                f"with {ROOT}/ (for example {ROOT}/testing_policy.md)"
            )
        relative = memory_path[len(ROOT) :].strip("/")
        if relative:
            try:
                self.store.resolve(relative)
            except MemdirError as exc:
                raise ToolError(f"Error: {memory_path!r} refused: {exc.message}") from exc
        return relative

    def _real(self, relative: str) -> Path:
        return self.store.resolve(relative) if relative else Path(os.path.realpath(self.store.path))

    def _writable(self, memory_path: str) -> str:
        """The relative path of a memory file the model may write, or a ToolError."""
        relative = self._relative(memory_path)
        name = PurePosixPath(relative).name
        if not relative:
            raise ToolError(f"Error: {ROOT} is the folder itself; give a file such as {ROOT}/x.md")
        if name == INDEX_NAME:
            raise ToolError(
                f"Error: {ROOT}/{INDEX_NAME} is the index and memdir maintains it: creating, "
                "renaming or deleting a memory file updates it. Do not edit it."
            )
        if any(part.startswith(".") for part in PurePosixPath(relative).parts):
            raise ToolError(f"Error: hidden names are not memories: {memory_path!r}")
        if not name.endswith(".md"):
            raise ToolError(f"Error: memory files end in .md: {memory_path!r}")
        return relative

    def _read(self, memory_path: str, relative: str) -> str:
        try:
            return self.store.read_text(relative)
        except MemoryNotFoundError as exc:
            raise ToolError(f"Error: {memory_path} does not exist or is not a file") from exc
        except MemdirError as exc:
            raise ToolError(f"Error: {memory_path} cannot be read: {exc.message}") from exc

    def _write(
        self,
        memory_path: str,
        relative: str,
        action: Action,
        *,
        text: str | None = None,
        change: Callable[[str], str] | None = None,
    ) -> str:
        """Write `text`, or apply `change` to the current text under the file's lock."""

        written: list[str] = []

        def checked(new: str) -> str:
            written.append(new)
            if len(new.encode("utf-8")) > MAX_FILE_BYTES:
                raise ToolError(
                    f"Error: {memory_path} would be over {MAX_FILE_BYTES} bytes; a memory is "
                    "a short note, keep only what will matter later"
                )
            return new

        try:
            if change is not None:
                header = self.store.modify(relative, lambda old: checked(change(old)))
            else:
                header = self.store.write_text(relative, checked(text or ""))
        except MemoryNotFoundError as exc:
            raise ToolError(f"Error: {memory_path} does not exist") from exc
        except MemdirError as exc:
            where = f" (field '{exc.field}')" if exc.field else ""
            raise ToolError(f"Error: {memory_path} refused{where}: {exc.message}") from exc
        self.changes.append(FileChange(action, header.filename))
        # From the text written, not the file: another process may have changed it since.
        notes = [message for _rule, message in derivable_content(written[-1])]
        if notes:
            return f"{action.capitalize()} {memory_path}. Note: it {'; it '.join(notes)}."
        return f"{action.capitalize()} {memory_path}."

    # -- commands ----------------------------------------------------------------------

    def view(self, command: BetaMemoryTool20250818ViewCommand) -> str:
        relative = self._relative(command.path)
        path = self._real(relative)
        try:
            mode = os.stat(path).st_mode
        except FileNotFoundError as exc:
            raise ToolError(f"Error: {command.path} does not exist") from exc
        if stat.S_ISDIR(mode):
            return self._listing(command.path, path)
        text = self._read(command.path, relative)
        lines = text.split("\n")
        start = 1
        if command.view_range and len(command.view_range) == 2:
            first, last = command.view_range
            start = max(1, first)
            lines = lines[start - 1 : (len(lines) if last == -1 else last)]
        numbered = [f"{number:6d}\t{line}" for number, line in enumerate(lines, start)]
        return f"{command.path}, with line numbers:\n" + "\n".join(numbered)

    def _listing(self, shown: str, folder: Path) -> str:
        entries: list[str] = []
        root = Path(os.path.realpath(self.store.path))
        for current, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            if len(Path(current).relative_to(folder).parts) >= 2:
                dirs[:] = []
            for name in sorted(files):
                if name.startswith("."):
                    continue
                full = Path(current, name)
                relative = full.relative_to(root).as_posix()
                try:
                    # lstat: a link or a FIFO is listed as what it is, never followed.
                    info = full.lstat()
                except OSError:
                    continue
                kind = "" if stat.S_ISREG(info.st_mode) else "  (not a plain file: unreadable)"
                entries.append(f"{info.st_size:>8}  {ROOT}/{relative}{kind}")
        if not entries:
            return f"{shown} is empty."
        return f"Files under {shown} (size in bytes, hidden files left out):\n" + "\n".join(entries)

    def create(self, command: BetaMemoryTool20250818CreateCommand) -> str:
        relative = self._writable(command.path)
        if self._real(relative).exists():
            return self._write(command.path, relative, "updated", text=command.file_text)
        # A new memory goes where the team's scope rules say (team/ or private); the reply
        # names the path it was saved at.
        routed = self.store.routed_filename(relative, command.file_text)
        return self._write(f"{ROOT}/{routed}", routed, "created", text=command.file_text)

    def str_replace(self, command: BetaMemoryTool20250818StrReplaceCommand) -> str:
        relative = self._writable(command.path)

        def replace(text: str) -> str:
            count = text.count(command.old_str) if command.old_str else 0
            if count != 1:
                what = "does not appear" if count == 0 else f"appears {count} times"
                raise ToolError(
                    f"Error: nothing replaced; old_str {what} in {command.path} (it must "
                    "appear exactly once, verbatim)"
                )
            return text.replace(command.old_str, command.new_str)

        return self._write(command.path, relative, "updated", change=replace)

    def insert(self, command: BetaMemoryTool20250818InsertCommand) -> str:
        relative = self._writable(command.path)

        def insert(text: str) -> str:
            lines = text.split("\n")
            if lines and lines[-1] == "":
                lines.pop()
            if not 0 <= command.insert_line <= len(lines):
                raise ToolError(
                    f"Error: insert_line {command.insert_line} is outside 0..{len(lines)} for "
                    f"{command.path}"
                )
            lines.insert(command.insert_line, command.insert_text.rstrip("\n"))
            return "\n".join(lines) + "\n"

        return self._write(command.path, relative, "updated", change=insert)

    def delete(self, command: BetaMemoryTool20250818DeleteCommand) -> str:
        relative = self._writable(command.path)
        try:
            self.store.remove_file(relative)
        except MemoryNotFoundError as exc:
            raise ToolError(f"Error: {command.path} does not exist or is not a file") from exc
        self.changes.append(FileChange("deleted", relative))
        return f"Deleted {command.path} and its index line."

    def rename(self, command: BetaMemoryTool20250818RenameCommand) -> str:
        old = self._writable(command.old_path)
        new = self._writable(command.new_path)
        try:
            header = self.store.rename(old, new)
        except MemoryExistsError as exc:
            raise ToolError(f"Error: {command.new_path} already exists") from exc
        except MemoryNotFoundError as exc:
            raise ToolError(f"Error: {command.old_path} does not exist") from exc
        except MemdirError as exc:
            raise ToolError(f"Error: {command.old_path} cannot be moved: {exc.message}") from exc
        self.changes.append(FileChange("renamed", header.filename, old_path=old))
        return f"Renamed {command.old_path} to {command.new_path}; the index follows."


def _check_input(tool_input: object) -> None:
    if not isinstance(tool_input, Mapping):
        raise ToolError("Error: the memory tool takes an object with a 'command' field")
    command = tool_input.get("command")
    fields = _FIELDS.get(command) if isinstance(command, str) else None
    if fields is None:
        raise ToolError(f"Error: unknown command {command!r}; use one of: {', '.join(_FIELDS)}")
    for name, kind in fields.items():
        value: Any = tool_input.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ToolError(f"Error: {command} needs {name!r} ({kind.__name__})")


def _text_of(content: object) -> str:
    if isinstance(content, str):
        return content
    parts = []
    for block in content if isinstance(content, list | tuple) else []:
        text = block.get("text") if isinstance(block, Mapping) else None
        if isinstance(text, str):
            parts.append(text)
    return "\n".join(parts)
