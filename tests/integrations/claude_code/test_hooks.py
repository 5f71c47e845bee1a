"""Claude Code hooks, run as Claude Code runs them: the real `memory` executable in a
subprocess, in the session's directory, with the captured hook JSON on stdin."""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from memdir.integrations.claude_code.hooks import MAX_CONTEXT_CHARS, fit_context
from memdir.paths import claude_memory_dir, sanitize_path
from memdir.recall.session import SessionStore
from memdir.store.folder import MemoryDir
from tests.conftest import memory_cmd, subprocess_env
from tests.samples import VERSIONS, load_capture, rebuild_transcript_lines, write_jsonl

MARKER = "MEMORY-MARKER-7f3a"


@dataclass
class Workspace:
    """A Claude Code config folder, a git project in it, and that project's memory folder."""

    root: Path
    config: Path
    project: Path
    state: Path

    @property
    def env(self) -> dict[str, str]:
        return {"CLAUDE_CONFIG_DIR": str(self.config), "HOME": str(self.root / "home")}

    @property
    def memory(self) -> MemoryDir:
        return MemoryDir(claude_memory_dir(self.project, self.env), state=self.state)

    @property
    def log(self) -> str:
        path = self.state / "hooks.log"
        return path.read_text(encoding="utf-8") if path.exists() else ""

    def payload(
        self, event: str, *, version: str = "2.1.332", scenario: str = "A", **changes: Any
    ) -> dict[str, Any]:
        """A captured hook input with its placeholders pointed at this workspace."""
        raw = json.dumps(load_capture(version)["scenarios"][scenario]["hook_stdin"][event])
        text = (
            raw.replace("<CLAUDE_CONFIG_DIR>", str(self.config))
            .replace("<SANITIZED_WS>", sanitize_path(str(self.root)))
            .replace("<WS>", str(self.root))
        )
        data: dict[str, Any] = json.loads(text)
        data.update(changes)
        return data


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    root = tmp_path / "ws"
    project = root / "repo"
    (project / ".git").mkdir(parents=True)
    return Workspace(root, root / "claude-config", project, tmp_path / "state")


def run_hook(
    ws: Workspace,
    event: str,
    stdin: dict[str, Any] | str | bytes,
    *,
    args: tuple[str, ...] = (),
    timeout: float = 60,
    **env: str,
) -> subprocess.CompletedProcess[bytes]:
    data = json.dumps(stdin) if isinstance(stdin, dict) else stdin
    return subprocess.run(
        [*memory_cmd(), *args, "hook", "claude-code", event],
        input=data.encode() if isinstance(data, str) else data,
        env=subprocess_env(**ws.env, **env),
        cwd=ws.project,
        capture_output=True,
        timeout=timeout,
    )


def context_of(proc: subprocess.CompletedProcess[bytes]) -> str:
    """The additionalContext of a well-formed UserPromptSubmit answer."""
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == b""
    output = json.loads(proc.stdout)
    assert list(output) == ["hookSpecificOutput"]
    specific = output["hookSpecificOutput"]
    assert specific["hookEventName"] == "UserPromptSubmit"
    assert isinstance(specific["additionalContext"], str)
    assert 0 < len(specific["additionalContext"]) <= MAX_CONTEXT_CHARS
    return str(specific["additionalContext"])


def assert_silent(proc: subprocess.CompletedProcess[bytes]) -> None:
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b""
    assert proc.stderr == b""


def add_colour_memory(store: MemoryDir) -> None:
    store.save(
        name="Favourite colour",
        description="The user's favourite colour, for theme and palette choices",
        type="user",
        body=f"The user's favourite colour is teal. {MARKER}",
    )


# --- UserPromptSubmit ----------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_prompt_gets_recalled_memories(ws: Workspace, version: str) -> None:
    add_colour_memory(ws.memory)
    ws.memory.save(
        name="Deploy freeze",
        description="Payments deploys are frozen from 2026-03-05 for the audit",
        type="project",
        body="No payments deploys.\n\n**Why:** audit.\n**How to apply:** hold merges.",
    )

    proc = run_hook(ws, "user-prompt-submit", ws.payload("UserPromptSubmit", version=version))

    context = context_of(proc)
    assert context.startswith("Memories recalled for this request")
    assert f"The user's favourite colour is teal. {MARKER}" in context
    assert str(ws.memory.path / "favourite_colour.md") in context
    assert "Payments" not in context
    assert ws.log == ""


def test_surfaced_set_persists_across_invocations_of_a_session(ws: Workspace) -> None:
    add_colour_memory(ws.memory)
    payload = ws.payload("UserPromptSubmit")

    first = run_hook(ws, "user-prompt-submit", payload)
    second = run_hook(ws, "user-prompt-submit", payload)
    other_session = run_hook(ws, "user-prompt-submit", {**payload, "session_id": "another-one"})

    assert MARKER in context_of(first)
    assert_silent(second)
    assert MARKER in context_of(other_session)
    surfaced = SessionStore(ws.state).get(payload["session_id"]).surfaced
    assert surfaced == {str(ws.memory.path / "favourite_colour.md")}


@pytest.mark.parametrize(
    "stdin",
    [
        b"",
        b"hello, what is my favourite colour?",
        b"\xff\xfe\x00garbage",
        b"[1, 2, 3]",
        b'{"hook_event_name": "UserPromptSubmit", "prompt": "what is my favourite colour?"}',
        b'{"session_id": "s", "transcript_path": "/t", "cwd": 42, "hook_event_name": "x"}',
    ],
    ids=["empty", "text", "binary", "array", "missing-fields", "wrong-type"],
)
def test_garbage_input_exits_0_silently_with_a_log_line(ws: Workspace, stdin: bytes) -> None:
    add_colour_memory(ws.memory)

    proc = run_hook(ws, "user-prompt-submit", stdin)

    assert_silent(proc)
    (line,) = ws.log.splitlines()
    assert " user-prompt-submit: failed: " in line


def test_wrong_event_is_logged_not_answered(ws: Workspace) -> None:
    add_colour_memory(ws.memory)

    proc = run_hook(ws, "user-prompt-submit", ws.payload("Stop"))

    assert_silent(proc)
    assert "expected a UserPromptSubmit event, got Stop" in ws.log


def test_missing_memory_folder_exits_0_silently(ws: Workspace) -> None:
    proc = run_hook(ws, "user-prompt-submit", ws.payload("UserPromptSubmit"))

    assert_silent(proc)
    assert not ws.memory.path.exists()  # a hook never creates the folder
    assert "skipped" in ws.log and "the memory folder does not exist yet" in ws.log
    assert str(ws.memory.path) in ws.log


def test_bad_claude_settings_still_exit_0(ws: Workspace) -> None:
    ws.config.mkdir(parents=True)
    (ws.config / "settings.json").write_text(json.dumps({"autoMemoryDirectory": "relative"}))
    proc = run_hook(ws, "user-prompt-submit", ws.payload("UserPromptSubmit"))

    assert_silent(proc)
    assert "autoMemoryDirectory" in ws.log


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_dead_model_falls_back_offline_within_the_hook_timeout(ws: Workspace) -> None:
    add_colour_memory(ws.memory)
    dead = {
        "ANTHROPIC_API_KEY": "sk-test",
        "ANTHROPIC_BASE_URL": f"http://127.0.0.1:{closed_port()}",
    }

    started = time.monotonic()
    proc = run_hook(ws, "user-prompt-submit", ws.payload("UserPromptSubmit"), **dead)
    elapsed = time.monotonic() - started

    # Recall that cannot reach the model uses the offline selector; the prompt goes through.
    assert MARKER in context_of(proc)
    assert elapsed < 10  # the timeout `memory install` gives this hook
    unrelated = ws.payload("UserPromptSubmit", prompt="translate this sentence into French")
    assert_silent(run_hook(ws, "user-prompt-submit", unrelated, **dead))


@pytest.mark.parametrize(
    "prompt",
    [
        "<task-notification>\n<task-id>b1</task-id>\n<status>completed</status>\n"
        "<summary>favourite colour lookup finished</summary>\n</task-notification>",
        "colour?",
    ],
    ids=["task-notification", "one-word"],
)
def test_prompts_not_worth_recalling_for_get_nothing(ws: Workspace, prompt: str) -> None:
    add_colour_memory(ws.memory)

    proc = run_hook(ws, "user-prompt-submit", ws.payload("UserPromptSubmit", prompt=prompt))

    assert_silent(proc)
    assert SessionStore(ws.state).get("7f2de8e4-3cae-4c33-8a89-6faf9ba563a8").surfaced == set()


@pytest.mark.parametrize("how", ["--dir", "MEMDIR_DIR"])
def test_dir_and_env_override_the_folder_for_cwd(ws: Workspace, tmp_path: Path, how: str) -> None:
    add_colour_memory(ws.memory)
    other = MemoryDir(tmp_path / "elsewhere", state=ws.state)
    other.save(
        name="Colour scheme",
        description="The user's favourite colour scheme for terminals and editors",
        type="user",
        body="Solarized dark everywhere. OTHER-FOLDER",
    )
    payload = ws.payload("UserPromptSubmit")

    if how == "--dir":
        proc = run_hook(ws, "user-prompt-submit", payload, args=("--dir", str(other.path)))
    else:
        proc = run_hook(ws, "user-prompt-submit", payload, MEMDIR_DIR=str(other.path))

    context = context_of(proc)
    assert "OTHER-FOLDER" in context and MARKER not in context


def test_context_is_cut_at_a_memory_boundary_and_the_rest_comes_later(ws: Workspace) -> None:
    store = ws.memory
    filler = ("Step detail for the cluster upgrade runbook, kept verbatim. " * 60).strip()
    for n in range(1, 6):
        store.save(
            name=f"Cluster upgrade runbook part {n}",
            description=f"Kubernetes cluster upgrade runbook, part {n} of 5",
            type="reference",
            body=f"PART-{n}\n{filler[:3800]}",
        )
    payload = ws.payload("UserPromptSubmit", prompt="how do we run the kubernetes cluster upgrade?")

    first = context_of(run_hook(ws, "user-prompt-submit", payload))
    second = context_of(run_hook(ws, "user-prompt-submit", payload))

    shown_first = {n for n in range(1, 6) if f"PART-{n}\n" in first}
    shown_second = {n for n in range(1, 6) if f"PART-{n}\n" in second}
    assert 1 <= len(shown_first) < 5
    assert "left out to stay within the hook's size limit" in first
    assert first.rstrip().endswith(".)")  # the note, not half a memory
    # What was cut is not marked as seen: the next prompt of the session gets it.
    assert shown_second and not shown_first & shown_second


def test_a_running_daemon_answers_instead_of_a_local_recall(ws: Workspace) -> None:
    from memdir.daemon.server import LineServer
    from memdir.daemon.wire import socket_path
    from memdir.recall.recaller import Recaller

    add_colour_memory(ws.memory)
    seen: list[dict[str, Any]] = []

    def handler(request: dict[str, Any]) -> dict[str, Any]:
        seen.append(request)
        result = Recaller(ws.memory).recall(request["query"], offline=True)
        data = result.to_json()
        for memory in data["memories"]:
            memory["content"] = memory["content"].replace("teal", "teal (answered by the daemon)")
        return {"ok": True, "result": data}

    path = socket_path(ws.memory.path, state_dir=ws.state)
    path.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
    path.parent.chmod(0o700)
    server = LineServer(path, handler)
    server.start()
    try:
        payload = ws.payload("UserPromptSubmit")
        proc = run_hook(ws, "user-prompt-submit", payload)
    finally:
        server.close()

    assert "teal (answered by the daemon)" in context_of(proc)
    (request,) = seen
    assert request["query"] == payload["prompt"]
    assert request["session_id"] == payload["session_id"]
    assert request["project_root"] == str(ws.project)
    assert request["mark_surfaced"] is False  # the hook marks only what fits its context
    # The hook records what it showed, whatever the daemon did.
    surfaced = SessionStore(ws.state).get(payload["session_id"]).surfaced
    assert surfaced == {str(ws.memory.path / "favourite_colour.md")}


# --- Stop and SessionEnd -----------------------------------------------------------------


def test_stop_with_stop_hook_active_does_nothing(ws: Workspace) -> None:
    payload = ws.payload("Stop", stop_hook_active=True)

    proc = run_hook(ws, "stop", payload, ANTHROPIC_API_KEY="sk-test")

    assert_silent(proc)
    assert "stop_hook_active" in ws.log
    assert not (ws.state / "extract").exists()


def test_stop_without_a_model_queues_nothing(ws: Workspace) -> None:
    proc = run_hook(ws, "stop", ws.payload("Stop"))

    assert_silent(proc)
    assert "extraction is off: extraction needs a model: set ANTHROPIC_API_KEY" in ws.log
    assert not (ws.state / "extract").exists()


def wait_for(condition: Callable[[], bool], timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def drain(ws: Workspace, timeout: float = 30) -> bool:
    from memdir.extract.queue import drain as drain_queue

    return drain_queue(timeout, memory_dir=ws.memory.path, state=ws.state)


def test_stop_queues_extraction_that_waits_for_the_turn(ws: Workspace, fake_anthropic: Any) -> None:
    """Claude Code writes the transcript in batches: the reply may land after Stop fires."""
    scenario = load_capture("2.1.332")["scenarios"]["A"]
    payload = ws.payload("Stop")
    transcript = Path(payload["transcript_path"])
    transcript.parent.mkdir(parents=True)
    lines = rebuild_transcript_lines(scenario)
    cut = next(i for i, line in enumerate(lines) if json.loads(line)["type"] == "assistant")
    write_jsonl(transcript, lines[:cut])  # the user's prompt is there, the reply not yet
    fake_anthropic.reply_text("Nothing here is worth keeping.", delay=4.0)  # a slow extraction
    model = {"ANTHROPIC_API_KEY": "sk-test", "ANTHROPIC_BASE_URL": fake_anthropic.url}
    # The batch with the reply arrives shortly after Stop fired, whether or not the hook
    # process has exited by then.
    reply_lands = threading.Timer(0.3, write_jsonl, args=(transcript, lines))

    started = time.monotonic()
    reply_lands.start()
    try:
        proc = run_hook(ws, "stop", payload, **model)
        elapsed = time.monotonic() - started
    finally:
        reply_lands.join()

    assert_silent(proc)
    assert wait_for(lambda: len(fake_anthropic.requests) == 1, 60), ws.log
    # The hook was back before the extraction it queued could have had its answer.
    assert elapsed < fake_anthropic.requests[0].time - started + 4.0
    assert drain(ws)
    evidence = json.dumps(fake_anthropic.requests[0].body)
    assert "hello, what is my favourite colour?" in evidence
    assert payload["last_assistant_message"] in evidence
    assert fake_anthropic.unexpected == 0


def test_session_end_queues_and_returns_without_waiting(ws: Workspace, fake_anthropic: Any) -> None:
    scenario = load_capture("2.1.112")["scenarios"]["A"]
    payload = ws.payload("SessionEnd", version="2.1.112")
    transcript = Path(payload["transcript_path"])
    transcript.parent.mkdir(parents=True)
    write_jsonl(transcript, rebuild_transcript_lines(scenario))
    fake_anthropic.reply_text("Nothing to keep.", delay=4.0)  # a slow extraction
    model = {"ANTHROPIC_API_KEY": "sk-test", "ANTHROPIC_BASE_URL": fake_anthropic.url}

    started = time.monotonic()
    proc = run_hook(ws, "session-end", payload, **model)
    elapsed = time.monotonic() - started

    assert_silent(proc)
    assert wait_for(lambda: len(fake_anthropic.requests) == 1, 60), ws.log
    # The hook was back before the extraction's model call could have finished.
    assert elapsed < fake_anthropic.requests[0].time - started + 4.0
    assert drain(ws)


# --- fitting the context -------------------------------------------------------------------


def rendered(*names_and_sizes: tuple[str, int]) -> str:
    parts = ["Memories recalled for this request."]
    for name, size in names_and_sizes:
        parts.append(f"## {name} (user memory, saved today; file /m/{name}.md)\n\n" + "x" * size)
    return "\n\n".join(parts) + "\n"


def test_fit_context_keeps_what_fits_whole() -> None:
    text = rendered(("a", 10), ("b", 10))
    assert fit_context(text, ["a", "b"], limit=1000).text == text

    fitted = fit_context(rendered(("a", 300), ("b", 300), ("c", 300)), ["a", "b", "c"], limit=850)

    assert (fitted.kept, fitted.total) == (2, 3)
    assert len(fitted.text) <= 850
    assert fitted.text.endswith(
        "(1 more recalled memory was left out to stay within the hook's size limit.)\n"
    )
    assert "## c (" not in fitted.text and fitted.text.count("x" * 300) == 2


def test_fit_context_cuts_a_lone_memory_at_a_line() -> None:
    body = "\n".join(f"line {i} " + "y" * 40 for i in range(100))
    text = "Intro.\n\n## big (user memory, saved today; file /m/big.md)\n\n" + body + "\n"

    fitted = fit_context(text, ["big"], limit=1000)

    assert len(fitted.text) <= 1000
    assert fitted.kept == 1
    assert fitted.text.endswith("has the whole memory]\n")
    last_line = fitted.text.splitlines()[-2]
    assert last_line.startswith("line ") and last_line.endswith("y" * 40)
