"""The git runner: classified failures, no prompts, credentials never in messages."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from memdir.errors import TeamSyncError
from memdir.team.gitcli import classify, redact
from memdir.team.retry import RetryLog, RetryPolicy

from .conftest import GitServer, free_port


def test_redact_hides_credentials_in_urls() -> None:
    text = "fatal: unable to access 'https://bob:s3cr3t-t0ken@git.example.com/a.git/'"
    assert redact(text) == "fatal: unable to access 'https://***@git.example.com/a.git/'"
    assert redact("git@github.com:acme/memory.git") == "git@github.com:acme/memory.git"


@pytest.mark.parametrize(
    ("stderr", "kind"),
    [
        ("fatal: Authentication failed for 'https://x/a.git/'", "auth"),
        ("fatal: could not read Username for 'https://x': terminal prompts disabled", "auth"),
        ("git@x: Permission denied (publickey).\nfatal: Could not read from remote", "auth"),
        ("fatal: remote error: access denied or repository not exported: /a.git", "missing-remote"),
        ("fatal: '/nope' does not appear to be a git repository", "missing-remote"),
        (
            "remote: Repository not found.\nfatal: repository 'https://x/' not found",
            "missing-remote",
        ),
        ("fatal: unable to connect to 127.0.0.1:\nerrno=Connection refused", "network"),
        ("fatal: unable to access 'https://x/': Could not resolve host: x", "network"),
        (" ! [rejected]        HEAD -> main (fetch first)", "rejected"),
        (" ! [remote rejected] HEAD -> main (failed to update ref)", "rejected"),
    ],
)
def test_classify(stderr: str, kind: str) -> None:
    assert classify(stderr) == kind


def _fast(budget: float = 3.0) -> RetryPolicy:
    return RetryPolicy(budget_s=budget, base_s=0.01, cap_s=0.05)


def test_missing_repository_fails_at_once_naming_the_remote(
    git_server: GitServer, teammates
) -> None:
    from memdir.team import init_team

    alice = teammates("alice")
    url = git_server.url("no-such-repo")
    with pytest.raises(TeamSyncError) as caught:
        init_team(alice.store, url, policy=_fast())
    assert caught.value.kind == "missing-remote"
    assert url in str(caught.value)
    assert not (alice.store.path / "team").exists()


def test_unreachable_remote_is_retried_within_the_budget(teammates) -> None:
    from memdir.team import init_team
    from memdir.team import retry as retry_mod

    alice = teammates("alice")
    url = f"git://127.0.0.1:{free_port()}/team.git"
    seen: list[RetryLog] = []
    original = retry_mod.with_retry

    def spy(op, policy, log=None):  # type: ignore[no-untyped-def]
        log = log or RetryLog()
        seen.append(log)
        return original(op, policy, log)

    import memdir.team.sync as sync_mod

    sync_mod.with_retry = spy  # type: ignore[assignment]
    try:
        with pytest.raises(TeamSyncError) as caught:
            init_team(alice.store, url, policy=_fast(1.0))
    finally:
        sync_mod.with_retry = original  # type: ignore[assignment]
    assert caught.value.kind == "network"
    assert url in str(caught.value)
    assert seen[0].attempts > 1 and seen[0].exhausted


class _Refuse(BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        type(self).requests.append(self.path)
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="team"')
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_refused_authentication_fails_at_once_without_retries(teammates) -> None:
    from memdir.team import init_team

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Refuse)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Refuse.requests = []
    try:
        url = f"http://bob:hunter2-secret@127.0.0.1:{server.server_address[1]}/team.git"
        with pytest.raises(TeamSyncError) as caught:
            init_team(teammates("alice").store, url, policy=_fast(5.0))
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert caught.value.kind == "auth"
    message = str(caught.value)
    assert "hunter2" not in message
    assert f"http://***@127.0.0.1:{server.server_address[1]}/team.git" in message
    # One attempt: git asks once and once more with the (empty) credentials, no retry.
    assert 1 <= len(_Refuse.requests) <= 2


def test_no_git_folder_is_not_a_team(tmp_path: Path) -> None:
    from memdir.store.folder import MemoryDir
    from memdir.team import team_status

    assert team_status(MemoryDir(tmp_path / "m", state=tmp_path / "s")).mode == "none"
