"""Running the git command line for team sync: no prompts, a timeout, classified errors.

Every git call of the team package goes through `Git.run`. git never asks for a password
here (a sync runs from hooks and daemons with no terminal), runs in the C locale so its
messages can be classified, and never leaks a credential written into a remote URL: each
message is passed through `redact` before it can reach a user or a log.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import TeamSyncError

#: Local commands (status, commit, merge plumbing) end in milliseconds; network ones may
#: wait on a slow host, but never longer than this before the retry loop takes over.
LOCAL_TIMEOUT_S = 30.0
NETWORK_TIMEOUT_S = 20.0

# user:password@ or token@ in a URL; scp-like "user@host:" carries no secret and stays.
_URL_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]+@")

# Classification of git's (C locale) messages. Order matters: the first family that
# matches wins, and authentication is checked before the generic "hung up" of a network.
_AUTH = re.compile(
    r"Authentication failed|could not read Username|could not read Password|"
    r"terminal prompts disabled|Permission denied \(publickey|HTTP Basic: Access denied|"
    r"returned error: 40[13]|access denied(?! or repository not exported)|"
    r"Host key verification failed|invalid credentials",
    re.IGNORECASE,
)
_MISSING = re.compile(
    r"does not appear to be a git repository|Repository not found|repository .* not found|"
    r"returned error: 404|not exported|No such file or directory|"
    r"Could not read from remote repository|not a git repository|No such remote",
    re.IGNORECASE,
)
_NETWORK = re.compile(
    r"Could not resolve host|Connection refused|Connection timed out|Connection reset|"
    r"unable to connect|Network is unreachable|Operation timed out|early EOF|"
    r"the remote end hung up|Broken pipe|timed out|unable to access|"
    r"RPC failed|transfer closed|Temporary failure",
    re.IGNORECASE,
)
_REJECTED = re.compile(
    r"\[rejected\]|\[remote rejected\]|non-fast-forward|fetch first|failed to update ref|"
    r"cannot lock ref|stale info",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """`text` with any ``user:secret@`` part of a URL replaced by ``***@``."""
    return _URL_USERINFO.sub(lambda m: f"{m.group('scheme')}***@", text)


def classify(stderr: str) -> str:
    """The kind of a failed remote command: auth, missing-remote, rejected, network, error."""
    if _AUTH.search(stderr):
        return "auth"
    if _REJECTED.search(stderr):
        return "rejected"
    # A daemon or host that answers "not found" is reachable: retrying cannot help.
    if _MISSING.search(stderr) and not _NETWORK.search(stderr.replace("hung up", "")):
        return "missing-remote"
    if _NETWORK.search(stderr):
        return "network"
    return "error"


@dataclass(frozen=True, slots=True)
class GitResult:
    """What one git command returned."""

    code: int
    stdout: bytes
    stderr: str

    @property
    def text(self) -> str:
        return self.stdout.decode("utf-8", errors="replace")


def git_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment every git call runs in: no prompt of any kind, C locale."""
    env = dict(os.environ if base is None else base)
    env.update(
        {
            "GIT_TERMINAL_PROMPT": "0",
            # An askpass helper that answers nothing: a remote wanting a password fails now
            # instead of waiting for a terminal that is not there.
            "GIT_ASKPASS": "true",
            "SSH_ASKPASS": "true",
            "GCM_INTERACTIVE": "never",
            "LC_ALL": "C",
            "LANGUAGE": "C",
            "GIT_OPTIONAL_LOCKS": "0",
        }
    )
    ssh = env.get("GIT_SSH_COMMAND", "ssh")
    if "BatchMode" not in ssh:
        env["GIT_SSH_COMMAND"] = f"{ssh} -o BatchMode=yes -o ConnectTimeout=10"
    env.pop("GIT_DIR", None)
    env.pop("GIT_WORK_TREE", None)
    env.pop("GIT_INDEX_FILE", None)
    return env


class Git:
    """The git command line, run in one working tree."""

    def __init__(self, cwd: Path, *, remote_label: str | None = None) -> None:
        self.cwd = cwd
        self.remote_label = remote_label
        self._env = git_env()

    def run(
        self,
        args: Sequence[str],
        *,
        input: bytes | None = None,
        timeout: float = LOCAL_TIMEOUT_S,
        check: bool = True,
        env: Mapping[str, str] | None = None,
        network: bool = False,
    ) -> GitResult:
        """Run ``git ARGS``; raise a classified `TeamSyncError` on failure when `check`.

        Raises:
            TeamSyncError: git failed (kind from its message), timed out ("network" for a
                remote command), or is not installed.
        """
        run_env = self._env if env is None else {**self._env, **env}
        command = ["git", "-c", "core.symlinks=false", "-c", "core.quotepath=false", *args]
        try:
            proc = subprocess.run(
                command,
                cwd=self.cwd,
                input=input,
                capture_output=True,
                timeout=timeout,
                env=run_env,
                stdin=None if input is not None else subprocess.DEVNULL,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise TeamSyncError(
                f"git {args[0]} took longer than {timeout:.0f} s",
                kind="network" if network else "error",
                remote=self.remote_label,
                retryable=network,
            ) from exc
        except FileNotFoundError as exc:
            raise TeamSyncError(
                "the git command is not installed; team memory syncs through git",
                kind="no-git",
            ) from exc
        result = GitResult(
            proc.returncode, proc.stdout, redact(proc.stderr.decode("utf-8", "replace"))
        )
        if check and result.code != 0:
            raise self.error(args, result, network=network)
        return result

    def error(self, args: Sequence[str], result: GitResult, *, network: bool) -> TeamSyncError:
        """A `TeamSyncError` for a failed command, classified and naming the remote."""
        said = result.stderr + "\n" + redact(result.text)
        kind = classify(said) if network else "error"
        lines = [
            line.strip()
            for line in said.splitlines()
            if line.strip() and not line.startswith("hint:") and line.strip() != "Done"
        ]
        detail = " ".join(lines[-3:])
        where = f" {self.remote_label}" if self.remote_label else ""
        messages = {
            "auth": f"the remote{where} refused authentication; check your access to it "
            f"(git said: {detail})",
            "missing-remote": f"the remote{where} does not exist or is not a git repository "
            f"you can read (git said: {detail})",
            "network": f"cannot reach the remote{where} (git said: {detail})",
            "rejected": f"the remote{where} refused the push (git said: {detail})",
        }
        message = messages.get(kind, f"git {args[0]} failed: {detail or f'exit {result.code}'}")
        return TeamSyncError(
            message,
            kind=kind,
            remote=self.remote_label,
            retryable=kind in ("network", "rejected"),
        )

    def out(self, *args: str, check: bool = True) -> str:
        """Stdout of ``git ARGS`` as text, stripped."""
        return self.run(args, check=check).text.strip()

    def ok(self, *args: str) -> bool:
        """Whether ``git ARGS`` exits 0."""
        return self.run(args, check=False).code == 0
