"""`memory mcp`: one memory folder served to any MCP client over stdio.

Tools: recall, remember, forget, list_memories, lint; resource: the ``MEMORY.md`` index.
The logic lives in `MemdirTools` (plain values, no protocol); `build_server` wraps it with
the official `mcp` SDK, which is imported only here, inside functions, so `import memdir`
and the CLI start-up stay light.

This module deliberately has no ``from __future__ import annotations``: the SDK reads the
tool functions' signatures with ``eval_str=True`` against this module's globals, and the
tools are defined inside `build_server` next to their locally imported types.
"""

import json
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from ..errors import MemdirError
from ..recall.recaller import Recaller
from ..store.folder import MemoryDir
from ..store.freshness import age_days
from ..store.prompt import USE_GUIDE, type_section

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer
    from mcp.types import CallToolResult

INDEX_URI = "memdir://index"
SERVER_NAME = "memdir"

#: What one tool returns before it becomes an MCP result: text for the model, and data.
ToolOutput = tuple[str, dict[str, Any]]


def server_instructions(store: MemoryDir) -> str:
    """What the client's model is told about this server (our words plus the memory guide)."""
    return "\n".join(
        [
            f"memdir keeps this agent's long-term memory as Markdown files in {store.path}.",
            "Call `recall` with the user's request in plain words before answering questions "
            "that earlier sessions could inform; a memory is shown at most once per session. "
            "Call `remember` when you learn something that will still matter in a later "
            "session and that the code cannot tell you; check `list_memories` first and pass "
            "`overwrite=true` to update an existing memory rather than adding a near-duplicate. "
            "Call `forget` when a memory turns out to be wrong. The index is the resource "
            f"{INDEX_URI}.",
            "",
            type_section(),
            "",
            USE_GUIDE,
        ]
    )


class MemdirTools:
    """The tools' behaviour over one memory folder, independent of the MCP protocol.

    One instance lives as long as the server process. Its session id stands for the MCP
    session: stdio serves exactly one client per process, so memories already recalled
    in this process are not recalled again.
    """

    def __init__(
        self,
        store: MemoryDir,
        *,
        recaller: Recaller | None = None,
        project_root: Path | None = None,
        offline: bool = False,
        session_id: str | None = None,
    ) -> None:
        self.store = store
        self.recaller = recaller or Recaller(store, project_root=project_root)
        self.offline = offline
        self.session_id = session_id or f"mcp-{uuid.uuid4().hex}"
        self.project_root = project_root
        # Sync tools run on worker threads; two recalls at once could both surface the
        # same memory before either marks it, so recalls take turns.
        self._recall_lock = threading.Lock()

    def recall(self, query: str, limit: int | None = None) -> ToolOutput:
        """The memories that clearly help with `query`, rendered and as data.

        With `limit`, up to that many, the weaker ones marked as such.
        """
        with self._recall_lock:
            result = self.recaller.recall(
                query, session_id=self.session_id, offline=self.offline, limit=limit
            )
        data = {**result.to_json(), "query": query, "skipped": result.skipped}
        text = result.render()
        if not text:
            text = (
                f"Nothing recalled: {result.skipped}."
                if result.skipped
                else "No memory clearly helps with this request."
            )
        return text, data

    def remember(
        self, *, type: str, name: str, description: str, body: str, overwrite: bool = False
    ) -> ToolOutput:
        """Save one memory; raises `MemdirError` (nothing written) when it is refused."""
        saved = self.store.save(
            name=name,
            description=description,
            type=type,
            body=body,
            overwrite=overwrite,
            actor="mcp",
        )
        memory = saved.memory
        data = {
            "path": str(memory.path),
            "filename": memory.filename,
            "name": memory.name,
            "type": memory.type.value if memory.type else None,
            "warnings": list(saved.warnings),
        }
        lines = [f"Saved {memory.path}"]
        lines += [f"Warning: {warning}" for warning in saved.warnings]
        return "\n".join(lines), data

    def forget(self, name: str) -> ToolOutput:
        """Delete one memory and its index line."""
        path = self.store.delete(name, actor="mcp")
        return f"Deleted {path}", {"path": str(path)}

    def list_memories(self, type: str | None = None) -> ToolOutput:
        """Every memory (optionally of one type), newest first."""
        headers = self.store.list(type or None)
        rows = [
            {
                "filename": h.filename,
                "name": h.name,
                "type": h.type.value if h.type else None,
                "description": h.description,
                "age_days": age_days(h.mtime, h.updated),
            }
            for h in headers
        ]
        if not rows:
            return "No memories" + (f" of type {type}." if type else "."), {"memories": []}
        lines = [
            f"- {r['name']} [{r['type'] or 'untyped'}, {r['age_days']}d old] "
            f"({r['filename']}): {r['description']}"
            for r in rows
        ]
        return "\n".join(lines), {"memories": rows}

    def lint(self) -> ToolOutput:
        """Problems in the folder, as `memory lint --json` reports them."""
        from ..lint import lint

        report = lint(self.store, project_root=self.project_root)
        text = json.dumps(report.to_json(), indent=2, ensure_ascii=False, default=str)
        data = json.loads(text)
        # structuredContent must be a JSON object.
        return text, data if isinstance(data, dict) else {"report": data}

    def index_text(self) -> str:
        """``MEMORY.md`` as an agent should load it (capped, with a note when cut)."""
        return self.store.load_index().text


def tool_result(call: Callable[[], ToolOutput]) -> "CallToolResult":
    """Run one tool; our refusals become MCP tool errors carrying the message."""
    from mcp.types import CallToolResult, TextContent

    try:
        text, data = call()
    except MemdirError as exc:
        # Trigger: invalid input or a missing memory. Why: the model must read the reason
        # (which field, which values are valid) to correct itself. Outcome: isError with
        # our message verbatim, not the SDK's generic "Error executing tool" prefix.
        return CallToolResult(content=[TextContent(type="text", text=str(exc))], is_error=True)
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=data)


def build_server(tools: MemdirTools) -> "MCPServer[Any]":
    """An MCP server exposing `tools` and the index resource (not yet running)."""
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ResourceError
    from mcp.types import CallToolResult, ToolAnnotations
    from pydantic import Field

    server: MCPServer[Any] = MCPServer(
        SERVER_NAME,
        title="memdir memory",
        instructions=server_instructions(tools.store),
        version=_version(),
        log_level="WARNING",
    )
    read_only = ToolAnnotations(read_only_hint=True, open_world_hint=False)

    @server.tool(annotations=read_only)
    def recall(
        query: Annotated[str, Field(description="The user's request or topic, in plain words.")],
        limit: Annotated[
            int | None,
            Field(
                description="Return up to this many, weaker matches marked as such. "
                "Default: only the memories that clearly help (at most 5).",
                ge=1,
                le=50,
            ),
        ] = None,
    ) -> CallToolResult:
        """Recall the few saved memories that clearly help with this request.

        Memories already shown in this session are not shown again.
        """
        return tool_result(lambda: tools.recall(query, limit))

    @server.tool(annotations=ToolAnnotations(destructive_hint=False, open_world_hint=False))
    def remember(
        type: Annotated[str, Field(description="One of: user, feedback, project, reference.")],
        name: Annotated[str, Field(description="Short title; also names the file.")],
        description: Annotated[
            str, Field(description="One specific line saying what the memory holds.")
        ],
        body: Annotated[str, Field(description="The memory itself, in Markdown.")],
        overwrite: Annotated[
            bool, Field(description="Replace an existing memory of the same name.")
        ] = False,
    ) -> CallToolResult:
        """Save a memory for later sessions. Never store secrets or what the code shows."""
        return tool_result(
            lambda: tools.remember(
                type=type, name=name, description=description, body=body, overwrite=overwrite
            )
        )

    @server.tool(annotations=ToolAnnotations(destructive_hint=True, open_world_hint=False))
    def forget(
        name: Annotated[str, Field(description="The memory's name or file name.")],
    ) -> CallToolResult:
        """Delete a memory that turned out to be wrong or no longer matters."""
        return tool_result(lambda: tools.forget(name))

    @server.tool(annotations=read_only)
    def list_memories(
        type: Annotated[
            str | None, Field(description="Only this type: user, feedback, project, reference.")
        ] = None,
    ) -> CallToolResult:
        """List saved memories, newest first: name, type, description and age in days."""
        return tool_result(lambda: tools.list_memories(type))

    @server.tool(annotations=read_only)
    def lint() -> CallToolResult:
        """Check the memory folder for problems (invalid files, index drift, stale facts)."""
        return tool_result(tools.lint)

    @server.resource(
        INDEX_URI,
        name="MEMORY.md",
        title="Memory index",
        description="The index of saved memories, one line each.",
        mime_type="text/markdown",
    )
    def index() -> str:
        try:
            return tools.index_text()
        except MemdirError as exc:
            raise ResourceError(str(exc)) from exc

    return server


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("memdir")
    except PackageNotFoundError:
        return "0"


def serve(store: MemoryDir, *, project_root: Path | None = None, offline: bool = False) -> None:
    """Serve `store` over stdio until the client closes the connection."""
    server = build_server(MemdirTools(store, project_root=project_root, offline=offline))
    server.run("stdio")
