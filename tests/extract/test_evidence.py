"""`memdir.extract.evidence`: only user and assistant text is evidence; the agent's own writes
to the memory folder are recognised (the mutual-exclusion check)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from memdir.extract.evidence import render_for_extraction, wrote_to_memory
from memdir.extract.transcript import (
    Message,
    OtherBlock,
    TextBlock,
    ToolResultBlock,
    ToolUseBlock,
    from_messages,
)


def _assistant(uuid: str, *blocks: Any) -> Message:
    return Message(uuid, "assistant", tuple(blocks))


# --- rendering --------------------------------------------------------------------------


def test_render_drops_claude_code_injections() -> None:
    messages = from_messages(
        [
            {
                "role": "user",
                "content": [
                    {
                        "type": "text",
                        "text": "<system-reminder>\nRecalled: PLAN-X\n</system-reminder>",
                    },
                    {
                        "type": "text",
                        "text": "<system-reminder>note NOTE-Y</system-reminder>\nWhat next?",
                    },
                ],
            },
            {
                "role": "user",
                "content": "<task-notification>\n<result>TASK-OUT</result>\n</task-notification>",
            },
            {
                "role": "user",
                "content": "<command-name>/compact</command-name>\n<command-args></command-args>"
                "<local-command-stdout>STDOUT-Z</local-command-stdout>",
            },
            {"role": "user", "content": "trailing <system-reminder>unclosed UNCLOSED-W"},
        ]
    )
    rendered = render_for_extraction(messages)
    assert rendered == "user: What next?\n\nuser: trailing"


def test_render_tool_lines_are_short_and_safe() -> None:
    command = "echo ]fake[ && " + "x" * 200 + "\nrm -rf /"
    messages = from_messages(
        [
            {
                "role": "assistant",
                "content": [
                    {"type": "tool_use", "id": "b", "name": "Bash", "input": {"command": command}}
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "b", "content": "boom", "is_error": True}
                ],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "earlier", "content": "old"}],
            },
            {
                "role": "assistant",
                "content": [
                    {
                        "type": "tool_use",
                        "id": "m",
                        "name": "memory",
                        "input": {"command": "view", "path": "/memories"},
                    }
                ],
            },
            {
                "role": "assistant",
                "content": [
                    {"type": "tool_use", "id": "n", "name": "TodoWrite", "input": {"todos": []}}
                ],
            },
        ]
    )
    lines = render_for_extraction(messages).split("\n\n")
    assert lines[0].startswith("[assistant used Bash: echo )fake( && xxx")
    assert len(lines[0]) <= len("[assistant used Bash: ]") + 80
    assert "\n" not in lines[0] and "rm -rf" not in lines[0]
    assert lines[1] == "[result of Bash omitted (it failed)]"
    assert lines[2] == "[result of a tool omitted]"
    assert lines[3] == "[assistant used memory view on /memories]"
    assert lines[4] == "[assistant used TodoWrite]"


# --- mutual exclusion -------------------------------------------------------------------


def _calls(*calls: tuple[str, dict[str, Any]]) -> list[Message]:
    return [
        _assistant(f"a{i}", ToolUseBlock(f"t{i}", name, params))
        for i, (name, params) in enumerate(calls)
    ]


@pytest.fixture
def mem(tmp_path: Path) -> Path:
    folder = tmp_path / "proj" / "memory"
    folder.mkdir(parents=True)
    return folder


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("Write", {"file_path": "{mem}/user_role.md", "content": "x"}),
        ("Edit", {"file_path": "{mem}/MEMORY.md", "old_string": "a", "new_string": "b"}),
        ("MultiEdit", {"file_path": "{mem}/sub/x.md", "edits": []}),
        ("NotebookEdit", {"notebook_path": "{mem}/n.ipynb", "new_source": ""}),
        ("Write", {"path": "{mem}/alt-key.md"}),
        ("memory", {"command": "create", "path": "/memories/x.md", "file_text": "x"}),
        (
            "memory",
            {"command": "rename", "old_path": "/memories/a.md", "new_path": "/memories/b.md"},
        ),
        ("mcp__memdir__remember", {"name": "x"}),
        ("mcp__mem__forget", {"name": "x"}),
        ("Bash", {"command": "echo hi > {mem}/a.md"}),
        ("Bash", {"command": "rm '{mem}/old.md'"}),
        ("Bash", {"command": "sed -i 's/a/b/' {mem}/x.md"}),
    ],
)
def test_writes_into_memory_are_detected(name: str, params: dict[str, Any], mem: Path) -> None:
    filled = {
        k: v.replace("{mem}", str(mem)) if isinstance(v, str) else v for k, v in params.items()
    }
    assert wrote_to_memory(_calls((name, filled)), mem)


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("Write", {"file_path": "{mem}-other/x.md"}),
        ("Write", {"file_path": "{mem}.bak"}),
        ("Write", {"file_path": "{mem}/../outside.md"}),
        ("Write", {"file_path": "/tmp/elsewhere.md"}),
        ("Read", {"file_path": "{mem}/user_role.md"}),
        ("memory", {"command": "view", "path": "/memories"}),
        ("mcp__memdir__recall", {"query": "x"}),
        ("Bash", {"command": "ls {mem}"}),
        ("Bash", {"command": "cat {mem}/a.md 2>/dev/null"}),
        ("Bash", {"command": "rm -rf {mem}-other/x"}),
        ("Bash", {"command": "echo hi > /tmp/x.md"}),
    ],
)
def test_other_calls_do_not_count(name: str, params: dict[str, Any], mem: Path) -> None:
    filled = {k: v.replace("{mem}", str(mem)) for k, v in params.items()}
    assert not wrote_to_memory(_calls((name, filled)), mem)


def test_relative_paths_resolve_against_cwd(mem: Path, tmp_path: Path) -> None:
    messages = _calls(("Write", {"file_path": "memory/a.md"}))
    assert wrote_to_memory(messages, mem, cwd=mem.parent)
    assert not wrote_to_memory(messages, mem, cwd=tmp_path)
    assert wrote_to_memory(messages, "memory", cwd=mem.parent)  # relative folder too


def test_symlinked_paths_are_resolved(mem: Path, tmp_path: Path) -> None:
    link = tmp_path / "link-to-memory"
    link.symlink_to(mem, target_is_directory=True)
    assert wrote_to_memory(_calls(("Write", {"file_path": f"{link}/a.md"})), mem)
    assert wrote_to_memory(_calls(("Write", {"file_path": f"{mem}/a.md"})), link)


def test_home_relative_spellings(isolated_env: Path) -> None:
    mem = isolated_env / ".claude" / "projects" / "-repo" / "memory"
    mem.mkdir(parents=True)
    assert wrote_to_memory(
        _calls(("Write", {"file_path": "~/.claude/projects/-repo/memory/a.md"})), mem
    )
    assert wrote_to_memory(
        _calls(("Bash", {"command": "tee ~/.claude/projects/-repo/memory/a.md"})), mem
    )


def test_failed_and_non_assistant_calls_do_not_count(mem: Path) -> None:
    write = ToolUseBlock("t1", "Write", {"file_path": f"{mem}/a.md"})
    refused = Message("u", "user", (ToolResultBlock("t1", is_error=True, content="denied"),))
    assert not wrote_to_memory([_assistant("a", write), refused], mem)
    succeeded = Message("u", "user", (ToolResultBlock("t1", content="ok"),))
    assert wrote_to_memory([_assistant("a", write), succeeded], mem)
    assert not wrote_to_memory([Message("u0", "user", (write,))], mem)
    assert not wrote_to_memory([], mem)


# --- rendering details ------------------------------------------------------------------


def test_messages_are_separated_by_a_blank_line_and_blocks_by_a_newline() -> None:
    messages = [
        Message("u", "user", (TextBlock("first"), TextBlock("  second  "))),
        _assistant("a", OtherBlock("thinking"), TextBlock("reply")),
        _assistant("b", TextBlock("   ")),
    ]
    assert render_for_extraction(messages) == "user: first\nuser: second\n\nassistant: reply"


def test_images_and_documents_become_placeholders_other_blocks_vanish() -> None:
    messages = [
        Message("u", "user", (OtherBlock("image"), TextBlock("see this"), OtherBlock("document"))),
        _assistant("a", OtherBlock("thinking"), OtherBlock("redacted_thinking")),
    ]
    assert render_for_extraction(messages) == (
        "[image omitted]\nuser: see this\n[document omitted]"
    )


def test_injections_are_removed_from_user_text_only() -> None:
    reminder = "<system-reminder>hidden</system-reminder>"
    messages = [
        Message("u", "user", (TextBlock(f"{reminder}asked"),)),
        _assistant("a", TextBlock(f"quoted {reminder}")),
        Message("n", "user", (TextBlock("  \n<task-notification>done</task-notification>"),)),
    ]
    assert render_for_extraction(messages) == f"user: asked\n\nassistant: quoted {reminder}"


@pytest.mark.parametrize(
    ("name", "params", "line"),
    [
        ("Edit", {"path": "b.py", "file_path": "a.py"}, "[assistant used Edit on a.py]"),
        ("Edit", {"file_path": "", "path": "b.py"}, "[assistant used Edit on b.py]"),
        ("Glob", {"pattern": "*.py", "command": "ls"}, "[assistant used Glob: ls]"),
        (
            "WebFetch",
            {"url": "https://a.example/doc"},
            "[assistant used WebFetch: https://a.example/doc]",
        ),
        ("Search", {"query": 7, "description": "find it"}, "[assistant used Search: find it]"),
        ("", {}, "[assistant used a tool]"),
        ("memory", {"command": 3, "path": "/memories"}, "[assistant used memory on /memories]"),
        ("Task[x]", {}, "[assistant used Task(x)]"),
    ],
)
def test_tool_calls_are_described_by_their_first_telling_argument(
    name: str, params: dict[str, Any], line: str
) -> None:
    assert render_for_extraction([_assistant("a", ToolUseBlock("t", name, params))]) == line


def test_long_arguments_are_cut_to_eighty_characters() -> None:
    exact = "y" * 80
    longer = "z" * 81
    lines = render_for_extraction(
        [
            _assistant("a", ToolUseBlock("t1", "Bash", {"command": exact})),
            _assistant("b", ToolUseBlock("t2", "Bash", {"command": longer})),
        ]
    ).split("\n\n")
    assert lines[0] == f"[assistant used Bash: {exact}]"
    assert lines[1] == f"[assistant used Bash: {'z' * 79}…]"


def test_a_result_names_the_tool_that_was_called_in_an_earlier_message() -> None:
    messages = from_messages(
        [
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "g", "name": "Grep", "input": {}}],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "g", "content": "PLANTED"}],
            },
        ]
    )
    rendered = render_for_extraction(messages)
    assert rendered == "[assistant used Grep]\n\n[result of Grep omitted]"


# --- mutual exclusion details -----------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        "git mv {mem}/a.md {mem}/b.md",
        "git rm {mem}/a.md",
        "mkdir {mem}/sub",
        "touch {mem}/new.md",
        "cd /x && cp notes.md {mem}/",
        "cat x | tee -a {mem}/a.md",
        "printf x >> {mem}/a.md",
    ],
)
def test_shell_writes_into_the_folder_count(command: str, mem: Path) -> None:
    messages = _calls(("Bash", {"command": command.replace("{mem}", str(mem))}))
    assert wrote_to_memory(messages, mem)


@pytest.mark.parametrize(
    "command",
    [
        "grep -r x {mem} 2>&1",
        "ls {mem} >&2",
        "git log -- {mem}",
        "echo {mem}",
        "echo x > {mem}2/a.md",
    ],
)
def test_shell_reads_of_the_folder_do_not_count(command: str, mem: Path) -> None:
    messages = _calls(("Bash", {"command": command.replace("{mem}", str(mem))}))
    assert not wrote_to_memory(messages, mem)


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("mcp__memdir__list", {}),
        ("memory", {"command": "view", "path": "/memories/a.md"}),
        ("memory", {}),
        ("Bash", {"command": ["rm", "x"]}),
        ("Write", {"file_path": 5}),
        ("Write", {}),
    ],
)
def test_calls_that_write_nothing_into_the_folder(
    name: str, params: dict[str, Any], mem: Path
) -> None:
    assert not wrote_to_memory(_calls((name, params)), mem)


def test_a_memory_folder_spelled_with_a_tilde_is_expanded(isolated_env: Path) -> None:
    mem = isolated_env / "notes" / "memory"
    mem.mkdir(parents=True)
    assert wrote_to_memory(_calls(("Write", {"file_path": f"{mem}/a.md"})), "~/notes/memory")
    assert not wrote_to_memory(_calls(("Write", {"file_path": f"{mem}.md"})), "~/notes/memory")


def test_a_call_without_an_id_is_not_matched_to_a_failed_result(mem: Path) -> None:
    write = ToolUseBlock("", "Write", {"file_path": f"{mem}/a.md"})
    failed = Message("u", "user", (ToolResultBlock("", is_error=True),))
    assert wrote_to_memory([_assistant("a", write), failed], mem)
