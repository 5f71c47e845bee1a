"""`memory mcp`: serve the memory folder to MCP clients over stdio."""

from __future__ import annotations

from pathlib import Path

import click

from memdir.store import MemoryDir

pass_store = click.make_pass_decorator(MemoryDir)


@click.command("mcp")
@click.option(
    "--project",
    type=click.Path(file_okay=False, path_type=Path),
    help="Project to check files named in memories against. Default: the git root here.",
)
@click.option("--no-verify", is_flag=True, help="Do not check files and names against the project.")
@click.option("--offline", is_flag=True, help="Recall with the offline selector only.")
@pass_store
def mcp_cmd(store: MemoryDir, project: Path | None, no_verify: bool, offline: bool) -> None:
    """Run an MCP server over stdio for the memory folder.

    Tools: recall, remember, forget, list_memories, lint. Resource: the
    MEMORY.md index (memdir://index). An MCP client starts this command
    itself; stdout carries the protocol, so nothing else is printed.

    \b
    Example client entry (Claude Code .mcp.json, Claude Desktop config):
        {"mcpServers": {"memdir": {
            "command": "/abs/path/to/.venv/bin/memory",
            "args": ["--dir", "/abs/path/to/memories", "mcp"]}}}
    """
    # Imported here: the SDK is only needed when the server actually runs.
    from memdir.integrations import serve
    from memdir.paths import verification_root

    root = verification_root(project=project, verify=not no_verify)
    serve(store, project_root=root, offline=offline)


COMMANDS = [mcp_cmd]
