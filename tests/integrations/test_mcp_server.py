"""`memory mcp`: end to end through the official SDK's client over stdio, in a subprocess."""

import json
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from click.testing import CliRunner
from memdir_cli.main import cli

from memdir.integrations.mcp_server import INDEX_URI
from memdir.store.folder import MemoryDir
from tests.conftest import memory_cmd, subprocess_env

ROLE = {
    "type": "user",
    "name": "User role",
    "description": "Senior Go engineer, new to React and the frontend build",
    "body": "Explain frontend code by analogy with Go; assume deep backend knowledge.",
}
CUTOVER = {
    "type": "project",
    "name": "Payment provider cutover",
    "description": "Payment provider cutover to Adyen is planned for 2026-03-05",
    "body": "Freeze changes to the payment webhooks until the cutover is done.\n\n"
    "**Why:** the old provider stops sending webhooks on that day.",
}

Body = Callable[[Any], Awaitable[None]]


def run_client(folder: Path, cwd: Path, body: Body) -> Any:
    """Start `memory --dir FOLDER mcp`, run `body(session)`; returns the initialize result."""
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    command = memory_cmd()
    params = StdioServerParameters(
        command=command[0],
        args=[*command[1:], "--dir", str(folder), "mcp", "--no-verify", "--offline"],
        # The isolated HOME and MEMDIR_STATE_DIR from the autouse fixture, not the user's.
        env=subprocess_env(),
        cwd=str(cwd),
    )
    errlog_path = cwd / "server-stderr.txt"
    initialized: list[Any] = []

    async def main() -> None:
        with open(errlog_path, "w") as errlog:
            async with stdio_client(params, errlog=errlog) as (read, write):
                async with ClientSession(read, write) as session:
                    initialized.append(await session.initialize())
                    with anyio.fail_after(30):
                        await body(session)

    try:
        anyio.run(main)
    except BaseException:
        sys.stderr.write(errlog_path.read_text())
        raise
    return initialized[0]


def text_of(result: Any) -> str:
    return "\n".join(block.text for block in result.content if block.type == "text")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "memories"
    path.mkdir()
    return path


def test_lists_the_five_tools_and_the_index_resource(folder: Path, tmp_path: Path) -> None:
    seen: dict[str, Any] = {}

    async def body(session: Any) -> None:
        seen["tools"] = {t.name: t for t in (await session.list_tools()).tools}
        seen["resources"] = [str(r.uri) for r in (await session.list_resources()).resources]

    init = run_client(folder, tmp_path, body)
    assert init.server_info.name == "memdir"
    assert str(folder) in init.instructions
    assert "`feedback`" in init.instructions
    tools = seen["tools"]
    assert set(tools) == {"recall", "remember", "forget", "list_memories", "lint"}
    assert tools["remember"].input_schema["required"] == ["type", "name", "description", "body"]
    assert tools["recall"].annotations.read_only_hint is True
    assert tools["forget"].annotations.destructive_hint is True
    assert seen["resources"] == [INDEX_URI]


def test_remember_then_recall_finds_it_once_per_session(folder: Path, tmp_path: Path) -> None:
    seen: dict[str, Any] = {}

    async def body(session: Any) -> None:
        seen["saved"] = await session.call_tool("remember", CUTOVER)
        await session.call_tool("remember", ROLE)
        query = {"query": "when is the payment provider cutover happening?"}
        seen["first"] = await session.call_tool("recall", query)
        seen["second"] = await session.call_tool("recall", query)

    run_client(folder, tmp_path, body)
    saved = seen["saved"]
    assert not saved.is_error
    assert saved.structured_content["path"] == str(folder / "payment_provider_cutover.md")
    assert (folder / "payment_provider_cutover.md").is_file()

    first = seen["first"]
    assert not first.is_error
    names = [m["name"] for m in first.structured_content["memories"]]
    assert names == ["Payment provider cutover"]
    assert first.structured_content["selector"] == "offline"
    assert "Freeze changes to the payment webhooks" in text_of(first)
    # One server process is one MCP session: what it already showed is not repeated.
    assert seen["second"].structured_content["memories"] == []
    assert "No memory clearly helps" in text_of(seen["second"])


def test_remember_with_an_invalid_type_is_a_tool_error_and_writes_nothing(
    folder: Path, tmp_path: Path
) -> None:
    seen: dict[str, Any] = {}

    async def body(session: Any) -> None:
        seen["result"] = await session.call_tool("remember", {**ROLE, "type": "preference"})

    run_client(folder, tmp_path, body)
    result = seen["result"]
    assert result.is_error is True
    # Our validation message verbatim, naming the field and the four valid types.
    assert text_of(result) == (
        f"{folder / 'user_role.md'}: field 'type': invalid type 'preference'; "
        "use one of: user, feedback, project, reference"
    )
    assert list(folder.iterdir()) == []


def test_forget_removes_the_file_and_its_index_line(folder: Path, tmp_path: Path) -> None:
    seen: dict[str, Any] = {}

    async def body(session: Any) -> None:
        await session.call_tool("remember", ROLE)
        seen["forget"] = await session.call_tool("forget", {"name": "User role"})
        seen["again"] = await session.call_tool("forget", {"name": "User role"})

    run_client(folder, tmp_path, body)
    assert not seen["forget"].is_error
    assert seen["forget"].structured_content["path"] == str(folder / "user_role.md")
    assert not (folder / "user_role.md").exists()
    assert "user_role.md" not in (folder / "MEMORY.md").read_text()
    assert seen["again"].is_error is True
    assert "no memory named 'User role'" in text_of(seen["again"])


def test_list_memories_filters_by_type(folder: Path, tmp_path: Path) -> None:
    seen: dict[str, Any] = {}

    async def body(session: Any) -> None:
        await session.call_tool("remember", ROLE)
        await session.call_tool("remember", CUTOVER)
        seen["all"] = await session.call_tool("list_memories", {})
        seen["project"] = await session.call_tool("list_memories", {"type": "project"})
        seen["bad"] = await session.call_tool("list_memories", {"type": "todo"})

    run_client(folder, tmp_path, body)
    everything = seen["all"].structured_content["memories"]
    assert {m["name"] for m in everything} == {"User role", "Payment provider cutover"}
    project = seen["project"].structured_content["memories"]
    assert project == [
        {
            "filename": "payment_provider_cutover.md",
            "name": "Payment provider cutover",
            "type": "project",
            "description": CUTOVER["description"],
            "age_days": 0,
        }
    ]
    assert "Payment provider cutover [project, 0d old]" in text_of(seen["project"])
    assert "User role" not in text_of(seen["project"])
    assert seen["bad"].is_error is True
    assert "invalid type 'todo'" in text_of(seen["bad"])


def test_index_resource_reads_back_the_entry_line(folder: Path, tmp_path: Path) -> None:
    seen: dict[str, Any] = {}

    async def body(session: Any) -> None:
        seen["before"] = await session.read_resource(INDEX_URI)
        await session.call_tool("remember", ROLE)
        seen["after"] = await session.read_resource(INDEX_URI)

    run_client(folder, tmp_path, body)
    assert seen["before"].contents[0].text == ""
    contents = seen["after"].contents[0]
    assert contents.mime_type == "text/markdown"
    assert "[User role](user_role.md)" in contents.text
    assert contents.text == MemoryDir(folder).load_index().text


def test_lint_returns_the_problems_as_json(folder: Path, tmp_path: Path) -> None:
    # A memory file with no type, and an index line pointing at a file that is gone.
    (folder / "stray.md").write_text("---\nname: Stray\ndescription: no type here\n---\nbody\n")
    (folder / "MEMORY.md").write_text("- [Gone](gone.md) — a file that was deleted\n")
    seen: dict[str, Any] = {}

    async def body(session: Any) -> None:
        seen["lint"] = await session.call_tool("lint", {})

    run_client(folder, tmp_path, body)
    result = seen["lint"]
    assert not result.is_error, text_of(result)
    data = result.structured_content
    assert json.loads(text_of(result)) == data
    problems = data["problems"]
    assert {"file": "stray.md", "field": "type"}.items() <= next(
        p for p in problems if p["file"] == "stray.md"
    ).items()
    assert any("gone.md" in p["message"] for p in problems if p["file"] == "MEMORY.md")


def test_mcp_help_describes_the_client_configuration() -> None:
    result = CliRunner().invoke(cli, ["mcp", "--help"])
    assert result.exit_code == 0
    assert "Run an MCP server over stdio" in result.output
    assert '"mcpServers"' in result.output


def test_cli_and_library_imports_do_not_load_mcp_or_anthropic() -> None:
    code = (
        "import memdir, memdir_cli.main, memdir.integrations.mcp_server, sys\n"
        "print('\\n'.join(sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    modules = set(out.split())
    assert "memdir.integrations.mcp_server" in modules
    assert "mcp" not in modules
    assert "anthropic" not in modules


def test_example_config_runs_the_memory_executable_with_mcp() -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "mcp" / "mcp.json"
    config = json.loads(example.read_text())
    server = config["mcpServers"]["memdir"]
    assert Path(server["command"]).name == "memory"
    assert server["args"][0] == "--dir"
    assert server["args"][-1] == "mcp"
